// Batched torch forms of the lattice actions, for generative samplers. Tested against
// the scalar LatticeModel::action. Configurations are a (B, N, N) tensor (any float
// dtype; Ising: +-1).
#pragma once

#include <torch/types.h>

#include "rigcs/physics/lattice_model.hpp"

namespace rigcs {

// phi^4 action S per sample, shape (B), dtype of `phi` (physics/phi4.hpp).
torch::Tensor phi4_action(const torch::Tensor& phi, double kappa, double lambda);

// S(s) per sample for any LatticeModel that has a batched form (Ising: beta H; phi^4);
// throws naming the model otherwise.
torch::Tensor batched_action(const LatticeModel& model, const torch::Tensor& s);

}  // namespace rigcs
