// Times phi^4 RiGCS (samplers/rigcs_field.hpp) on the CPU through its two paths, the
// incremental kernel and the patch tensors through autograd, in one run so that the
// ratio is measured under one load. Per path: a training step's model work (draw the
// batch with the graph of log q, backward of its mean; no action, no optimiser) and a
// plain draw without gradient. Repetitions alternate the paths; medians are printed.
//
//   bench_phi4_rigcs [--n 32] [--batch 256] [--reps 3] [--threads 1] [--paths both]
//
// The nets are those of input/phi4/generative_rigcs.ini (PixelCNN depth 3, width 16,
// 13x13 on the 2x2 coarsest lattice; conditional CNNs 16 channels, 5x5 + 5x5; H = 3),
// at their random initialisation: the cost does not depend on the weights.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/samplers/rigcs_field.hpp"
#include "rigcs/samplers/van.hpp"

namespace {

struct Args {
  int n = 32;
  std::int64_t batch = 256;
  int reps = 3;
  int threads = 1;
  std::string paths = "both";
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_phi4_rigcs: %s\nusage: bench_phi4_rigcs [--n N (power of 2, >= 4)] [--batch B >= 1] "
               "[--reps R >= 1] [--threads T >= 1] [--paths both|incremental|patches]\n",
               why.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage("missing value for " + key);
    const std::string v = argv[++i];
    if (key == "--n") a.n = std::stoi(v);
    else if (key == "--batch") a.batch = std::stoll(v);
    else if (key == "--reps") a.reps = std::stoi(v);
    else if (key == "--threads") a.threads = std::stoi(v);
    else if (key == "--paths") a.paths = v;
    else usage("unknown option " + key);
  }
  if (a.n < 4 || (a.n & (a.n - 1)) != 0) usage("--n must be a power of 2 >= 4, got " + std::to_string(a.n));
  if (a.batch < 1 || a.reps < 1 || a.threads < 1) usage("--batch, --reps and --threads must be >= 1");
  if (a.paths != "both" && a.paths != "incremental" && a.paths != "patches")
    usage("--paths must be both, incremental or patches, got " + a.paths);
  return a;
}

std::unique_ptr<rigcs::RigcsFieldSampler> make_model(int n) {
  rigcs::PixelCnnOptions c;
  c.depth = 3;
  c.width = 16;
  c.half_kernel = 6;
  c.mixture_components = 3;
  rigcs::RigcsFieldOptions o;
  o.coarsest_size = 2;
  o.blocks = 0;
  for (int m = 2; m < n; m *= 2) ++o.blocks;
  torch::manual_seed(1);
  return std::make_unique<rigcs::RigcsFieldSampler>(o, std::make_shared<rigcs::VanSampler>(2, c));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  torch::set_num_threads(a.threads);
  auto model = make_model(a.n);
  std::vector<std::pair<std::string, rigcs::FieldPath>> paths;
  if (a.paths != "patches") paths.emplace_back("incremental", rigcs::FieldPath::Incremental);
  if (a.paths != "incremental") paths.emplace_back("patches", rigcs::FieldPath::Patches);
  std::map<std::string, std::vector<double>> step, draw;
  auto gen = at::detail::createCPUGenerator(7);
  std::printf("phi^4 RiGCS, N = %d, batch %lld, %d torch thread(s), %d repetitions\n", a.n,
              static_cast<long long>(a.batch), a.threads, a.reps);
  for (int r = 0; r < a.reps; ++r) {
    for (const auto& [name, path] : paths) {
      model->set_path(path);
      auto t0 = std::chrono::steady_clock::now();
      auto drawn = model->sample_with_grad(a.batch, gen);
      drawn.log_q.mean().backward();
      step[name].push_back(seconds_since(t0));
      for (auto& p : model->named_parameters()) p.second.mutable_grad() = torch::Tensor();
      t0 = std::chrono::steady_clock::now();
      {
        torch::NoGradGuard no_grad;
        model->sample(a.batch, gen);
      }
      draw[name].push_back(seconds_since(t0));
      std::printf("  rep %d %-11s  step %.3f s  draw %.3f s\n", r + 1, name.c_str(), step[name].back(),
                  draw[name].back());
      std::fflush(stdout);
    }
  }
  std::printf("median seconds:\n");
  for (const auto& [name, path] : paths)
    std::printf("  %-11s  step %.3f  draw %.3f\n", name.c_str(), median(step[name]), median(draw[name]));
  if (paths.size() == 2)
    std::printf("patches / incremental: step %.1f, draw %.1f\n", median(step["patches"]) / median(step["incremental"]),
                median(draw["patches"]) / median(draw["incremental"]));
  return 0;
}
