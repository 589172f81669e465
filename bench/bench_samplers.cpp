// Generative samplers: sampling throughput and reverse-KL training-step time on CPU.
//
// Sample run:  bench_samplers                  (2 s per measurement, 1 torch thread)
//              bench_samplers --seconds 1 --threads 2 --no-128
//
// Measured, each in one process, freshly initialised (untrained) weights:
//   - VAN (PixelCNN, published defaults depth 3, width 16, half kernel 6, Z2) at N = 8
//     by default (--van-sizes 8,16,32: N = 16 takes minutes, N = 32 tens of minutes):
//     sampling and training step;
//   - RiGCS (N0 = 2 with the same PixelCNN as coarse model, nets 16 channels, kernels
//     5, 5) at N = 16, 32, 64 (and 128): sampling, and the training step; then the
//     ratio of a training step to drawing the same 100 samples (both measured here),
//     and a profile of the step's parts (--profile);
//   - MLMC-HB at N = 16, 32, 64: sampling;
//   - HAN (the campaign deck's nets: width 4 per input spin, one hidden layer, Z2) at N = 16, 32, 64
//     (--han-sizes; 0 = none): sampling at the RiGCS batch, and the training step.
// Sampling: one warm-up call (unless --no-warmup), then calls of `batch` samples until `seconds` of wall
// time have passed (at least one); samples per wall second and per CPU second of the
// process are printed. Training: ReverseKlTrainer (SerialCommunicator, beta 0.44,
// batch 100), one warm-up step, then steps until `seconds` have passed (at least 1);
// the median seconds per step is printed. Timings with untrained weights: the cost of
// the nets does not depend on the weights.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "rigcs/core/allocator.hpp"
#include "rigcs/core/blas_threads.hpp"
#include "rigcs/parallel/communicator.hpp"
#include "rigcs/physics/ising_torch.hpp"
#include "rigcs/samplers/han.hpp"
#include "rigcs/samplers/mlmc_hb.hpp"
#include "rigcs/samplers/rigcs_sampler.hpp"
#include "rigcs/samplers/van.hpp"
#include "rigcs/train/reverse_kl.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

bool g_warmup = true;  // one untimed call before each measurement

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// The BLAS library actually mapped into this process (Debian's libblas.so.3 is an
// alternatives link: the path names the implementation, e.g. .../openblas-pthread/).
std::string mapped_blas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::vector<std::string> found;
  while (std::getline(maps, line)) {
    const auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    const std::string path = line.substr(pos);
    if ((path.find("blas") != std::string::npos || path.find("lapack") != std::string::npos) &&
        std::find(found.begin(), found.end(), path) == found.end())
      found.push_back(path);
  }
  std::string out;
  for (const auto& p : found) out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "(no blas library mapped)" : out;
}

struct SampleRate {
  std::int64_t batch = 0;
  int calls = 0;
  double wall_per_s = 0;  // samples per wall second
  double cpu_per_s = 0;   // samples per CPU second of the process
  double median_call_s = 0;
};

SampleRate time_sampling(rigcs::GenerativeSampler& model, std::int64_t batch, double seconds,
                         std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  if (g_warmup) model.sample(batch, gen);  // warm-up (allocations, oneDNN primitive caches)
  std::vector<double> calls;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = clock_type::now();
  do {
    const auto t = clock_type::now();
    auto s = model.sample(batch, gen);
    calls.push_back(since(t));
    if (s.spins.size(0) != batch) {
      std::fprintf(stderr, "sampler returned %lld samples, asked for %lld\n",
                   static_cast<long long>(s.spins.size(0)), static_cast<long long>(batch));
      std::exit(1);
    }
  } while (since(t0) < seconds);
  const double wall = since(t0);
  const double cpu = process_cpu_seconds() - cpu0;
  SampleRate r;
  r.batch = batch;
  r.calls = static_cast<int>(calls.size());
  r.wall_per_s = static_cast<double>(batch) * r.calls / wall;
  r.cpu_per_s = static_cast<double>(batch) * r.calls / cpu;
  r.median_call_s = median(calls);
  return r;
}

struct StepTime {
  int steps = 0;
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
};

StepTime time_training(rigcs::GenerativeSampler& model, double seconds, std::int64_t batch = 100) {
  rigcs::SerialCommunicator comm;
  rigcs::ReverseKlOptions opt;
  opt.beta = 0.44;
  opt.batch = batch;
  opt.seed = 7;
  rigcs::ReverseKlTrainer trainer(model, opt, comm);
  if (g_warmup) trainer.step();  // warm-up
  std::vector<double> steps;
  const auto t0 = clock_type::now();
  do {
    const auto t = clock_type::now();
    trainer.step();
    steps.push_back(since(t));
  } while (since(t0) < seconds);
  StepTime r;
  r.steps = static_cast<int>(steps.size());
  r.median_s = median(steps);
  r.min_s = *std::min_element(steps.begin(), steps.end());
  r.max_s = *std::max_element(steps.begin(), steps.end());
  return r;
}

void print_sampling(const char* kind, int n, const SampleRate& r) {
  std::printf("%-8s N=%-4d sample  batch %5lld  calls %4d  %10.4g samples/s (wall)  %10.4g samples/CPU s  median call %.4f s\n",
              kind, n, static_cast<long long>(r.batch), r.calls, r.wall_per_s, r.cpu_per_s,
              r.median_call_s);
  std::fflush(stdout);
}

void print_training(const char* kind, int n, const StepTime& r, std::int64_t batch = 100) {
  std::printf("%-8s N=%-4d train   batch %5lld  steps %4d  median %.4f s/step  (min %.4f, max %.4f)\n",
              kind, n, static_cast<long long>(batch), r.steps, r.median_s, r.min_s, r.max_s);
  std::fflush(stdout);
}

// Median wall seconds of f() over calls until `seconds` have passed (one warm-up call).
template <class F>
double median_seconds(F&& f, double seconds) {
  if (g_warmup) f();
  std::vector<double> t;
  const auto t0 = clock_type::now();
  do {
    const auto t1 = clock_type::now();
    f();
    t.push_back(since(t1));
  } while (since(t0) < seconds);
  return median(t);
}

// The parts of a RiGCS training step at batch b, each timed alone as the trainer runs
// it: drawing without gradients; drawing with the gradient sweep (sample_with_grad,
// which includes the coarse PixelCNN's log q with its graph); the energy; the
// backward pass of the loss (the coarse PixelCNN's backward and the attached
// per-sample gradients); Adam; the whole step.
void profile_step(rigcs::RigcsSampler& model, std::int64_t b, double seconds) {
  torch::Generator gen = at::detail::createCPUGenerator(5);
  auto params = model.parameters();
  torch::optim::Adam adam(params, torch::optim::AdamOptions(1e-3));
  const double t_sample = median_seconds([&] { torch::NoGradGuard g; model.sample(b, gen); }, seconds);
  const double t_fused = median_seconds([&] { model.sample_with_grad(b, gen); }, seconds);
  auto drawn = model.sample_with_grad(b, gen);
  const double t_energy =
      median_seconds([&] { rigcs::ising_energy(drawn.spins.to(torch::kFloat64), 1.0).sum().item<double>(); }, seconds);
  const double t_coarse = median_seconds(
      [&] {
        const int s0 = model.partition().coarsest_stride();
        auto c = drawn.spins.slice(1, 0, model.lattice_size(), s0).slice(2, 0, model.lattice_size(), s0).contiguous();
        model.coarse().log_prob(c).sum().backward();
      },
      seconds);
  // The backward pass alone: a fresh draw (untimed), then its backward (timed).
  std::vector<double> back;
  const auto tb0 = clock_type::now();
  do {
    auto d = model.sample_with_grad(b, gen);
    const auto t1 = clock_type::now();
    d.log_q.sum().backward();
    back.push_back(since(t1));
  } while (since(tb0) < seconds);
  const double t_backward = median(back);
  const double t_adam = median_seconds([&] { adam.step(); }, seconds);
  std::printf("rigcs    N=%-4d profile batch %5lld  sample %.4f s | sample_with_grad %.4f s | backward %.4f s"
              " (coarse PixelCNN log q + backward alone %.4f s) | energy %.4f s | Adam %.4f s\n",
              model.lattice_size(), static_cast<long long>(b), t_sample, t_fused, t_backward, t_coarse, t_energy,
              t_adam);
  std::fflush(stdout);
}

std::unique_ptr<rigcs::RigcsSampler> make_rigcs(int blocks) {
  rigcs::RigcsOptions o;
  o.coarsest_size = 2;
  o.blocks = blocks;
  o.beta = 0.44;
  o.channels = 16;
  o.kernel1 = 5;
  o.kernel2 = 5;
  return std::make_unique<rigcs::RigcsSampler>(
      o, std::make_shared<rigcs::VanSampler>(2, rigcs::PixelCnnOptions{}));
}

void usage() {
  std::fprintf(stderr,
               "usage: bench_samplers [--seconds S] [--threads T] [--van-batch B]\n"
               "                      [--rigcs-batch B] [--van-sizes 8,16] [--rigcs-sizes 16,32,64]\n"
               "                      [--han-sizes 16,32,64]\n"
               "                      [--no-128] [--no-hb] [--no-train] [--no-warmup]\n"
               "                      [--gradient-path incremental|patches] [--profile]\n"
               "  --seconds S      wall seconds per measurement (default 2)\n"
               "  --threads T      torch intra-op threads (default 1)\n"
               "  --van-batch B    VAN sampling batch (default 100)\n"
               "  --rigcs-batch B  RiGCS and MLMC-HB sampling batch (default 1000)\n"
               "  --no-128         skip RiGCS at N = 128\n"
               "  --van-sizes L    VAN lattice sizes, comma separated (default 8; 0 = none)\n"
               "  --rigcs-sizes L  RiGCS sizes 2*2^B, comma separated (default 16,32,64)\n"
               "  --han-sizes L    HAN sizes 2^k, comma separated (default 16,32,64; 0 = none)\n"
               "  --no-hb          skip MLMC-HB\n"
               "  --no-train       skip the training-step measurements\n"
               "  --no-warmup      no untimed call before each measurement (for slow cases)\n"
               "  --gradient-path P  RiGCS training gradient: incremental (default on the CPU) or\n"
               "                   patches (autograd through the batched window pass, the reference)\n"
               "  --profile        time the parts of a RiGCS training step at batch 100\n");
}

}  // namespace

int main(int argc, char** argv) {
  rigcs::keep_freed_memory_for_reuse();  // as the rigcs executable does
  double seconds = 2.0;
  int threads = 1;
  std::int64_t van_batch = 100;
  std::int64_t rigcs_batch = 1000;
  bool with_128 = true;
  bool train = true;
  bool with_hb = true;
  std::vector<int> van_sizes = {8};  // 16 and 32 take minutes (see doc/benchmarks.md)
  std::vector<int> rigcs_sizes = {16, 32, 64};
  std::vector<int> han_sizes = {16, 32, 64};
  rigcs::GradientPath gradient_path = rigcs::GradientPath::Automatic;
  bool profile = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--seconds" && has_value) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--threads" && has_value) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--van-batch" && has_value) {
      van_batch = std::atoll(argv[++i]);
    } else if (a == "--rigcs-batch" && has_value) {
      rigcs_batch = std::atoll(argv[++i]);
    } else if (a == "--van-sizes" && has_value) {
      van_sizes.clear();
      for (const char* p = argv[++i]; *p;) {
        char* end = nullptr;
        const long v = std::strtol(p, &end, 10);
        if (end == p) break;
        if (v > 0) van_sizes.push_back(static_cast<int>(v));
        p = *end == ',' ? end + 1 : end;
      }
    } else if (a == "--rigcs-sizes" && has_value) {
      rigcs_sizes.clear();
      for (const char* p = argv[++i]; *p;) {
        char* end = nullptr;
        const long v = std::strtol(p, &end, 10);
        if (end == p) break;
        if (v > 0) rigcs_sizes.push_back(static_cast<int>(v));
        p = *end == ',' ? end + 1 : end;
      }
    } else if (a == "--han-sizes" && has_value) {
      han_sizes.clear();
      for (const char* p = argv[++i]; *p;) {
        char* end = nullptr;
        const long v = std::strtol(p, &end, 10);
        if (end == p) break;
        if (v > 0) han_sizes.push_back(static_cast<int>(v));
        p = *end == ',' ? end + 1 : end;
      }
    } else if (a == "--gradient-path" && has_value) {
      const std::string v = argv[++i];
      if (v != "incremental" && v != "patches") {
        usage();
        return 1;
      }
      gradient_path = v == "patches" ? rigcs::GradientPath::Patches : rigcs::GradientPath::Incremental;
    } else if (a == "--profile") {
      profile = true;
    } else if (a == "--no-warmup") {
      g_warmup = false;
    } else if (a == "--no-hb") {
      with_hb = false;
    } else if (a == "--no-128") {
      with_128 = false;
    } else if (a == "--no-train") {
      train = false;
    } else {
      usage();
      return a == "--help" || a == "-h" ? 0 : 1;
    }
  }
  if (!(seconds > 0) || threads < 1 || van_batch < 1 || rigcs_batch < 1) {
    usage();
    return 1;
  }
  torch::set_num_threads(threads);
  rigcs::set_blas_threads(threads);  // as the rigcs executable does (run.threads)
  torch::manual_seed(1);  // weight initialisation

  std::printf("torch threads: %d (intra-op), seconds per measurement: %.2f\n",
              torch::get_num_threads(), seconds);
  std::printf("blas mapped: %s\n", mapped_blas().c_str());
  std::printf("RiGCS incremental kernel: %s\n", rigcs::RigcsSampler::incremental_kernel_isa().c_str());
  std::fflush(stdout);
  const auto total0 = clock_type::now();

  // (a) VAN
  for (int n : van_sizes) {
    rigcs::VanSampler van(n, rigcs::PixelCnnOptions{});
    print_sampling("van", n, time_sampling(van, van_batch, seconds, 11));
    if (train) print_training("van", n, time_training(van, seconds));
  }

  // (b) RiGCS: N = 2 * 2^B. Sampling at the sampling batch, then the training step at
  // batch 100 and drawing the same 100 samples, in this process one after the other.
  std::vector<int> sizes = rigcs_sizes;
  if (with_128 && std::find(sizes.begin(), sizes.end(), 128) == sizes.end()) sizes.push_back(128);
  std::vector<std::string> ratios;
  for (int rn : sizes) {
    int blocks = 0;
    while ((2 << blocks) < rn) ++blocks;
    if ((2 << blocks) != rn) {
      std::fprintf(stderr, "RiGCS sizes must be 2 * 2^B, got %d\n", rn);
      return 1;
    }
    auto model = make_rigcs(blocks);
    model->set_gradient_path(gradient_path);
    const int n = model->lattice_size();
    // N = 128: fewer samples per call, so that one call stays near a second.
    const std::int64_t batch = n >= 128 ? std::max<std::int64_t>(1, rigcs_batch / 10) : rigcs_batch;
    print_sampling("rigcs", n, time_sampling(*model, batch, seconds, 13));
    if (!train) continue;
    const auto draw100 = time_sampling(*model, 100, seconds, 14);
    const auto step = time_training(*model, seconds);
    print_training("rigcs", n, step);
    const double ratio = step.median_s / draw100.median_call_s;
    char line[256];
    std::snprintf(line, sizeof line, "| %d | %.4f s | %.4f s | %.2f |", n, step.median_s, draw100.median_call_s, ratio);
    ratios.push_back(line);
    if (profile) profile_step(*model, 100, seconds);
  }
  if (!ratios.empty()) {
    std::printf("\nRiGCS training step / drawing the same batch (100), gradient path %s, %d thread(s):\n"
                "| N | training step | drawing 100 samples | ratio |\n| --- | --- | --- | --- |\n",
                gradient_path == rigcs::GradientPath::Patches ? "patches" : "incremental", threads);
    for (const auto& l : ratios) std::printf("%s\n", l.c_str());
    std::fflush(stdout);
  }

  // (c) MLMC-HB
  if (with_hb) for (int blocks : {3, 4, 5}) {
    rigcs::MlmcHbOptions o;
    o.coarsest_size = 2;
    o.blocks = blocks;
    o.beta = 0.44;
    rigcs::MlmcHbSampler hb(o);
    print_sampling("mlmc_hb", hb.lattice_size(), time_sampling(hb, rigcs_batch, seconds, 17));
  }

  // (d) HAN: sampling at the RiGCS batch, the training step at batch 100 (as RiGCS).
  for (int n : han_sizes) {
    if (n < 2 || (n & (n - 1)) != 0) {
      std::fprintf(stderr, "HAN sizes must be 2^k, got %d\n", n);
      return 1;
    }
    rigcs::HanOptions o;
    o.size = n;
    o.beta = 0.44;
    o.width = o.boundary_width = 4;  // as input/campaign/han.ini
    o.depth = o.boundary_depth = 1;
    rigcs::HanSampler han(o);
    print_sampling("han", n, time_sampling(han, rigcs_batch, seconds, 19));
    if (train) print_training("han", n, time_training(han, seconds));
  }

  std::printf("total wall time: %.1f s\n", since(total0));
  return 0;
}
