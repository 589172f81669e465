// A lattice model on the periodic N x N torus: what every sampler, estimator and
// output needs to know about the physics, and nothing about MPI, training or files.
//
// The weight of a configuration s is exp(-S(s)) (Ising: S = beta H). The interface is
// used per configuration (measurements, AIS weights, the /model group), never per site:
// the update kernels are written for one concrete model and take its parameters by
// value, so no virtual call sits in an inner loop.
//
// A configuration is handed over as reals, one per site, row-major (`FieldConfig`):
// +-1 for Ising spins, the field value for phi^4. Concrete models keep their own fast
// typed forms beside it (IsingModel::energy(const SpinConfig&)).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/lattice/lattice.hpp"

namespace rigcs {

using FieldConfig = std::vector<double>;

// What a site holds: one of a few discrete values (Ising: +-1; Potts: 0..q-1), or a real.
enum class SiteKind { Discrete, Real };

// One per-configuration observable: a column of every sample set and MCMC series.
struct ObservableInfo {
  std::string name;     // column name, e.g. "abs_m"
  std::string meaning;  // one line, for tables and doc strings
};

// A quantity derived from the means of some observables, such as the Binder cumulant;
// estimated with Gamma-method error propagation by the analysis layer.
struct DerivedObservable {
  std::string name;
  std::string meaning;
  std::vector<std::string> inputs;  // observable names; f gets their means in this order
  double (*f)(const std::vector<double>& means, double volume);
};

// One attribute of the /model group of a run file: a real, an integer or a text.
struct ModelAttribute {
  enum class Type { Real, Integer, Text };
  std::string name;
  Type type = Type::Real;
  double number = 0;  // Real, Integer (exactly representable)
  std::string text;   // Text
};

class LatticeModel {
 public:
  virtual ~LatticeModel() = default;

  // Deck value of model.kind ("ising", "phi4") and the /model name ("ising2d", "phi4_2d").
  virtual std::string kind() const = 0;
  virtual std::string name() const = 0;
  virtual const SquareLattice& lattice() const = 0;
  int size() const { return lattice().size(); }
  int volume() const { return lattice().volume(); }

  virtual SiteKind site_kind() const = 0;
  // The allowed site values when discrete (Ising: -1, +1); empty for a real field.
  virtual std::vector<double> site_values() const = 0;

  // S(s), the negative log of the unnormalised weight.
  virtual double action(const FieldConfig& s) const = 0;

  // Per-configuration observables, in the order measure() writes them.
  virtual std::vector<ObservableInfo> observables() const = 0;
  virtual void measure(const FieldConfig& s, double* out) const = 0;
  std::vector<double> measure(const FieldConfig& s) const;
  virtual std::vector<DerivedObservable> derived_observables() const { return {}; }

  // The exact conditional of site v given all others, where one exists (heat bath):
  // writes P(s_v = site_values()[k] | rest) to probs[k] and returns true. A real field
  // has none here: returns false.
  virtual bool site_conditional(const FieldConfig& s, int v, double* probs) const {
    (void)s; (void)v; (void)probs;
    return false;
  }

  // Annealing (AIS): S(s; t) = S_ref(s) + t * dS/dt(s) is linear in one parameter t,
  // from t = 0 (the reference measure, normalisable and drawn exactly, with log Z0
  // known) to the model's value. Ising: t = beta, S_ref = 0, Z0 = 2^V. phi^4: t = kappa,
  // S_ref the single-site terms, Z0 = z1^V.
  virtual std::string annealing_parameter() const = 0;  // deck key, e.g. "model.beta"
  virtual double annealing_target() const = 0;           // the model's t
  virtual double annealing_slope(const FieldConfig& s) const = 0;  // dS/dt at s
  virtual double log_z0() const = 0;

  // Exact results (Kaufman, the free field, ...) live in the exact layer, which sits
  // above physics: exact/model_exact.hpp, exact_results(model).

  // The attributes of the /model group (name, N and the couplings, the action as text).
  virtual std::vector<ModelAttribute> attributes() const = 0;

 protected:
  static ModelAttribute number(std::string n, double x) { return {std::move(n), ModelAttribute::Type::Real, x, {}}; }
  static ModelAttribute integer(std::string n, std::int64_t x) {
    return {std::move(n), ModelAttribute::Type::Integer, static_cast<double>(x), {}};
  }
  static ModelAttribute text(std::string n, std::string t) {
    return {std::move(n), ModelAttribute::Type::Text, 0, std::move(t)};
  }
};

}  // namespace rigcs
