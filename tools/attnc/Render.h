// Pictures of attention masks: terminal text, PNG and SVG from a density grid.
#ifndef ATTNC_TOOLS_RENDER_H
#define ATTNC_TOOLS_RENDER_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace attn {

/// A mask downsampled to rows x cols cells: each cell holds the fraction of
/// its (query, key) pairs that are allowed.
struct DensityGrid {
  int64_t rows = 0, cols = 0;
  std::vector<float> density; ///< rows * cols values in [0, 1], row-major.
  int64_t nq = 0, nk = 0;     ///< The query and key lengths the grid covers.
};

/// Checks sizes: rows, cols, nq, nk >= 0 and density.size() == rows * cols.
bool checkDensityGrid(const DensityGrid &g, std::string &error);

/// Splits [0, nq) x [0, nk) into at most maxRows x maxCols near-equal cells
/// (row r covers queries [r*nq/rows, (r+1)*nq/rows)) and asks `cellDensity`
/// for each cell's density given its half-open ranges [q0, q1) x [k0, k1).
/// Results are clamped to [0, 1]; NaN counts as 0.
DensityGrid downsample(
    int64_t nq, int64_t nk, int64_t maxRows, int64_t maxCols,
    const std::function<double(int64_t q0, int64_t q1, int64_t k0, int64_t k1)>
        &cellDensity);

/// downsample() with exact densities counted from an element predicate:
/// costs nq * nk calls, so it is meant for small sizes and tests.
DensityGrid
downsampleMask(int64_t nq, int64_t nk, int64_t maxRows, int64_t maxCols,
               const std::function<bool(int64_t q, int64_t k)> &allowed);

/// Exact allowed-pair counts per cell in downsample()'s layout, summed from
/// rectangles and tile masks, so a picture can be drawn from a block map
/// without evaluating anything but its PARTIAL tiles.
class CountGrid {
public:
  CountGrid(int64_t nq, int64_t nk, int64_t maxRows, int64_t maxCols);
  int64_t rows() const { return numRows; }
  int64_t cols() const { return numCols; }

  /// An empty grid with the same layout holding only the cell rows of
  /// queries [q0, q1): one thread's share, added back with merge().
  CountGrid band(int64_t q0, int64_t q1) const;
  /// Adds the counts of a band of this grid.
  void merge(const CountGrid &band);

  /// Adds every pair of [q0, q1) x [k0, k1) (a FULL tile); pairs outside
  /// the grid (or the band) are ignored.
  void addRect(int64_t q0, int64_t q1, int64_t k0, int64_t k1);
  /// Adds the set elements of the mask of [q0, q1) x [k0, k1),
  /// mask[(q - q0) * ld + (k - k0)]; returns how many were added.
  int64_t addMask(int64_t q0, int64_t q1, int64_t k0, int64_t k1,
                  const uint8_t *mask, int64_t ld);
  /// The pairs counted in cell (r, c); 0 outside the band.
  int64_t count(int64_t r, int64_t c) const;
  /// Each cell's count divided by its area.
  DensityGrid density() const;

private:
  int64_t nq, nk, numRows, numCols;
  int64_t firstRow = 0, bandRows = 0; // the rows `counts` holds
  /// Where the cells start: numRows + 1 and numCols + 1 entries, shared by
  /// the bands of a grid.
  struct Layout {
    std::vector<int64_t> rowStart, colStart;
  };
  std::shared_ptr<const Layout> layout;
  std::vector<int64_t> counts; // bandRows * numCols
  /// The cell row/column holding query q / key k.
  int64_t rowOf(int64_t q) const;
  int64_t colOf(int64_t k) const;
  /// Calls fn(r, c, qa, qb, ka, kb) for each piece of the rectangle in one
  /// cell of the band.
  template <typename Fn>
  void forPieces(int64_t q0, int64_t q1, int64_t k0, int64_t k1, Fn fn) const;
};

/// A framed text picture, one character per cell: blank for no allowed pair,
/// full block ('#') when all are allowed, and three shades in between
/// (unicode: ░ ▒ ▓, ASCII: . : +) for < 1/3, < 2/3 and < 1. Query rows run top
/// to bottom, keys left to right; the first and last indices label the axes.
std::string renderTerminal(const DensityGrid &g, bool unicode = true);

/// The bytes of an 8-bit grayscale PNG, one pixel per cell, dark = allowed
/// (gray = 255 * (1 - density)).
bool encodePng(const DensityGrid &g, std::vector<uint8_t> &out,
               std::string &error);

/// A standalone SVG document: one rect per run of equal gray along a row
/// over a white background rect, viewBox "0 0 cols rows".
std::string renderSvg(const DensityGrid &g);

/// Write the pictures above atomically; errors name the path.
bool writePng(const std::string &path, const DensityGrid &g,
              std::string &error);
bool writeSvg(const std::string &path, const DensityGrid &g,
              std::string &error);
/// Whether writeImage() knows the format of `path` (else the error it would
/// give), so that a command can refuse a bad path before any work.
bool checkImagePath(const std::string &path, std::string &error);
/// Picks the format by extension (.png or .svg, any case).
bool writeImage(const std::string &path, const DensityGrid &g,
                std::string &error);

} // namespace attn

#endif // ATTNC_TOOLS_RENDER_H
