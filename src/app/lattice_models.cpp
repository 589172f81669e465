#include "lattice_models.hpp"

#include "rigcs/core/error.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/physics/phi4.hpp"

namespace rigcs {

std::unique_ptr<LatticeModel> make_lattice_model(const Params& p) {
  const std::string kind = p.get_string("model.kind");
  const int n = static_cast<int>(p.get_int("model.N"));
  // A coupling of the other model in the deck is a mistake, not something to ignore.
  auto refuse = [&](std::initializer_list<const char*> keys) {
    for (const char* k : keys)
      RIGCS_CHECK(!p.is_set(k), k << " is set, but it is not a parameter of model.kind = " << kind);
  };
  if (kind == "ising") {
    refuse({"model.kappa", "model.lambda"});
    return std::make_unique<IsingModel>(IsingParams{n, p.get_real("model.beta"), p.get_real("model.J")});
  }
  if (kind == "phi4") {
    refuse({"model.beta", "model.J"});
    return std::make_unique<Phi4Model>(Phi4Params{n, p.get_real("model.kappa"), p.get_real("model.lambda")});
  }
  RIGCS_FAIL("model.kind = '" << kind << "'; allowed: ising, phi4");
}

void require_generative_model(const Params& p, const std::string& command) {
  const std::string kind = p.get_string("model.kind");
  const std::string sampler = p.get_string("sampler.kind");
  RIGCS_CHECK(kind == "ising" || sampler == "van" || sampler == "rigcs",
              "model.kind = " << kind << " with sampler.kind = " << sampler << " is not supported by 'rigcs " << command
                              << "' yet: for phi4 use sampler.kind = van or rigcs (Gaussian-mixture heads); mlmc_hb "
                                 "and han are Ising-only");
}

std::unique_ptr<LatticeModel> read_lattice_model(const H5File& f) {
  RIGCS_CHECK(f.is_group("/model"), f.path() << " has no /model group");
  const std::string name = f.attr_string("/model", "name");
  const int n = static_cast<int>(f.attr_int64("/model", "N"));
  if (name == "ising2d")
    return std::make_unique<IsingModel>(IsingParams{n, f.attr_double("/model", "beta"), f.attr_double("/model", "J")});
  if (name == "phi4_2d")
    return std::make_unique<Phi4Model>(
        Phi4Params{n, f.attr_double("/model", "kappa"), f.attr_double("/model", "lambda")});
  RIGCS_FAIL(f.path() << ": /model name '" << name << "' is not a model this rigcs knows (ising2d, phi4_2d)");
}

void declare_phi4_update_keys(ParamRegistry& r) {
  r.add_real("phi4.metropolis_width", 1.0, 0.0, 100.0,
             "phi^4 local Metropolis: proposal phi -> phi + width * U(-1, 1)", true)
      .add_real("phi4.hmc_step", 0.1, 0.0, 10.0, "phi^4 HMC: leapfrog step size", true)
      .add_int("phi4.hmc_steps", 10, 1, 100000, "phi^4 HMC: leapfrog steps per trajectory (length = step * steps)")
      .add_int("phi4.wolff_clusters", 1, 1, 1000000,
               "phi^4 metropolis+wolff, hmc+wolff: embedded-Wolff clusters after each sweep or trajectory");
}

Phi4UpdateParams phi4_update_params(const Params& p, const std::string& algorithm_key) {
  Phi4UpdateParams up;
  up.algorithm = p.is_set(algorithm_key) ? parse_phi4_algorithm(p.get_string(algorithm_key), algorithm_key)
                                         : Phi4Algorithm::MetropolisWolff;
  up.metropolis_width = p.get_real("phi4.metropolis_width");
  up.hmc_step = p.get_real("phi4.hmc_step");
  up.hmc_steps = static_cast<int>(p.get_int("phi4.hmc_steps"));
  up.wolff_clusters = static_cast<int>(p.get_int("phi4.wolff_clusters"));
  return up;
}

void write_model_group(H5File& f, const LatticeModel& model) {
  f.create_group("/model");
  for (const ModelAttribute& a : model.attributes()) {
    switch (a.type) {
      case ModelAttribute::Type::Text: f.set_attr("/model", a.name, a.text); break;
      case ModelAttribute::Type::Integer: f.set_attr("/model", a.name, static_cast<std::int64_t>(a.number)); break;
      case ModelAttribute::Type::Real: f.set_attr("/model", a.name, a.number); break;
    }
  }
}

}  // namespace rigcs
