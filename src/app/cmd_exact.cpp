// `rigcs exact`: Kaufman's finite-torus solution (and Onsager's limit) at one point;
// for phi^4 the free field (lambda = 0) and the decoupled sites (kappa = 0).
#include <cstdio>
#include <ostream>

#include "commands_internal.hpp"
#include "lattice_models.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/exact/model_exact.hpp"
#include "rigcs/exact/onsager.hpp"

namespace rigcs {

Command make_exact_command() {
  Command c;
  c.name = "exact";
  c.summary = "exact finite-lattice ln Z, free energy, energy and specific heat (Kaufman; phi^4 at lambda = 0 or kappa = 0)";
  c.usage = "rigcs exact [deck.ini] [--model.N=64 --model.beta=0.44 --model.J=1] [--json]\n"
            "       rigcs exact --model.kind=phi4 --model.N=8 --model.kappa=0.2 --model.lambda=0 [--json]";
  c.declare = [](ParamRegistry& r) { declare_model_keys(r); };
  c.run = [](CommandContext& ctx) {
    const auto& p = ctx.params;
    const std::unique_ptr<LatticeModel> model = make_lattice_model(p);
    if (model->kind() != "ising") {
      const auto results = exact_results(*model);
      RIGCS_CHECK(!results.empty(), "no exact result for model.kind = " << model->kind()
                                        << " at these parameters: phi^4 is solved exactly for model.lambda = 0 "
                                           "(free field, |model.kappa| < 1/4) or model.kappa = 0 only");
      if (!ctx.comm.is_root()) return 0;
      if (ctx.json) {
        JsonObject o;
        for (const auto& [name, value] : results) o.add(name, value);
        ctx.out << o.str() << "\n";
        return 0;
      }
      echo_parameters(ctx, "exact");
      ctx.out << "exact solution, " << model->size() << " x " << model->size() << " periodic " << model->name()
              << (p.get_real("model.kappa") == 0 ? " (kappa = 0: independent sites, quadrature)"
                                                  : " (lambda = 0: free field, Fourier sum)")
              << "\n";
      char buf[128];
      for (const auto& [name, value] : results) {
        std::snprintf(buf, sizeof buf, "  %-11s % .15e\n", name.c_str(), value);
        ctx.out << buf;
      }
      return 0;
    }
    const int n = static_cast<int>(p.get_int("model.N"));
    const double beta = p.get_real("model.beta");
    const double j = p.get_real("model.J");
    const ExactThermo t = kaufman(n, beta, j);
    const double v = static_cast<double>(n) * n;
    const double f_per_site = -t.lnZ / (beta * v);  // F/V = -lnZ / (beta V)
    if (!ctx.comm.is_root()) return 0;
    if (ctx.json) {
      JsonObject o;
      o.add("lnZ", t.lnZ).add("betaF", -t.lnZ).add("f_per_site", f_per_site)
          .add("E", t.energy).add("e_per_site", t.energy / v)
          .add("C", t.specific_heat).add("c_per_site", t.specific_heat / v);
      ctx.out << o.str() << "\n";
      return 0;
    }
    echo_parameters(ctx, "exact");
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "Kaufman exact solution, %d x %d periodic Ising model, beta = %.10g, J = %.10g\n"
                  "  lnZ         % .15e\n  betaF       % .15e   (= -lnZ)\n  F/site      % .15e\n"
                  "  E           % .15e   (<H>, extensive)\n  E/site      % .15e\n"
                  "  C           % .15e   (beta^2 Var H)\n  C/site      % .15e\n"
                  "Onsager infinite volume: lnZ/site % .12e, E/site % .12e, beta_c = %.12f\n",
                  n, n, beta, j, t.lnZ, -t.lnZ, f_per_site, t.energy, t.energy / v,
                  t.specific_heat, t.specific_heat / v, onsager_ln_z_per_site(beta, j),
                  onsager_energy_per_site(beta, j), critical_beta(j));
    ctx.out << buf;
    return 0;
  };
  return c;
}

}  // namespace rigcs
