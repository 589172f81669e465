#include "rigcs/physics/lattice_model.hpp"

namespace rigcs {

std::vector<double> LatticeModel::measure(const FieldConfig& s) const {
  std::vector<double> out(observables().size());
  measure(s, out.data());
  return out;
}

}  // namespace rigcs
