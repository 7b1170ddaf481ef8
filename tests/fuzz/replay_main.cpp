// Runs a libFuzzer target without libFuzzer, so every fuzz target also runs
// in CI under g++ with ASan/UBSan: first the seed corpus, then a fixed number
// of deterministic mutations of it (bit flips, truncation, splices, inserted
// and random bytes). A crash or sanitizer report fails the test.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

struct SplitMix {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n ? next() % n : 0; }
};

std::vector<std::uint8_t> mutate(const std::vector<std::uint8_t>& seed,
                                 const std::vector<std::vector<std::uint8_t>>& all, SplitMix& rng) {
  std::vector<std::uint8_t> b = seed;
  const int rounds = 1 + static_cast<int>(rng.below(4));
  for (int r = 0; r < rounds; ++r) {
    switch (rng.below(6)) {
      case 0:
        if (!b.empty()) b[rng.below(b.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
        break;
      case 1:
        b.resize(rng.below(b.size() + 1));
        break;
      case 2:
        b.insert(b.begin() + static_cast<long>(rng.below(b.size() + 1)),
                 static_cast<std::uint8_t>(rng.next()));
        break;
      case 3:
        if (!b.empty()) b[rng.below(b.size())] = static_cast<std::uint8_t>(rng.next());
        break;
      case 4: {
        const auto& other = all[rng.below(all.size())];
        std::size_t cut = rng.below(b.size() + 1), from = rng.below(other.size() + 1);
        b.resize(cut);
        b.insert(b.end(), other.begin() + static_cast<long>(from), other.end());
        break;
      }
      default: {
        std::size_t n = rng.below(64);
        for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(rng.next()));
      }
    }
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR ITERATIONS\n", argv[0]);
    return 2;
  }
  std::vector<std::vector<std::uint8_t>> seeds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1], ec)) {
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seed inputs in %s\n", argv[1]);
    return 1;
  }
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
  SplitMix rng{0x5eed};
  const long iterations = std::atol(argv[2]);
  for (long i = 0; i < iterations; ++i) {
    auto input = mutate(seeds[rng.below(seeds.size())], seeds, rng);
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("fuzz replay: %zu seeds, %ld mutated inputs, no crash\n", seeds.size(), iterations);
  return 0;
}
