// Pictures of attention masks: terminal text, PNG and SVG from a density grid.
#include "tools/attnc/Render.h"

#include "support/AtomicFile.h"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csetjmp>

namespace attn {
namespace {

/// Cell (r, c) clamped to [0, 1]; NaN and cells missing from a malformed grid
/// read as 0 so that rendering never reads out of bounds.
float cellAt(const DensityGrid &g, int64_t r, int64_t c) {
  size_t index = static_cast<size_t>(r) * static_cast<size_t>(g.cols) +
                 static_cast<size_t>(c);
  if (index >= g.density.size())
    return 0.0f;
  float d = g.density[index];
  if (!(d > 0.0f))
    return 0.0f;
  return std::min(d, 1.0f);
}

/// 0: none, 1: (0, 1/3), 2: [1/3, 2/3), 3: [2/3, 1), 4: all.
int shadeLevel(float d) {
  if (d <= 0.0f)
    return 0;
  if (d >= 1.0f)
    return 4;
  return 1 + std::min(2, static_cast<int>(d * 3.0f));
}

uint8_t grayLevel(float d) {
  return static_cast<uint8_t>(std::lround(255.0f * (1.0f - d)));
}

/// Start of part `i` (0 <= i <= parts) when [0, n) is split into `parts`
/// near-equal parts: i * n / parts, computed without overflowing i * n.
int64_t splitPoint(int64_t i, int64_t n, int64_t parts) {
  if (parts <= 0)
    return 0;
  return i * (n / parts) + i * (n % parts) / parts;
}

std::string lowerExtension(const std::string &path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  std::string ext = path.substr(dot);
  for (char &c : ext)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

/// libpng reports errors by calling this and then longjmp'ing back.
void pngError(png_structp png, png_const_charp message) {
  auto *error = static_cast<std::string *>(png_get_error_ptr(png));
  *error = message;
  png_longjmp(png, 1);
}

void pngWarning(png_structp, png_const_charp) {}

void pngWrite(png_structp png, png_bytep data, png_size_t length) {
  auto *out = static_cast<std::vector<uint8_t> *>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void pngFlush(png_structp) {}

// Beyond this a "picture" is a mistake (and libpng's default limit is 1e6).
constexpr int64_t kMaxImageSide = 16384;

} // namespace

bool checkDensityGrid(const DensityGrid &g, std::string &error) {
  if (g.rows < 0 || g.cols < 0 || g.nq < 0 || g.nk < 0) {
    error = fmt::format("invalid density grid: negative size (rows {}, cols "
                        "{}, nq {}, nk {})",
                        g.rows, g.cols, g.nq, g.nk);
    return false;
  }
  size_t cells = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(g.rows),
                             static_cast<size_t>(g.cols), &cells) ||
      cells != g.density.size()) {
    error = fmt::format("invalid density grid: {} x {} cells but {} density "
                        "values",
                        g.rows, g.cols, g.density.size());
    return false;
  }
  return true;
}

DensityGrid downsample(
    int64_t nq, int64_t nk, int64_t maxRows, int64_t maxCols,
    const std::function<double(int64_t q0, int64_t q1, int64_t k0, int64_t k1)>
        &cellDensity) {
  DensityGrid g;
  g.nq = std::max<int64_t>(nq, 0);
  g.nk = std::max<int64_t>(nk, 0);
  g.rows = std::min(g.nq, std::max<int64_t>(maxRows, 1));
  g.cols = std::min(g.nk, std::max<int64_t>(maxCols, 1));
  g.density.resize(static_cast<size_t>(g.rows * g.cols));
  for (int64_t r = 0; r < g.rows; ++r) {
    int64_t q0 = splitPoint(r, g.nq, g.rows);
    int64_t q1 = splitPoint(r + 1, g.nq, g.rows);
    for (int64_t c = 0; c < g.cols; ++c) {
      double d = cellDensity(q0, q1, splitPoint(c, g.nk, g.cols),
                             splitPoint(c + 1, g.nk, g.cols));
      if (!(d > 0.0))
        d = 0.0;
      g.density[static_cast<size_t>(r * g.cols + c)] =
          static_cast<float>(std::min(d, 1.0));
    }
  }
  return g;
}

DensityGrid
downsampleMask(int64_t nq, int64_t nk, int64_t maxRows, int64_t maxCols,
               const std::function<bool(int64_t q, int64_t k)> &allowed) {
  return downsample(nq, nk, maxRows, maxCols,
                    [&](int64_t q0, int64_t q1, int64_t k0, int64_t k1) {
                      int64_t count = 0;
                      for (int64_t q = q0; q < q1; ++q)
                        for (int64_t k = k0; k < k1; ++k)
                          count += allowed(q, k);
                      return static_cast<double>(count) /
                             static_cast<double>((q1 - q0) * (k1 - k0));
                    });
}

CountGrid::CountGrid(int64_t nq, int64_t nk, int64_t maxRows, int64_t maxCols)
    : nq(std::max<int64_t>(nq, 0)), nk(std::max<int64_t>(nk, 0)) {
  // The layout of downsample(), so both draw the same cells.
  numRows = std::min(this->nq, std::max<int64_t>(maxRows, 1));
  numCols = std::min(this->nk, std::max<int64_t>(maxCols, 1));
  auto cells = std::make_shared<Layout>();
  for (int64_t r = 0; r <= numRows; ++r)
    cells->rowStart.push_back(splitPoint(r, this->nq, numRows));
  for (int64_t c = 0; c <= numCols; ++c)
    cells->colStart.push_back(splitPoint(c, this->nk, numCols));
  layout = std::move(cells);
  bandRows = numRows;
  counts.assign(static_cast<size_t>(numRows * numCols), 0);
}

CountGrid CountGrid::band(int64_t q0, int64_t q1) const {
  CountGrid b(0, 0, 0, 0);
  b.nq = nq;
  b.nk = nk;
  b.numRows = numRows;
  b.numCols = numCols;
  b.layout = layout;
  q0 = std::max<int64_t>(q0, 0);
  q1 = std::min(q1, nq);
  b.firstRow = q0 < q1 ? rowOf(q0) : 0;
  b.bandRows = q0 < q1 ? rowOf(q1 - 1) + 1 - b.firstRow : 0;
  b.counts.assign(static_cast<size_t>(b.bandRows * numCols), 0);
  return b;
}

void CountGrid::merge(const CountGrid &band) {
  for (int64_t r = 0; r < band.bandRows; ++r) {
    int64_t to = band.firstRow + r - firstRow;
    if (to < 0 || to >= bandRows)
      continue;
    for (int64_t c = 0; c < numCols; ++c)
      counts[static_cast<size_t>(to * numCols + c)] +=
          band.counts[static_cast<size_t>(r * numCols + c)];
  }
}

int64_t CountGrid::rowOf(int64_t q) const {
  return std::upper_bound(layout->rowStart.begin(), layout->rowStart.end(), q) -
         layout->rowStart.begin() - 1;
}

int64_t CountGrid::colOf(int64_t k) const {
  return std::upper_bound(layout->colStart.begin(), layout->colStart.end(), k) -
         layout->colStart.begin() - 1;
}

template <typename Fn>
void CountGrid::forPieces(int64_t q0, int64_t q1, int64_t k0, int64_t k1,
                          Fn fn) const {
  const std::vector<int64_t> &rs = layout->rowStart, &cs = layout->colStart;
  q0 = std::max<int64_t>(q0, rs[firstRow]);
  q1 = std::min(q1, rs[firstRow + bandRows]);
  k0 = std::max<int64_t>(k0, 0);
  k1 = std::min(k1, nk);
  if (q0 >= q1 || k0 >= k1)
    return;
  // A tile usually lies in one cell, or straddles a boundary or two.
  for (int64_t r = rowOf(q0); r < numRows && rs[r] < q1; ++r) {
    int64_t qa = std::max(q0, rs[r]), qb = std::min(q1, rs[r + 1]);
    for (int64_t c = colOf(k0); c < numCols && cs[c] < k1; ++c)
      fn(r, c, qa, qb, std::max(k0, cs[c]), std::min(k1, cs[c + 1]));
  }
}

void CountGrid::addRect(int64_t q0, int64_t q1, int64_t k0, int64_t k1) {
  forPieces(q0, q1, k0, k1,
            [&](int64_t r, int64_t c, int64_t qa, int64_t qb, int64_t ka,
                int64_t kb) {
              counts[static_cast<size_t>((r - firstRow) * numCols + c)] +=
                  (qb - qa) * (kb - ka);
            });
}

int64_t CountGrid::addMask(int64_t q0, int64_t q1, int64_t k0, int64_t k1,
                           const uint8_t *mask, int64_t ld) {
  int64_t total = 0;
  forPieces(q0, q1, k0, k1,
            [&](int64_t r, int64_t c, int64_t qa, int64_t qb, int64_t ka,
                int64_t kb) {
              int64_t sum = 0;
              for (int64_t q = qa; q < qb; ++q) {
                const uint8_t *row = mask + (q - q0) * ld + (ka - k0);
                // A narrow accumulator per row lets this vectorize.
                uint32_t rowSum = 0;
                for (int64_t k = 0; k < kb - ka; ++k)
                  rowSum += row[k] != 0;
                sum += rowSum;
              }
              counts[static_cast<size_t>((r - firstRow) * numCols + c)] += sum;
              total += sum;
            });
  return total;
}

int64_t CountGrid::count(int64_t r, int64_t c) const {
  if (r < firstRow || r >= firstRow + bandRows || c < 0 || c >= numCols)
    return 0;
  return counts[static_cast<size_t>((r - firstRow) * numCols + c)];
}

DensityGrid CountGrid::density() const {
  DensityGrid g;
  g.nq = nq;
  g.nk = nk;
  g.rows = numRows;
  g.cols = numCols;
  g.density.resize(static_cast<size_t>(numRows * numCols));
  const std::vector<int64_t> &rs = layout->rowStart, &cs = layout->colStart;
  for (int64_t r = 0; r < numRows; ++r)
    for (int64_t c = 0; c < numCols; ++c) {
      double area = double(rs[r + 1] - rs[r]) * double(cs[c + 1] - cs[c]);
      double d = area > 0 ? double(count(r, c)) / area : 0.0;
      g.density[static_cast<size_t>(r * numCols + c)] =
          static_cast<float>(std::min(d, 1.0));
    }
  return g;
}

std::string renderTerminal(const DensityGrid &g, bool unicode) {
  std::string error;
  if (!checkDensityGrid(g, error))
    return error + "\n";
  if (g.rows == 0 || g.cols == 0)
    return fmt::format("empty mask: {} queries x {} keys\n", g.nq, g.nk);

  static const char *const unicodeShades[] = {" ", "░", "▒", "▓", "█"};
  static const char *const asciiShades[] = {" ", ".", ":", "+", "#"};
  const char *const *shades = unicode ? unicodeShades : asciiShades;
  const char *horizontal = unicode ? "─" : "-";
  const char *vertical = unicode ? "│" : "|";
  const char *corners[4] = {"+", "+", "+", "+"};
  if (unicode) {
    corners[0] = "┌";
    corners[1] = "┐";
    corners[2] = "└";
    corners[3] = "┘";
  }

  // Labels show indices, so a grid with nq = 0 but rows > 0 (a malformed
  // caller) still gets sensible text.
  int64_t lastQuery = std::max<int64_t>(g.nq, g.rows) - 1;
  int64_t lastKey = std::max<int64_t>(g.nk, g.cols) - 1;
  std::string out = fmt::format("query 0..{} (rows) x key 0..{} (columns)",
                                lastQuery, lastKey);
  if (g.rows < lastQuery + 1 || g.cols < lastKey + 1)
    out +=
        fmt::format(", {} x {} cells of up to {} x {} pairs", g.rows, g.cols,
                    (lastQuery + g.rows) / g.rows, (lastKey + g.cols) / g.cols);
  out += '\n';

  std::string firstRowLabel = "0", lastRowLabel = fmt::format("{}", lastQuery);
  size_t labelWidth = std::max(firstRowLabel.size(), lastRowLabel.size());
  std::string indent(labelWidth + 1, ' ');

  // Key axis: the first index above the first column, the last one ending
  // above the last column (spilling right if the grid is too narrow).
  std::string firstKey = "0", lastKeyLabel = fmt::format("{}", lastKey);
  out += indent + firstKey;
  if (lastKey > 0) {
    int64_t gap = g.cols - static_cast<int64_t>(firstKey.size()) -
                  static_cast<int64_t>(lastKeyLabel.size());
    out.append(static_cast<size_t>(std::max<int64_t>(gap, 1)), ' ');
    out += lastKeyLabel;
  }
  out += '\n';

  auto rule = [&](const char *left, const char *right) {
    out.append(labelWidth, ' ');
    out += left;
    for (int64_t c = 0; c < g.cols; ++c)
      out += horizontal;
    out += right;
    out += '\n';
  };
  rule(corners[0], corners[1]);
  for (int64_t r = 0; r < g.rows; ++r) {
    std::string label;
    if (r == g.rows - 1)
      label = lastRowLabel;
    else if (r == 0)
      label = firstRowLabel;
    out.append(labelWidth - label.size(), ' ');
    out += label;
    out += vertical;
    for (int64_t c = 0; c < g.cols; ++c)
      out += shades[shadeLevel(cellAt(g, r, c))];
    out += vertical;
    out += '\n';
  }
  rule(corners[2], corners[3]);
  out += unicode ? "█ all  ▓ ≥2/3  ▒ ≥1/3  ░ >0  blank: none\n"
                 : "# all  + >=2/3  : >=1/3  . >0  blank: none\n";
  return out;
}

bool encodePng(const DensityGrid &g, std::vector<uint8_t> &out,
               std::string &error) {
  if (!checkDensityGrid(g, error))
    return false;
  if (g.rows == 0 || g.cols == 0) {
    error = fmt::format("cannot draw an empty mask ({} queries x {} keys) as "
                        "a PNG",
                        g.nq, g.nk);
    return false;
  }
  if (g.rows > kMaxImageSide || g.cols > kMaxImageSide) {
    error = fmt::format("image of {} x {} pixels is too large (at most {} per "
                        "side); downsample the mask further",
                        g.cols, g.rows, kMaxImageSide);
    return false;
  }
  // Everything libpng's longjmp may skip over is built before setjmp and
  // only reached through pointers afterwards.
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> row(static_cast<size_t>(g.cols));
  std::string pngMessage;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &pngMessage,
                                            pngError, pngWarning);
  if (!png) {
    error = "cannot create a PNG encoder";
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    error = "cannot create a PNG encoder";
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    error = fmt::format("PNG encoding failed: {}", pngMessage);
    return false;
  }
  png_set_write_fn(png, &bytes, pngWrite, pngFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(g.cols),
               static_cast<png_uint_32>(g.rows), 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t r = 0; r < g.rows; ++r) {
    for (int64_t c = 0; c < g.cols; ++c)
      row[static_cast<size_t>(c)] = grayLevel(cellAt(g, r, c));
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  out = std::move(bytes);
  return true;
}

std::string renderSvg(const DensityGrid &g) {
  int64_t rows = std::max<int64_t>(g.rows, 0),
          cols = std::max<int64_t>(g.cols, 0);
  // Scale tiny grids up so that the default display size is usable; the
  // viewBox keeps one unit per cell.
  int64_t scale =
      std::max<int64_t>(1, 512 / std::max<int64_t>({rows, cols, 1}));
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" shape-rendering=\"crispEdges\">\n"
      "<title>attention mask: {} queries (rows) x {} keys (columns)</title>\n"
      "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
      cols * scale, rows * scale, cols, rows, g.nq, g.nk, cols, rows);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t c = 0;
    while (c < cols) {
      uint8_t gray = grayLevel(cellAt(g, r, c));
      int64_t end = c + 1;
      while (end < cols && grayLevel(cellAt(g, r, end)) == gray)
        ++end;
      if (gray != 255) // White runs are the background.
        out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"1\" "
                           "fill=\"#{:02x}{:02x}{:02x}\"/>\n",
                           c, r, end - c, gray, gray, gray);
      c = end;
    }
  }
  out += "</svg>\n";
  return out;
}

bool writePng(const std::string &path, const DensityGrid &g,
              std::string &error) {
  std::vector<uint8_t> bytes;
  if (!encodePng(g, bytes, error)) {
    error = fmt::format("cannot write '{}': {}", path, error);
    return false;
  }
  return writeFileAtomic(path, bytes.data(), bytes.size(), error);
}

bool writeSvg(const std::string &path, const DensityGrid &g,
              std::string &error) {
  if (!checkDensityGrid(g, error)) {
    error = fmt::format("cannot write '{}': {}", path, error);
    return false;
  }
  std::string text = renderSvg(g);
  return writeFileAtomic(path, text.data(), text.size(), error);
}

bool checkImagePath(const std::string &path, std::string &error) {
  std::string ext = lowerExtension(path);
  if (ext == ".png" || ext == ".svg")
    return true;
  error = ext.empty()
              ? fmt::format("cannot write '{}': no file extension; use .png "
                            "or .svg to choose the image format",
                            path)
              : fmt::format("cannot write '{}': unknown image format '{}' "
                            "(use .png or .svg)",
                            path, ext);
  return false;
}

bool writeImage(const std::string &path, const DensityGrid &g,
                std::string &error) {
  if (!checkImagePath(path, error))
    return false;
  if (lowerExtension(path) == ".png")
    return writePng(path, g, error);
  return writeSvg(path, g, error);
}

} // namespace attn
