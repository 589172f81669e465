// `rigcs exact`: Kaufman's finite-torus solution (and Onsager's limit) at one point.
#include <cstdio>
#include <ostream>

#include "commands_internal.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/exact/onsager.hpp"

namespace rigcs {

Command make_exact_command() {
  Command c;
  c.name = "exact";
  c.summary = "exact finite-lattice ln Z, free energy, energy and specific heat (Kaufman)";
  c.usage = "rigcs exact [deck.ini] [--model.N=64 --model.beta=0.44 --model.J=1] [--json]";
  c.declare = [](ParamRegistry& r) { declare_model_keys(r); };
  c.run = [](CommandContext& ctx) {
    const auto& p = ctx.params;
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
