#include "rigcs/physics/ising_torch.hpp"

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

torch::Tensor ising_energy(const torch::Tensor& spins, double j) {
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == spins.size(2),
              "ising_energy expects spins of shape (B, N, N), got " << spins.sizes());
  // Right and down bonds of every site: each of the 2 V bonds once (twice on 2x2,
  // where roll by 1 reaches the same neighbour from both sides, as in Kaufman).
  auto right = torch::roll(spins, {-1}, {2});
  auto down = torch::roll(spins, {-1}, {1});
  auto bonds = (spins * (right + down)).sum({1, 2});
  return -j * bonds;
}

torch::Tensor ising_magnetisation(const torch::Tensor& spins) { return spins.sum({1, 2}); }

}  // namespace rigcs
