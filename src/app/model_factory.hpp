// Generative samplers built from a deck, stage by stage (sequential training).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rigcs/app/params.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs {

class H5File;

void declare_sampler_keys(ParamRegistry& r);
void declare_train_keys(ParamRegistry& r);
void declare_sample_keys(ParamRegistry& r);

struct TrainingPlan {
  std::string kind;  // van, mlmc_hb, rigcs, han
  int n = 0;         // final lattice size
  int n0 = 0;        // coarsest lattice (multilevel samplers)
  int blocks = 0;    // N = N0 * 2^blocks
  std::vector<std::int64_t> steps, batch;  // per stage
  std::vector<double> lr;
  double lr_end = 1.0;            // cosine decay to lr * lr_end over each stage
  bool default_schedule = false;  // rigcs with no schedule key set: the built-in schedule
  // The schedule as deck text ("stage_steps = ...", one key a line), for the run file.
  std::string describe() const;
  int stages() const { return static_cast<int>(steps.size()); }
  // Lattice size trained at a stage: N0 * 2^stage for rigcs, N otherwise.
  int stage_size(int stage) const;
};

TrainingPlan make_training_plan(const Params& p);

// A freshly initialised model for `stage` (random weights, seeded from run.seed).
std::unique_ptr<GenerativeSampler> make_model(const Params& p, const TrainingPlan& plan, int stage);

// Model of the next stage, with the trained weights of `trained` carried over (model
// transfer, paper section 3.3). Only rigcs has more than one stage.
std::unique_ptr<GenerativeSampler> grow_model(const Params& p, GenerativeSampler& trained, int new_stage);

// Copies "param/<name>" and "buffer/<name>" of a checkpoint group into the model,
// refusing missing names and shape mismatches.
void load_model_weights(const H5File& f, const std::string& group, GenerativeSampler& model);

// The model of the stage whose lattice is that of the rigcs run file `f` (a trained or
// checkpointed model at a smaller N, same architecture), with its weights; `stage` is
// set to the stage after it and `elapsed` to the file's training time. The training
// then continues with grow_model, as after that stage.
std::unique_ptr<GenerativeSampler> start_from_smaller_model(const Params& p, const TrainingPlan& plan,
                                                            const H5File& f, int& stage, double& elapsed);

// The torch device of run.device ("cpu", "cuda", "cuda:1"); refuses cuda without one.
torch::Device select_device(const Params& p);

// Keys whose values must agree between the deck and a run file that is resumed or
// sampled from; throws naming the first key that differs.
void check_compatible_deck(const Params& current, const std::string& stored_deck_text,
                           const std::string& file);

}  // namespace rigcs
