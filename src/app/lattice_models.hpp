// The LatticeModel of a deck (model.kind) or of a run file's /model group, and the
// phi^4 update keys shared by `mcmc` and `ais`. No torch here.
#pragma once

#include <memory>
#include <string>

#include "rigcs/app/params.hpp"
#include "rigcs/mc/model_chain.hpp"
#include "rigcs/physics/lattice_model.hpp"

namespace rigcs {

class H5File;

// model.kind = ising (model.N, model.beta, model.J) or phi4 (model.N, model.kappa,
// model.lambda). A key of the other kind set in the deck is refused, naming it.
std::unique_ptr<LatticeModel> make_lattice_model(const Params& p);

// Refuses a model.kind that sampler.kind cannot sample, naming both keys and the command
// (train, sample): phi4 has the VAN and RiGCS with Gaussian-mixture heads; mlmc_hb and
// han are Ising-only.
void require_generative_model(const Params& p, const std::string& command);

// The model described by the /model group of a run file.
std::unique_ptr<LatticeModel> read_lattice_model(const H5File& f);

// phi4.metropolis_width, phi4.hmc_step, phi4.hmc_steps, phi4.wolff_clusters.
void declare_phi4_update_keys(ParamRegistry& r);
// The phi^4 update of `algorithm_key` (mcmc.algorithm, ais.algorithm); when the deck
// does not set it, metropolis+wolff.
Phi4UpdateParams phi4_update_params(const Params& p, const std::string& algorithm_key);

void write_model_group(H5File& f, const LatticeModel& model);

}  // namespace rigcs
