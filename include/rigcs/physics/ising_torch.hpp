// Batched torch form of the Ising energy, for generative samplers. Tested against
// the scalar IsingModel::energy. Spins are a (B, N, N) tensor of +-1 (any float dtype).
#pragma once

#include <torch/types.h>

namespace rigcs {

// H(s) = -J sum_{bonds} s_v s_w per sample, shape (B), dtype of `spins`.
torch::Tensor ising_energy(const torch::Tensor& spins, double j);

// Total magnetisation per sample, shape (B).
torch::Tensor ising_magnetisation(const torch::Tensor& spins);

}  // namespace rigcs
