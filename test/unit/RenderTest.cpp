// Unit tests for tools/attnc/Render: downsampling, terminal text, PNG, SVG.
#include "tools/attnc/Render.h"

#include "support/AtomicFile.h"
#include "TempDir.h"

#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <tuple>

using namespace attn;
namespace fs = std::filesystem;

namespace {

using attn::test::readAll;
using attn::test::TempDir;

size_t count(const std::string &text, const std::string &needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size()))
    ++n;
  return n;
}

DensityGrid causal(int64_t n) {
  return downsampleMask(n, n, n, n,
                        [](int64_t q, int64_t k) { return k <= q; });
}

DensityGrid grid(int64_t rows, int64_t cols, std::vector<float> density) {
  DensityGrid g;
  g.rows = rows;
  g.cols = cols;
  g.nq = rows;
  g.nk = cols;
  g.density = std::move(density);
  return g;
}

/// Decodes a PNG to 8-bit gray with libpng's simplified API.
bool decodeGray(const std::vector<uint8_t> &png, uint32_t &width,
                uint32_t &height, std::vector<uint8_t> &pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size()))
    return false;
  image.format = PNG_FORMAT_GRAY;
  pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr))
    return false;
  width = image.width;
  height = image.height;
  return true;
}

//===----------------------------------------------------------------------===//
// Downsampling
//===----------------------------------------------------------------------===//

TEST(RenderTest, DownsampleSplitsIntoNearEqualCells) {
  std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>> calls;
  DensityGrid g = downsample(
      10, 7, 3, 2, [&](int64_t q0, int64_t q1, int64_t k0, int64_t k1) {
        calls.emplace_back(q0, q1, k0, k1);
        return 0.25;
      });
  EXPECT_EQ(g.rows, 3);
  EXPECT_EQ(g.cols, 2);
  EXPECT_EQ(g.nq, 10);
  EXPECT_EQ(g.nk, 7);
  EXPECT_EQ(g.density, std::vector<float>(6, 0.25f));
  using Call = std::tuple<int64_t, int64_t, int64_t, int64_t>;
  EXPECT_EQ(calls, (std::vector<Call>{{0, 3, 0, 3},
                                      {0, 3, 3, 7},
                                      {3, 6, 0, 3},
                                      {3, 6, 3, 7},
                                      {6, 10, 0, 3},
                                      {6, 10, 3, 7}}));
}

TEST(RenderTest, DownsampleNeverMakesMoreCellsThanPairs) {
  DensityGrid g = downsample(
      3, 2, 1024, 1024, [](int64_t, int64_t, int64_t, int64_t) { return 1; });
  EXPECT_EQ(g.rows, 3);
  EXPECT_EQ(g.cols, 2);
  DensityGrid empty = downsample(
      0, 5, 8, 8, [](int64_t, int64_t, int64_t, int64_t) { return 1; });
  EXPECT_EQ(empty.rows, 0);
  EXPECT_TRUE(empty.density.empty());
  // Huge lengths: boundaries are computed without overflow.
  int64_t big = int64_t(1) << 62;
  int64_t lastQ1 = 0;
  DensityGrid huge =
      downsample(big, big, 4, 4, [&](int64_t, int64_t q1, int64_t, int64_t) {
        lastQ1 = q1;
        return 0.5;
      });
  EXPECT_EQ(huge.rows, 4);
  EXPECT_EQ(lastQ1, big);
}

TEST(RenderTest, DownsampleClampsDensities) {
  std::vector<double> values = {2.0, -1.0, NAN, 0.5};
  size_t next = 0;
  DensityGrid g =
      downsample(1, 4, 1, 4, [&](int64_t, int64_t, int64_t, int64_t) {
        return values[next++];
      });
  EXPECT_EQ(g.density, (std::vector<float>{1.0f, 0.0f, 0.0f, 0.5f}));
}

TEST(RenderTest, DownsampleMaskCountsExactly) {
  DensityGrid g =
      downsampleMask(4, 4, 2, 2, [](int64_t q, int64_t k) { return k <= q; });
  EXPECT_EQ(g.density, (std::vector<float>{0.75f, 0.0f, 1.0f, 0.75f}));
}

//===----------------------------------------------------------------------===//
// Terminal
//===----------------------------------------------------------------------===//

TEST(RenderTest, TerminalCausalUnicode) {
  EXPECT_EQ(renderTerminal(causal(4)),
            "query 0..3 (rows) x key 0..3 (columns)\n"
            "  0  3\n"
            " ┌────┐\n"
            "0│█   │\n"
            " │██  │\n"
            " │███ │\n"
            "3│████│\n"
            " └────┘\n"
            "█ all  ▓ ≥2/3  ▒ ≥1/3  ░ >0  blank: none\n");
}

TEST(RenderTest, TerminalCausalAscii) {
  EXPECT_EQ(renderTerminal(causal(4), /*unicode=*/false),
            "query 0..3 (rows) x key 0..3 (columns)\n"
            "  0  3\n"
            " +----+\n"
            "0|#   |\n"
            " |##  |\n"
            " |### |\n"
            "3|####|\n"
            " +----+\n"
            "# all  + >=2/3  : >=1/3  . >0  blank: none\n");
}

TEST(RenderTest, TerminalShades) {
  DensityGrid g = grid(1, 7, {0.0f, 0.01f, 0.34f, 0.5f, 0.67f, 0.999f, 1.0f});
  std::string text = renderTerminal(g);
  EXPECT_NE(text.find("0│ ░▒▒▓▓█│\n"), std::string::npos) << text;
  std::string ascii = renderTerminal(g, false);
  EXPECT_NE(ascii.find("0| .::++#|\n"), std::string::npos) << ascii;
}

TEST(RenderTest, TerminalDownsampledLabels) {
  DensityGrid g = downsampleMask(
      100, 12, 3, 5, [](int64_t q, int64_t k) { return k * 8 <= q; });
  std::string text = renderTerminal(g, false);
  EXPECT_EQ(text, "query 0..99 (rows) x key 0..11 (columns), 3 x 5 cells of up "
                  "to 34 x 3 pairs\n"
                  "   0  11\n"
                  "  +-----+\n"
                  " 0|+:.  |\n"
                  "  |##+. |\n"
                  "99|####:|\n"
                  "  +-----+\n"
                  "# all  + >=2/3  : >=1/3  . >0  blank: none\n");
}

TEST(RenderTest, TerminalNarrowAndEmptyGrids) {
  // The last key label spills past a grid narrower than the labels.
  DensityGrid one = downsample(
      1, 1000, 1, 1, [](int64_t, int64_t, int64_t, int64_t) { return 1.0; });
  EXPECT_EQ(renderTerminal(one, false),
            "query 0..0 (rows) x key 0..999 (columns), 1 x 1 cells of up to 1 "
            "x 1000 pairs\n"
            "  0 999\n"
            " +-+\n"
            "0|#|\n"
            " +-+\n"
            "# all  + >=2/3  : >=1/3  . >0  blank: none\n");
  DensityGrid empty = downsample(
      0, 5, 8, 8, [](int64_t, int64_t, int64_t, int64_t) { return 1.0; });
  EXPECT_EQ(renderTerminal(empty), "empty mask: 0 queries x 5 keys\n");
  DensityGrid bad = grid(2, 2, {1.0f});
  EXPECT_EQ(renderTerminal(bad),
            "invalid density grid: 2 x 2 cells but 1 density values\n");
}

//===----------------------------------------------------------------------===//
// PNG
//===----------------------------------------------------------------------===//

TEST(RenderTest, PngDecodesToTheGrid) {
  std::vector<uint8_t> png;
  std::string error;
  DensityGrid g = causal(4);
  g.density[1] = 0.5f; // Row 0, column 1: half gray.
  ASSERT_TRUE(encodePng(g, png, error)) << error;
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> pixels;
  ASSERT_TRUE(decodeGray(png, width, height, pixels));
  EXPECT_EQ(width, 4u);
  EXPECT_EQ(height, 4u);
  EXPECT_EQ(pixels, (std::vector<uint8_t>{0, 128, 255, 255, //
                                          0, 0, 255, 255,   //
                                          0, 0, 0, 255,     //
                                          0, 0, 0, 0}));
}

TEST(RenderTest, PngFileHasSignatureAndHeader) {
  TempDir dir;
  std::string path = dir / "mask.png";
  std::string error;
  DensityGrid g = downsampleMask(300, 500, 30, 50,
                                 [](int64_t q, int64_t k) { return k <= q; });
  ASSERT_TRUE(writePng(path, g, error)) << error;
  std::string bytes = readAll(path);
  ASSERT_GE(bytes.size(), 33u);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(bytes.substr(16, 8), std::string("\0\0\0\x32\0\0\0\x1e", 8));
  EXPECT_EQ(bytes[24], 8); // Bit depth.
  EXPECT_EQ(bytes[25], 0); // Grayscale.
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"mask.png"});
}

TEST(RenderTest, PngRejectsEmptyAndHugeGrids) {
  std::vector<uint8_t> png;
  std::string error;
  DensityGrid empty = downsample(
      5, 0, 8, 8, [](int64_t, int64_t, int64_t, int64_t) { return 1.0; });
  EXPECT_FALSE(encodePng(empty, png, error));
  EXPECT_EQ(error, "cannot draw an empty mask (5 queries x 0 keys) as a PNG");
  DensityGrid huge = grid(1, 20000, std::vector<float>(20000, 1.0f));
  EXPECT_FALSE(encodePng(huge, png, error));
  EXPECT_EQ(error, "image of 20000 x 1 pixels is too large (at most 16384 per "
                   "side); downsample the mask further");
  EXPECT_TRUE(png.empty());
}

//===----------------------------------------------------------------------===//
// SVG
//===----------------------------------------------------------------------===//

TEST(RenderTest, SvgMergesRunsAlongRows) {
  std::string svg = renderSvg(causal(4));
  // One background rect plus one run per row.
  EXPECT_EQ(count(svg, "<rect"), 5u);
  EXPECT_NE(svg.find("viewBox=\"0 0 4 4\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<rect x=\"0\" y=\"3\" width=\"4\" height=\"1\" "
                     "fill=\"#000000\"/>"),
            std::string::npos)
      << svg;
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);

  DensityGrid g = grid(2, 6,
                       {1, 1, 0, 0.5f, 0.5f, 0.25f, //
                        0, 0, 0, 0, 0, 0});
  svg = renderSvg(g);
  EXPECT_EQ(count(svg, "<rect"), 4u) << svg;
  EXPECT_NE(svg.find("<rect x=\"3\" y=\"0\" width=\"2\" height=\"1\" "
                     "fill=\"#808080\"/>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("fill=\"#bfbfbf\""), std::string::npos) << svg;
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

TEST(RenderTest, WriteImagePicksFormatByExtension) {
  TempDir dir;
  std::string error;
  DensityGrid g = causal(8);
  ASSERT_TRUE(writeImage(dir / "a.svg", g, error)) << error;
  ASSERT_TRUE(writeImage(dir / "b.PNG", g, error)) << error;
  EXPECT_EQ(readAll(dir / "a.svg").substr(0, 5), "<?xml");
  EXPECT_EQ(readAll(dir / "b.PNG").substr(1, 3), "PNG");
  EXPECT_FALSE(writeImage(dir / "c.jpg", g, error));
  EXPECT_EQ(error, "cannot write '" + (dir / "c.jpg") +
                       "': unknown image format '.jpg' (use .png or .svg)");
  EXPECT_FALSE(writeImage(dir / "noext", g, error));
  EXPECT_EQ(error, "cannot write '" + (dir / "noext") +
                       "': no file extension; use .png or .svg to choose the "
                       "image format");
  EXPECT_FALSE(writeImage(dir.path + "/x.d/noext", g, error));
  EXPECT_NE(error.find("no file extension"), std::string::npos) << error;
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.svg", "b.PNG"}));
}

TEST(RenderTest, FailedWritesLeaveNoFiles) {
  TempDir dir;
  std::string error;
  DensityGrid g = causal(4);
  for (const char *name : {"missing/out.png", "missing/out.svg"}) {
    EXPECT_FALSE(writeImage(dir / name, g, error));
    EXPECT_EQ(error, "cannot write '" + (dir / name) + "': directory '" +
                         (dir / "missing") + "' does not exist");
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(RenderTest, FailedWritesKeepTheOldFile) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(writeImage(dir / "keep.png", causal(4), error)) << error;
  ASSERT_TRUE(writeImage(dir / "keep.svg", causal(4), error)) << error;
  std::string oldPng = readAll(dir / "keep.png");
  std::string oldSvg = readAll(dir / "keep.svg");
  DensityGrid bad = grid(3, 3, {0.5f});
  EXPECT_FALSE(writeImage(dir / "keep.png", bad, error));
  EXPECT_EQ(error, "cannot write '" + (dir / "keep.png") +
                       "': invalid density grid: 3 x 3 cells but 1 density "
                       "values");
  EXPECT_FALSE(writeImage(dir / "keep.svg", bad, error));
  EXPECT_EQ(readAll(dir / "keep.png"), oldPng);
  EXPECT_EQ(readAll(dir / "keep.svg"), oldSvg);
  // A directory in the way of the target is reported, not replaced.
  fs::create_directory(dir / "sub.svg");
  EXPECT_FALSE(writeImage(dir / "sub.svg", causal(4), error));
  EXPECT_EQ(error, "cannot write '" + (dir / "sub.svg") + "': is a directory");
  EXPECT_EQ(dir.entries(),
            (std::vector<std::string>{"keep.png", "keep.svg", "sub.svg"}));
}

// CountGrid sums tiles into downsample()'s cells: FULL tiles as rectangles,
// PARTIAL ones from their masks, in bands merged back; the result equals the
// exact densities of downsampleMask.
TEST(RenderTest, CountGridEqualsDownsampleMask) {
  auto allowed = [](int64_t q, int64_t k) {
    return (q * 7 + k * 3) % 5 < 2 || k > q + 20;
  };
  const int64_t nq = 53, nk = 41, tq = 6, tk = 5;
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{4, 6},
                            {53, 41},
                            {100, 100},
                            {1, 1},
                            {7, 40}}) {
    CountGrid grid(nq, nk, rows, cols);
    std::vector<uint8_t> mask(tq * tk);
    for (int64_t q0 = 0; q0 < nq; q0 += tq) {
      int64_t q1 = std::min(nq, q0 + tq);
      // Every other row of tiles goes through a band.
      CountGrid band = grid.band(q0, q1);
      CountGrid &into = (q0 / tq) % 2 ? band : grid;
      for (int64_t k0 = 0; k0 < nk; k0 += tk) {
        int64_t k1 = std::min(nk, k0 + tk);
        bool all = true;
        for (int64_t q = q0; q < q1; ++q)
          for (int64_t k = k0; k < k1; ++k) {
            mask[(q - q0) * tk + (k - k0)] = allowed(q, k);
            all &= allowed(q, k);
          }
        if (all)
          into.addRect(q0, q1, k0, k1);
        else
          into.addMask(q0, q1, k0, k1, mask.data(), tk);
      }
      if (&into == &band)
        grid.merge(band);
    }
    DensityGrid want = downsampleMask(nq, nk, rows, cols, allowed);
    DensityGrid have = grid.density();
    ASSERT_EQ(have.rows, want.rows);
    ASSERT_EQ(have.cols, want.cols);
    EXPECT_EQ(have.density, want.density) << rows << " x " << cols;
  }
}

// Rectangles are clipped to the grid, and a band ignores rows outside it.
TEST(RenderTest, CountGridClipsRectangles) {
  CountGrid grid(10, 10, 2, 2);
  grid.addRect(-5, 100, 8, 100); // keys 8, 9 of every query
  EXPECT_EQ(grid.count(0, 1), 10);
  EXPECT_EQ(grid.count(1, 1), 10);
  EXPECT_EQ(grid.count(0, 0), 0);
  CountGrid band = grid.band(0, 5);
  band.addRect(0, 10, 0, 10); // only queries 0..4 are in the band
  EXPECT_EQ(band.count(0, 0), 25);
  EXPECT_EQ(band.count(1, 0), 0);
  grid.merge(band);
  EXPECT_EQ(grid.count(0, 0), 25);
  EXPECT_EQ(grid.count(0, 1), 35);
  EXPECT_EQ(grid.count(1, 0), 0);
}

} // namespace
