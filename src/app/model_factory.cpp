#include "model_factory.hpp"

#include <sstream>

#include <torch/torch.h>

#include "rigcs/app/command.hpp"
#include "rigcs/core/blas_threads.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"
#include "rigcs/samplers/han.hpp"
#include "rigcs/samplers/mlmc_hb.hpp"
#include "rigcs/samplers/rigcs_sampler.hpp"
#include "rigcs/samplers/rigcs_field.hpp"
#include "rigcs/samplers/van.hpp"
#include "rigcs/train/checkpoint.hpp"

namespace rigcs {

void declare_sampler_keys(ParamRegistry& r) {
  r.add_string("sampler.kind", "rigcs", "generative sampler: van (PixelCNN on the full lattice), "
               "mlmc_hb (multilevel heat bath), rigcs (multilevel conditional nets: CNNs, or transformers with "
               "rigcs.conditional), han (hierarchical autoregressive MADEs, N = 2^k); model.kind = phi4: van and "
               "rigcs, with Gaussian-mixture heads",
               {"van", "mlmc_hb", "rigcs", "han"})
      .add_int("sampler.mixture_components", 3, 1, 64,
               "model.kind = phi4: Gaussian-mixture components per site of every net's output (VAN, RiGCS; paper H.4)")
      .add_int("van.depth", 3, 1, 64, "masked convolutions of the PixelCNN (VAN, and the coarsest RiGCS level)")
      .add_int("van.width", 16, 1, 1024, "channels of the PixelCNN")
      .add_int("van.half_kernel", 6, 1, 64, "PixelCNN kernel is (2h+1) x (2h+1)")
      .add_bool("van.z2", true, "Z2 symmetrisation of the PixelCNN (random global flip)")
      .add_bool("van.residual", true, "residual blocks in the PixelCNN")
      .add_int("multilevel.N0", 2, 1, 4, "coarsest lattice size N0 of rigcs and mlmc_hb; N = N0 * 2^B")
      .add_int("rigcs.channels", 16, 1, 1024, "channels of the conditional CNNs (published runs: 16)")
      .add_int("rigcs.kernel1", 5, 1, 31, "first kernel of the conditional CNNs (odd)")
      .add_int("rigcs.kernel2", 5, 1, 31, "second kernel of the conditional CNNs (odd)")
      .add_string("rigcs.conditional", "cnn",
                  "architecture of the conditional nets: cnn (published) or transformer (paper appendix H.3: an "
                  "encoder-only transformer; what it sees is rigcs.transformer_context)",
                  {"cnn", "transformer"})
      .add_string("rigcs.transformer_context", "lattice",
                  "transformer conditionals: lattice (the block's whole fine lattice, causal in the level's drawing "
                  "order, one token per site) or window (the CNN's (kernel1 + kernel2 - 1)^2 window per site, with "
                  "its masks: about window^2 times the cost per site); position biases cover displacements inside "
                  "the window either way",
                  {"lattice", "window"})
      .add_int("rigcs.transformer_depth", 5, 1, 64, "transformer conditionals: encoder blocks (paper: 5)")
      .add_int("rigcs.transformer_heads", 8, 1, 64, "transformer conditionals: attention heads (paper: 8)")
      .add_int("rigcs.transformer_width", 64, 1, 4096,
               "transformer conditionals: model width, a multiple of rigcs.transformer_heads (not stated in the paper)")
      .add_int("rigcs.transformer_ff", 1024, 1, 65536, "transformer conditionals: feed-forward units (paper: 1024)")
      .add_int("han.width", 4, 1, 64,
               "hidden units per layer of each HAN cross net, per input spin (border + cross) of the net; "
               "4 with one layer trains well at 8x8 to 32x32, two layers trained far slower")
      .add_int("han.depth", 1, 1, 16, "hidden layers of each HAN cross net")
      .add_int("han.boundary_width", 4, 1, 64,
               "hidden units per layer of the HAN boundary net (row 0 and column 0), per boundary site")
      .add_int("han.boundary_depth", 1, 1, 16, "hidden layers of the HAN boundary net")
      .add_bool("han.z2", true, "Z2 symmetrisation of HAN (random global flip)")
      .add_real_list("mlmc_hb.couplings", "", -100, 100,
                     "override of the MLMC-HB couplings K_0..K_L (empty: RG recursion K_{l-1} = 3/8 log cosh 4K_l)");
}

void declare_train_keys(ParamRegistry& r) {
  r.add_int("train.steps", 1000, 0, 100000000, "training steps (van, mlmc_hb; every rigcs stage unless train.stage_steps)")
      .add_int("train.batch", 100, 1, 100000000, "global batch per step, split over the ranks")
      .add_real("train.lr", 1e-3, 0, 10, "Adam learning rate", true)
      .add_int_list("train.stage_steps", "", 0, 100000000,
                    "rigcs: steps per stage 0..B (stage k trains N0*2^k); empty: train.steps each. Published: 500,500,1000,2000,1500,1500,2000. "
                    "With none of train.steps, train.batch, train.lr, train.stage_* in the deck, rigcs trains with the built-in "
                    "schedule, per stage of size n: steps 300 (n <= 4), 500 (8), 1500 (16), 8000 (32), 6000 (64), 4000 (128 and up); "
                    "batch 1024 (n <= 32), 512 (64), 128 (128 and up); lr 3e-3 (n <= 16), 2e-3 (32), 1e-3 (64 and up); "
                    "train.lr_end 0.1 unless set. Validated up to N = 128 (doc/benchmarks.md: ESS 0.96, 0.86, 0.48 at N = 32, 64, 128); "
                    "the run file records the schedule "
                    "used in /train attribute 'schedule'")
      .add_int_list("train.stage_batch", "", 1, 100000000,
                    "rigcs: batch per stage; empty: train.batch each. Published: 10000,10000,10000,5024,512,96,16")
      .add_real_list("train.stage_lr", "", 0, 10, "rigcs: Adam learning rate per stage; empty: train.lr each", true)
      .add_real("train.lr_end", 1.0, 1e-6, 1,
                "learning rate at the end of each stage as a fraction of its start, reached by cosine decay; 1: constant")
      .add_real("train.beta_anneal", 0.0, 0, 0.999999,
                "anneal the target as in the VAN paper (Wu, Wang, Zhang 2019): step k of each stage trains on "
                "exp(-a_k S) with a_k = 1 - beta_anneal^k (Ising: a_k beta H), rising from about 0 to 1 (e.g. 0.998: "
                "a_k = 0.63 at step 500, 0.98 at 2000); keeps a deep VAN from collapsing onto the ground states early. "
                "The logged mean f and ESS are those of the true target; 0: no annealing")
      .add_int("train.checkpoint_every", 100, 1, 100000000, "steps between checkpoints (and at the end of every stage)")
      .add_int("train.job_steps", 0, 0, 100000000,
               "stop cleanly after this many steps in this job (checkpointed; the next run resumes); 0: no limit")
      .add_real("train.collapse_entropy", 0.75, 0, 1e9,
                "stop when the batch entropy -<log q> stays below this many nats for 5 steps: a model collapsed onto "
                "one configuration (0) or one pair s, -s (ln 2 = 0.693), while p has more; 0 switches the check off "
                "(needed deep in the ordered phase, beta J > 0.9 on small lattices, where p itself nears ln 2)")
      .add_string("train.init_model", "",
                  "rigcs: run file of a trained (or checkpointed) rigcs model at a smaller N, with the same architecture "
                  "and multilevel.N0; a fresh training starts at the stage after that N with its weights (model transfer), "
                  "continuing its training time and history, so N = 128 can grow from a trained N = 64. The file is "
                  "only read; empty: start at stage 0")
      .add_bool("train.fit", false, "mlmc_hb: fit the couplings by reverse KL (same as --fit); otherwise 0 steps");
}

void declare_sample_keys(ParamRegistry& r) {
  r.add_int("sample.count", 10000, 1, std::int64_t{1} << 40, "samples to draw from the trained model, split over the ranks")
      .add_int("sample.chunk", 1000, 1, 100000000, "samples per rank drawn, then appended to the run file, at a time")
      .add_bool("sample.save_spins", false, "store the configurations (int8) in /samples/spins")
      .add_int("sample.p_count", 2000, 0, std::int64_t{1} << 40,
               "Wolff-chain configurations (from p) evaluated under the model, for EMDM and KL(p||q); 0: none")
      .add_int("sample.p_interval", 10, 1, 1000000, "Wolff clusters between those configurations")
      .add_string("sample.model", "",
                  "run file of a finished training (e.g. a shipped model under models/) whose weights are sampled: "
                  "it is copied to run.output and only read; empty: sample the training run in run.output. "
                  "Relative paths are taken from the current folder")
      .add_string("run.device", "cpu", "torch device of the model: cpu, cuda or cuda:<index>");
}

void apply_thread_setting(const Params& p) {
  const int threads = static_cast<int>(p.get_int("run.threads"));
  torch::set_num_threads(threads);
  set_blas_threads(threads);
}

int TrainingPlan::stage_size(int stage) const { return kind == "rigcs" ? n0 << stage : n; }

std::string TrainingPlan::describe() const {
  std::ostringstream os;
  auto list = [&](const char* key, const auto& v) {
    os << key << " =";
    for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : " ") << v[i];
    os << "\n";
  };
  list("stage_steps", steps);
  list("stage_batch", batch);
  list("stage_lr", lr);
  os << "lr_end = " << lr_end << "\n";
  if (default_schedule) os << "# the built-in schedule (no schedule key in the deck)\n";
  return os.str();
}

TrainingPlan make_training_plan(const Params& p) {
  TrainingPlan plan;
  plan.kind = p.get_string("sampler.kind");
  plan.n = static_cast<int>(p.get_int("model.N"));
  plan.n0 = static_cast<int>(p.get_int("multilevel.N0"));
  if (plan.kind == "han") {
    RIGCS_CHECK(plan.n >= 2 && (plan.n & (plan.n - 1)) == 0,
                "model.N = " << plan.n << " is not 2^k >= 2, as sampler.kind = han needs");
  } else if (plan.kind != "van") {
    int b = 0;
    while ((plan.n0 << b) < plan.n) ++b;
    RIGCS_CHECK((plan.n0 << b) == plan.n && b >= 1,
                "model.N = " << plan.n << " is not N0 * 2^B with multilevel.N0 = " << plan.n0
                             << " and B >= 1, as sampler.kind = " << plan.kind << " needs");
    plan.blocks = b;
  }
  const int stages = plan.kind == "rigcs" ? plan.blocks + 1 : 1;
  auto per_stage = [&](const std::string& key, auto fallback, auto list) {
    using T = typename decltype(list)::value_type;
    if (list.empty()) return std::vector<T>(static_cast<std::size_t>(stages), static_cast<T>(fallback));
    RIGCS_CHECK(plan.kind == "rigcs", key << " applies to sampler.kind = rigcs only");
    RIGCS_CHECK(static_cast<int>(list.size()) == stages,
                key << " has " << list.size() << " entries; model.N = " << plan.n << " with multilevel.N0 = "
                    << plan.n0 << " has " << stages << " stages (N = N0, 2 N0, ..., N)");
    return list;
  };
  plan.lr_end = p.get_real("train.lr_end");
  bool schedule_given = false;
  for (const char* key : {"train.steps", "train.batch", "train.lr", "train.stage_steps", "train.stage_batch",
                          "train.stage_lr"})
    schedule_given = schedule_given || p.is_set(key);
  if (plan.kind == "rigcs" && !schedule_given) {
    // The built-in schedule (rigcs help train). Per stage of lattice size n: batch and
    // steps chosen so that the stages up to 32 reach the ESS of doc/validation.md on
    // 2 ranks of the development machine; larger stages get fewer samples per step.
    plan.default_schedule = true;
    if (!p.is_set("train.lr_end")) plan.lr_end = 0.1;
    for (int stage = 0; stage < stages; ++stage) {
      const int n = plan.n0 << stage;
      plan.steps.push_back(n <= 4 ? 300 : n == 8 ? 500 : n == 16 ? 1500 : n == 32 ? 8000 : n == 64 ? 6000 : 4000);
      plan.batch.push_back(n <= 32 ? 1024 : n == 64 ? 512 : 128);
      plan.lr.push_back(n <= 16 ? 3e-3 : n == 32 ? 2e-3 : 1e-3);
    }
    return plan;
  }
  std::int64_t steps = p.get_int("train.steps");
  if (plan.kind == "mlmc_hb" && !p.get_bool("train.fit")) steps = 0;
  plan.steps = per_stage("train.stage_steps", steps, p.get_int_list("train.stage_steps"));
  plan.batch = per_stage("train.stage_batch", p.get_int("train.batch"), p.get_int_list("train.stage_batch"));
  plan.lr = per_stage("train.stage_lr", p.get_real("train.lr"), p.get_real_list("train.stage_lr"));
  return plan;
}

namespace {

// New nets draw their initial weights from torch's global generator: seed it per
// stage from the deck, so the same deck gives the same model, also when a resumed
// run grows it again.
void seed_weight_init(const Params& p, int stage) {
  torch::manual_seed(static_cast<std::uint64_t>(p.get_int("run.seed")) * 1000003ULL + static_cast<std::uint64_t>(stage));
}

// A real field (phi^4): Gaussian-mixture heads and RigcsFieldSampler.
bool real_field_model(const Params& p) { return p.get_string("model.kind") == "phi4"; }

PixelCnnOptions pixelcnn_options(const Params& p) {
  PixelCnnOptions o;
  o.depth = static_cast<int>(p.get_int("van.depth"));
  o.width = static_cast<int>(p.get_int("van.width"));
  o.half_kernel = static_cast<int>(p.get_int("van.half_kernel"));
  o.z2 = p.get_bool("van.z2");
  o.residual = p.get_bool("van.residual");
  // A real field gets the Gaussian-mixture head; Ising spins the Bernoulli head.
  if (real_field_model(p)) o.mixture_components = static_cast<int>(p.get_int("sampler.mixture_components"));
  return o;
}

// RiGCS for a real field (phi^4, appendix H.4): the CNN keys of rigcs.*, the mixture of
// sampler.mixture_components; the transformer is Ising-only.
RigcsFieldOptions rigcs_field_options(const Params& p, int blocks) {
  RIGCS_CHECK(p.get_string("rigcs.conditional") == "cnn",
              "rigcs.conditional = " << p.get_string("rigcs.conditional") << " is Ising-only; model.kind = phi4 needs cnn");
  RigcsFieldOptions o;
  o.coarsest_size = static_cast<int>(p.get_int("multilevel.N0"));
  o.blocks = blocks;
  o.channels = static_cast<int>(p.get_int("rigcs.channels"));
  o.kernel1 = static_cast<int>(p.get_int("rigcs.kernel1"));
  o.kernel2 = static_cast<int>(p.get_int("rigcs.kernel2"));
  RIGCS_CHECK(o.kernel1 % 2 == 1 && o.kernel2 % 2 == 1,
              "rigcs.kernel1 and rigcs.kernel2 must be odd, got " << o.kernel1 << " and " << o.kernel2);
  o.mixture_components = static_cast<int>(p.get_int("sampler.mixture_components"));
  return o;
}

RigcsOptions rigcs_options(const Params& p, int blocks) {
  RigcsOptions o;
  o.coarsest_size = static_cast<int>(p.get_int("multilevel.N0"));
  o.blocks = blocks;
  o.beta = p.get_real("model.beta");
  o.j = p.get_real("model.J");
  o.channels = static_cast<int>(p.get_int("rigcs.channels"));
  o.kernel1 = static_cast<int>(p.get_int("rigcs.kernel1"));
  o.kernel2 = static_cast<int>(p.get_int("rigcs.kernel2"));
  RIGCS_CHECK(o.kernel1 % 2 == 1 && o.kernel2 % 2 == 1,
              "rigcs.kernel1 and rigcs.kernel2 must be odd, got " << o.kernel1 << " and " << o.kernel2);
  o.conditional = p.get_string("rigcs.conditional") == "transformer" ? ConditionalKind::Transformer : ConditionalKind::Cnn;
  o.transformer_depth = static_cast<int>(p.get_int("rigcs.transformer_depth"));
  o.transformer_heads = static_cast<int>(p.get_int("rigcs.transformer_heads"));
  o.transformer_width = static_cast<int>(p.get_int("rigcs.transformer_width"));
  o.transformer_ff = static_cast<int>(p.get_int("rigcs.transformer_ff"));
  o.transformer_context =
      p.get_string("rigcs.transformer_context") == "window" ? TransformerContext::Window : TransformerContext::Lattice;
  RIGCS_CHECK(o.transformer_width % o.transformer_heads == 0,
              "rigcs.transformer_width = " << o.transformer_width << " must be a multiple of rigcs.transformer_heads = "
                                           << o.transformer_heads);
  return o;
}

}  // namespace

std::unique_ptr<GenerativeSampler> make_model(const Params& p, const TrainingPlan& plan, int stage) {
  seed_weight_init(p, stage);
  if (plan.kind == "van") return std::make_unique<VanSampler>(plan.n, pixelcnn_options(p));
  if (plan.kind == "han") {
    HanOptions o;
    o.size = plan.n;
    o.beta = p.get_real("model.beta");
    o.j = p.get_real("model.J");
    o.width = static_cast<int>(p.get_int("han.width"));
    o.depth = static_cast<int>(p.get_int("han.depth"));
    o.boundary_width = static_cast<int>(p.get_int("han.boundary_width"));
    o.boundary_depth = static_cast<int>(p.get_int("han.boundary_depth"));
    o.z2 = p.get_bool("han.z2");
    return std::make_unique<HanSampler>(o);
  }
  if (plan.kind == "mlmc_hb") {
    MlmcHbOptions o{plan.n0, plan.blocks, p.get_real("model.beta"), p.get_real("model.J")};
    auto m = std::make_unique<MlmcHbSampler>(o);
    const auto k = p.get_real_list("mlmc_hb.couplings");
    if (!k.empty()) {
      RIGCS_CHECK(static_cast<int>(k.size()) == 2 * plan.blocks + 1,
                  "mlmc_hb.couplings has " << k.size() << " entries; K_0..K_L needs " << 2 * plan.blocks + 1);
      m->set_couplings(k);
    }
    return m;
  }
  if (stage == 0) return std::make_unique<VanSampler>(plan.n0, pixelcnn_options(p));
  auto coarse = std::make_shared<VanSampler>(plan.n0, pixelcnn_options(p));
  if (real_field_model(p)) return std::make_unique<RigcsFieldSampler>(rigcs_field_options(p, stage), coarse);
  return std::make_unique<RigcsSampler>(rigcs_options(p, stage), coarse);
}

std::unique_ptr<GenerativeSampler> grow_model(const Params& p, GenerativeSampler& trained, int new_stage) {
  seed_weight_init(p, new_stage);
  if (auto* van = dynamic_cast<VanSampler*>(&trained)) {
    // Stage 0 -> 1: the trained PixelCNN becomes the coarsest level; the first
    // conditional nets start at random (nothing below them to copy from).
    auto coarse = std::make_shared<VanSampler>(van->lattice_size(), pixelcnn_options(p));
    {
      torch::NoGradGuard ng;
      auto dst = coarse->named_parameters();
      auto src = van->named_parameters();
      for (std::size_t i = 0; i < dst.size(); ++i) dst[i].second.copy_(src[i].second);
    }
    if (real_field_model(p)) return std::make_unique<RigcsFieldSampler>(rigcs_field_options(p, 1), coarse);
    return std::make_unique<RigcsSampler>(rigcs_options(p, 1), coarse);
  }
  if (auto* field = dynamic_cast<RigcsFieldSampler*>(&trained)) return field->grow();
  auto* r = dynamic_cast<RigcsSampler*>(&trained);
  RIGCS_CHECK(r, "internal: only rigcs models grow");
  return r->grow();
}

void load_model_weights(const H5File& f, const std::string& group, GenerativeSampler& model) {
  const NamedTensors state = read_checkpoint(f, group);
  auto find = [&](const std::string& name) -> const torch::Tensor* {
    for (const auto& kv : state)
      if (kv.first == name) return &kv.second;
    return nullptr;
  };
  torch::NoGradGuard ng;
  auto copy_all = [&](std::vector<std::pair<std::string, torch::Tensor>> items, const std::string& prefix) {
    for (auto& [name, t] : items) {
      const torch::Tensor* src = find(prefix + name);
      RIGCS_CHECK(src, f.path() << ": the checkpoint has no '" << prefix << name << "': it was written for another model");
      RIGCS_CHECK(src->sizes() == t.sizes(), f.path() << ": '" << prefix << name << "' has shape " << src->sizes()
                                                      << " in the checkpoint but " << t.sizes() << " in the model");
      t.copy_(src->to(t.device(), t.dtype()));
    }
  };
  copy_all(model.named_parameters(), "param/");
  copy_all(model.named_buffers(), "buffer/");
}

std::unique_ptr<GenerativeSampler> start_from_smaller_model(const Params& p, const TrainingPlan& plan,
                                                            const H5File& f, int& stage, double& elapsed) {
  const std::string& path = f.path();
  RIGCS_CHECK(plan.kind == "rigcs", "train.init_model grows a smaller model stage by stage: it needs sampler.kind = "
                                        "rigcs, not " << plan.kind);
  const RunHeader h = read_run_header(f);
  RIGCS_CHECK(h.kind == "train" && f.is_group("/weights") && f.is_group("/sampler"),
              "train.init_model = '" << path << "' is not a training run file with weights");
  const Params stored = full_registry().parse_text(h.deck, "stored in " + path, {});
  for (const char* key : {"sampler.kind", "van.depth", "van.width", "van.half_kernel", "van.z2", "van.residual",
                          "multilevel.N0", "rigcs.channels", "rigcs.kernel1", "rigcs.kernel2", "model.J"}) {
    RIGCS_CHECK(stored.text(key) == p.text(key), "train.init_model = '" << path << "' was trained with " << key
                                                                        << " = " << stored.text(key) << ", but the deck says "
                                                                        << p.text(key) << ": the weights would not fit");
  }
  const int n = static_cast<int>(f.attr_int64("/sampler", "N"));
  int s = -1;
  for (int k = 0; k < plan.stages(); ++k)
    if (plan.stage_size(k) == n) s = k;
  RIGCS_CHECK(s >= 0 && s + 1 < plan.stages(), "train.init_model = '" << path << "' holds a model at N = " << n
                                                                        << "; it must be a stage below model.N = " << plan.n
                                                                        << " of this deck");
  auto model = make_model(p, plan, s);
  load_model_weights(f, "/weights", *model);
  stage = s + 1;
  elapsed = f.has_attr("/train", "elapsed_seconds") ? f.attr_double("/train", "elapsed_seconds") : 0.0;
  return model;
}

torch::Device select_device(const Params& p) {
  const std::string d = p.get_string("run.device");
  torch::Device dev = [&] {
    try {
      return torch::Device(d);
    } catch (const std::exception&) {
      RIGCS_FAIL("run.device = '" << d << "' is not a torch device; allowed: cpu, cuda, cuda:<index>");
    }
  }();
  RIGCS_CHECK(!dev.is_cuda() || torch::cuda::is_available(),
              "run.device = '" << d << "' but this LibTorch has no CUDA device available");
  return dev;
}

void check_compatible_deck(const Params& current, const std::string& stored_deck_text, const std::string& file) {
  const Params stored = full_registry().parse_text(stored_deck_text, "stored in " + file, {});
  for (const char* key : {"model.kind", "model.N", "model.beta", "model.J", "model.kappa", "model.lambda", "sampler.kind",
                          "van.depth", "van.width", "van.half_kernel", "van.z2", "van.residual",
                          "sampler.mixture_components", "multilevel.N0", "rigcs.channels",
                          "rigcs.kernel1", "rigcs.kernel2", "rigcs.conditional", "rigcs.transformer_depth",
                          "rigcs.transformer_heads", "rigcs.transformer_width", "rigcs.transformer_ff",
                          "rigcs.transformer_context", "han.width", "han.depth",
                          "han.boundary_width", "han.boundary_depth", "han.z2"}) {
    RIGCS_CHECK(stored.text(key) == current.text(key),
                file << " was written with " << key << " = " << stored.text(key) << ", but the deck says "
                     << current.text(key) << ": use the deck the run file was made with");
  }
}

}  // namespace rigcs
