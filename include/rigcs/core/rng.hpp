// Random streams. Each stream is derived from (seed, rank, stream) through
// SplitMix64 so that streams of different ranks and purposes never overlap in
// practice and do not depend on how work is split. The generator is
// xoshiro256++: fast enough for cluster updates, with a 256-bit state that is
// saved in checkpoints.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace rigcs {

// Named stream ids, so that two subsystems never draw from the same stream.
enum class StreamId : std::uint64_t {
  Mcmc = 1,
  Ais = 2,
  Init = 3,
  Training = 4,
  Sampling = 5,
  NeuralMcmc = 6,
  Test = 99,
};

class Rng {
 public:
  using result_type = std::uint64_t;
  using State = std::array<std::uint64_t, 4>;

  Rng(std::uint64_t seed, std::uint64_t rank, std::uint64_t stream) { reseed(seed, rank, stream); }
  Rng(std::uint64_t seed, std::uint64_t rank, StreamId stream)
      : Rng(seed, rank, static_cast<std::uint64_t>(stream)) {}
  explicit Rng(const State& s) : s_(s) {}

  void reseed(std::uint64_t seed, std::uint64_t rank, std::uint64_t stream) {
    // Mix the three words into one SplitMix64 seed; each word goes through a
    // full avalanche before the next is added.
    std::uint64_t x = splitmix(seed ^ 0x9E3779B97F4A7C15ULL);
    x = splitmix(x ^ rank * 0xD1B54A32D192ED03ULL);
    x = splitmix(x ^ stream * 0xAEF17502108EF2D9ULL);
    for (auto& w : s_) w = splitmix_next(x);
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n), Lemire's multiply-shift (bias < n / 2^64).
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>((*this)()) * n) >> 64);
  }

  // Threshold such that (rng() < threshold) has probability p; used in hot loops
  // to avoid an int->double conversion per draw.
  static std::uint64_t threshold(double p) {
    if (p <= 0.0) return 0;
    if (p >= 1.0) return max();
    return static_cast<std::uint64_t>(std::ldexp(p, 64));
  }

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t splitmix_next(std::uint64_t& x) {
    x += 0x9E3779B97F4A7C15ULL;
    return splitmix(x);
  }

  State s_{};
};

}  // namespace rigcs
