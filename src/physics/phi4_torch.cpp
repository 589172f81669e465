#include "rigcs/physics/phi4_torch.hpp"

#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/physics/ising_torch.hpp"
#include "rigcs/physics/phi4.hpp"

namespace rigcs {

torch::Tensor phi4_action(const torch::Tensor& phi, double kappa, double lambda) {
  RIGCS_CHECK(phi.dim() == 3 && phi.size(1) == phi.size(2),
              "phi4_action expects a field of shape (B, N, N), got " << phi.sizes());
  // Right and down bonds of every site, as in ising_energy.
  auto hop = (phi * (torch::roll(phi, {-1}, {2}) + torch::roll(phi, {-1}, {1}))).sum({1, 2});
  auto phi2 = phi * phi;
  auto site = (phi2 * ((1 - 2 * lambda) + lambda * phi2)).sum({1, 2});
  return -2.0 * kappa * hop + site;
}

torch::Tensor batched_action(const LatticeModel& model, const torch::Tensor& s) {
  if (const auto* ising = dynamic_cast<const IsingModel*>(&model))
    return ising->beta() * ising_energy(s, ising->coupling());
  if (const auto* phi4 = dynamic_cast<const Phi4Model*>(&model))
    return phi4_action(s, phi4->kappa(), phi4->lambda());
  RIGCS_FAIL("model '" << model.name() << "' has no batched torch action");
}

}  // namespace rigcs
