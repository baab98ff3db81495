// Host checker for the CUDA emitter: compiled together with a generated
// translation unit (as plain C++, -include GENERATED.cu), it compares
// AttnPattern::mask with `attnc mask` (.npy) over the whole grid, checks that
// AttnPattern::classify is sound on tiles of several sizes (EMPTY tiles hold
// no allowed pair, FULL tiles only allowed pairs) and, when given
// `attnc blockmap --json` output, that the 64x64 classification is exactly
// the CPU backend's.
//
// usage: cuda-host-check MASK.npy HEADS NQ NK [--params P...] [--blockmap JSON]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

static int failures = 0;
static void report(const char *what, long long h, long long a, long long b,
                   long long c, long long d, int got, int want) {
  if (++failures <= 10)
    std::fprintf(stderr, "MISMATCH %s head %lld [%lld %lld %lld %lld]: got %d, "
                         "expected %d\n",
                 what, h, a, b, c, d, got, want);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MASK.npy HEADS NQ NK [--params P...] "
                         "[--blockmap JSON]\n", argv[0]);
    return 2;
  }
  const long long heads = std::atoll(argv[2]), nq = std::atoll(argv[3]),
                  nk = std::atoll(argv[4]);
  std::vector<attn_i64> params(ATTN_MAX_PARAMS, 0);
  std::string blockmapPath;
  int np = 0;
  for (int i = 5; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--params")) {
      while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2))
        params[np++] = std::atoll(argv[++i]);
    } else if (!std::strcmp(argv[i], "--blockmap") && i + 1 < argc) {
      blockmapPath = argv[++i];
    }
  }
  // .npy: magic, version, header length, header, then bool bytes.
  std::ifstream in(argv[1], std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 10 || bytes.compare(1, 5, "NUMPY")) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  size_t headerLen = bytes[6] == 1
                         ? (unsigned char)bytes[8] | ((unsigned char)bytes[9] << 8)
                         : 0;
  size_t offset = bytes[6] == 1 ? 10 + headerLen : 0;
  if (bytes[6] != 1 || bytes.size() - offset != (size_t)(heads * nq * nk)) {
    std::fprintf(stderr, "unexpected .npy layout in %s\n", argv[1]);
    return 2;
  }
  const char *want = bytes.data() + offset;
  auto at = [&](long long h, long long q, long long k) {
    return want[(h * nq + q) * nk + k] != 0;
  };

  // 1. The element predicate, everywhere (batch 0 and 3: the mask ignores b).
  long long allowed = 0;
  for (long long h = 0; h < heads; ++h)
    for (long long q = 0; q < nq; ++q)
      for (long long k = 0; k < nk; ++k) {
        bool w = at(h, q, k);
        allowed += w;
        for (long long b : {0LL, 3LL}) {
          bool got = AttnPattern::mask(b, h, q, k, nq, nk, params.data());
          if (got != w)
            report("mask", h, b, q, k, 0, got, w);
        }
      }

  // 2. Classifier soundness on several tilings (incl. ragged edges).
  const long long tilings[][2] = {{64, 64}, {16, 16}, {32, 64}, {7, 13},
                                  {1, 1},   {128, 32}};
  long long tiles = 0, decided = 0;
  for (auto &t : tilings) {
    for (long long h = 0; h < heads; ++h)
      for (long long q0 = 0; q0 < nq; q0 += t[0])
        for (long long k0 = 0; k0 < nk; k0 += t[1]) {
          long long q1 = q0 + t[0] < nq ? q0 + t[0] : nq;
          long long k1 = k0 + t[1] < nk ? k0 + t[1] : nk;
          int c = AttnPattern::classify(0, h, q0, q1, k0, k1, nq, nk,
                                        params.data());
          ++tiles;
          if (c < 0 || c > 2) {
            report("classify range", h, q0, q1, k0, k1, c, 1);
            continue;
          }
          if (c == 1)
            continue;
          ++decided;
          bool any = false, all = true;
          for (long long q = q0; q < q1; ++q)
            for (long long k = k0; k < k1; ++k) {
              bool w = at(h, q, k);
              any |= w;
              all &= w;
            }
          if ((c == 0 && any) || (c == 2 && !all))
            report("classify", h, q0, q1, k0, k1, c, all ? 2 : any ? 1 : 0);
        }
  }

  // 3. The 64x64 classification equals the CPU backend's block map.
  long long compared = 0;
  if (!blockmapPath.empty()) {
    std::ifstream jf(blockmapPath);
    std::stringstream ss;
    ss << jf.rdbuf();
    std::string json = ss.str();
    // {"heads": [{"rows": [{"full": [..], "partial": [..]}, ...]}, ...]}
    size_t pos = json.find("\"heads\"");
    long long numQ = (nq + 63) / 64, numK = (nk + 63) / 64;
    auto readList = [&](const char *key, std::vector<long long> &out) {
      pos = json.find(key, pos);
      size_t open = json.find('[', pos), close = json.find(']', open);
      std::string body = json.substr(open + 1, close - open - 1);
      for (char &ch : body)
        if (ch == ',')
          ch = ' ';
      std::istringstream is(body);
      long long v;
      while (is >> v)
        out.push_back(v);
      pos = close;
    };
    std::vector<std::vector<int>> rows; // per (map head, query tile)
    while (json.find("\"full\"", pos) != std::string::npos) {
      std::vector<long long> full, partial;
      readList("\"full\"", full);
      readList("\"partial\"", partial);
      std::vector<int> row(numK, 0);
      for (long long kt : full)
        row[kt] = 2;
      for (long long kt : partial)
        row[kt] = 1;
      rows.push_back(row);
    }
    long long mapHeads = (long long)rows.size() / numQ;
    if ((long long)rows.size() % numQ || (mapHeads != 1 && mapHeads != heads)) {
      std::fprintf(stderr, "blockmap JSON has %zu rows for %lld query tiles "
                           "and %lld heads\n", rows.size(), numQ, heads);
      return 1;
    }
    for (long long h = 0; h < heads; ++h)
      for (long long r = 0; r < numQ; ++r) {
        const std::vector<int> &cpu = rows[(mapHeads == 1 ? 0 : h) * numQ + r];
        for (long long kt = 0; kt < numK; ++kt) {
          long long q0 = r * 64, k0 = kt * 64;
          long long q1 = q0 + 64 < nq ? q0 + 64 : nq;
          long long k1 = k0 + 64 < nk ? k0 + 64 : nk;
          int c = AttnPattern::classify(0, h, q0, q1, k0, k1, nq, nk,
                                        params.data());
          ++compared;
          if (c != cpu[kt])
            report("blockmap", h, q0, q1, k0, k1, c, cpu[kt]);
        }
      }
    if (compared != heads * numQ * numK) {
      std::fprintf(stderr, "blockmap JSON has %lld tiles, expected %lld\n",
                   compared, heads * numQ * numK);
      return 1;
    }
  }
  std::printf("%s: heads %lld seq %lldx%lld: %lld of %lld pairs allowed, "
              "%lld tiles (%lld decided), %lld block-map tiles\n",
              failures ? "FAIL" : "OK", heads, nq, nk, allowed,
              heads * nq * nk, tiles, decided, compared);
  return failures ? 1 : 0;
}
