#!/usr/bin/env python3
"""Binder-cumulant crossings from the table of jobs/phi4_critical_point.sh.

For each lattice size, U(kappa) is fitted by a polynomial (weighted least squares, the
Gamma-method errors as weights; degree 2 by default, a straight line with --degree 1)
over the scanned kappas; the crossing of two sizes is the root of the difference of
the fits inside the scanned window. Its error comes from 2000 Gaussian redraws of every
U within its error (the points are independent runs, with seeds of their own). Prints
one line per pair of sizes and the mean of the pairs' crossings.

usage: phi4_binder_crossing.py binder.tsv [--degree 2] [--window KMIN KMAX] [--figure out.png]
(--window: fit only the kappas in [KMIN, KMAX], where U(kappa) is smooth enough for the
polynomial; the larger lattices saturate towards 2/3 quickly above the crossing)
"""
import argparse
import itertools

import numpy as np


DEGREE = 2
WINDOW = (0.0, 1.0)
CENTER = 0.0


def fit_line(k, u, du):
    """Weighted polynomial fit of U(kappa); coefficients lowest order first."""
    w = 1.0 / du**2
    x = k - CENTER
    a = np.vstack([x**p for p in range(DEGREE + 1)]).T
    cov = np.linalg.inv(a.T @ (a * w[:, None]))
    coef = cov @ (a.T @ (w * u))
    return coef, cov


def evaluate(c, k):
    return sum(cp * (k - CENTER) ** p for p, cp in enumerate(c))


def crossing(c1, c2):
    """Root of fit1 - fit2 inside the scanned window nearest to its middle (NaN if none)."""
    d = np.asarray(c1) - np.asarray(c2)
    roots = np.roots(d[::-1])
    roots = roots[np.abs(roots.imag) < 1e-12].real + CENTER
    roots = roots[(roots >= WINDOW[0]) & (roots <= WINDOW[1])]
    if len(roots) == 0:
        return float("nan")
    mid = 0.5 * (WINDOW[0] + WINDOW[1])
    return roots[np.argmin(np.abs(roots - mid))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("table")
    ap.add_argument("--figure", default="")
    ap.add_argument("--degree", type=int, default=2)
    ap.add_argument("--window", type=float, nargs=2, default=None)
    args = ap.parse_args()
    global DEGREE, WINDOW, CENTER
    DEGREE = args.degree
    rows = np.genfromtxt(args.table, names=True, delimiter="\t")
    if args.window:
        rows = rows[(rows["kappa"] >= args.window[0] - 1e-12) & (rows["kappa"] <= args.window[1] + 1e-12)]
    WINDOW = (rows["kappa"].min(), rows["kappa"].max())
    CENTER = 0.5 * (WINDOW[0] + WINDOW[1])
    sizes = sorted(set(int(n) for n in rows["N"]))
    data = {}
    for n in sizes:
        sel = rows[rows["N"] == n]
        order = np.argsort(sel["kappa"])
        data[n] = (sel["kappa"][order], sel["U"][order], sel["dU"][order])
    for n in sizes:
        k, u, e = data[n]
        c = fit_line(k, u, e)[0]
        dof = len(k) - (DEGREE + 1)
        chi2 = float(np.sum(((u - evaluate(c, k)) / e) ** 2))
        print(f"fit N = {n:3d}: {len(k)} kappas in [{k.min():.4f}, {k.max():.4f}], degree {DEGREE}, "
              f"chi^2/dof = {chi2:.2f}/{dof}")
    rng = np.random.default_rng(1)
    results = []
    for n1, n2 in itertools.combinations(sizes, 2):
        (k1, u1, e1), (k2, u2, e2) = data[n1], data[n2]
        x0 = crossing(fit_line(k1, u1, e1)[0], fit_line(k2, u2, e2)[0])
        draws = []
        for _ in range(2000):
            c1 = fit_line(k1, u1 + e1 * rng.standard_normal(len(u1)), e1)[0]
            c2 = fit_line(k2, u2 + e2 * rng.standard_normal(len(u2)), e2)[0]
            draws.append(crossing(c1, c2))
        draws = np.array(draws)
        draws = draws[np.isfinite(draws)]
        # A robust spread: half the 68% interval (a near-parallel pair has wild tails).
        lo, hi = np.percentile(draws, [16, 84])
        err = 0.5 * (hi - lo)
        u_cross = evaluate(fit_line(k1, u1, e1)[0], x0)
        results.append((n1, n2, x0, err, u_cross))
        print(f"crossing N = {n1:3d} / {n2:3d}: kappa = {x0:.5f} +- {err:.5f}   (U = {u_cross:.4f})")
    ks = np.array([r[2] for r in results])
    es = np.array([r[3] for r in results])
    print(f"kappa_c (mean of the pairs) = {ks.mean():.5f}, spread of the pairs {ks.std(ddof=0):.5f}, "
          f"largest single-pair error {es.max():.5f}")
    if args.figure:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 3.6))
        for n in sizes:
            k, u, e = data[n]
            bars = ax.errorbar(k, u, yerr=e, fmt="o", ms=3, capsize=2, label=f"N = {n}")
            c = fit_line(k, u, e)[0]
            kk = np.linspace(k.min(), k.max(), 50)
            ax.plot(kk, evaluate(c, kk), lw=0.8, color=bars[0].get_color())
        # The estimate: the crossing of the two largest lattices.
        ax.axvline(results[-1][2], color="grey", lw=0.6, ls="--")
        ax.set_xlabel(r"$\kappa$")
        ax.set_ylabel(r"$U = 1 - \langle m^4\rangle / 3\langle m^2\rangle^2$")
        ax.set_title(r"2D $\phi^4$, $\lambda = 0.022$: Binder crossing")
        ax.legend(frameon=False)
        fig.tight_layout()
        fig.savefig(args.figure, dpi=150)
        print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
