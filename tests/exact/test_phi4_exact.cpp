// phi^4 exact results: the free-field Fourier sum against a dense determinant and
// inverse of the quadratic form, and the kappa = 0 limit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rigcs/exact/model_exact.hpp"
#include "rigcs/lattice/lattice.hpp"
#include "rigcs/physics/phi4.hpp"

using namespace rigcs;

namespace {

// A with S = phi^T A phi at lambda = 0, built bond by bond (right and down of each site).
std::vector<std::vector<double>> quadratic_form(int n, double kappa) {
  SquareLattice lat(n);
  const int v = lat.volume();
  std::vector<std::vector<double>> a(v, std::vector<double>(v, 0.0));
  for (int x = 0; x < v; ++x) {
    a[x][x] += 1.0;
    for (int d : {SquareLattice::Right, SquareLattice::Down}) {
      const int y = lat.neighbour(x, d);
      // -2 kappa phi_x phi_y split symmetrically.
      a[x][y] -= kappa;
      a[y][x] -= kappa;
    }
  }
  return a;
}

// Gauss-Jordan with partial pivoting: log det and the inverse.
void log_det_and_inverse(std::vector<std::vector<double>> a, double& log_det, std::vector<std::vector<double>>& inv) {
  const int n = static_cast<int>(a.size());
  inv.assign(n, std::vector<double>(n, 0.0));
  for (int i = 0; i < n; ++i) inv[i][i] = 1;
  log_det = 0;
  for (int c = 0; c < n; ++c) {
    int p = c;
    for (int r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    std::swap(a[p], a[c]);
    std::swap(inv[p], inv[c]);
    const double piv = a[c][c];
    ASSERT_GT(piv, 0);  // A is positive definite: no sign changes expected
    log_det += std::log(piv);
    for (int k = 0; k < n; ++k) {
      a[c][k] /= piv;
      inv[c][k] /= piv;
    }
    for (int r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (int k = 0; k < n; ++k) {
        a[r][k] -= f * a[c][k];
        inv[r][k] -= f * inv[c][k];
      }
    }
  }
}

}  // namespace

TEST(Phi4Exact, FreeFieldMatchesDenseDeterminant) {
  for (int n : {2, 3, 4}) {
    for (double kappa : {0.05, 0.2, 0.249, -0.15}) {
      const int v = n * n;
      double log_det = 0;
      std::vector<std::vector<double>> inv;
      log_det_and_inverse(quadratic_form(n, kappa), log_det, inv);
      double trace = 0, total = 0;
      for (int i = 0; i < v; ++i) {
        trace += inv[i][i];
        for (int j = 0; j < v; ++j) total += inv[i][j];
      }
      const Phi4Exact e = phi4_free_field(n, kappa);
      // Z = int d^V phi exp(-phi^T A phi) = pi^{V/2} det(A)^{-1/2}; <phi phi^T> = A^{-1} / 2.
      EXPECT_NEAR(e.lnZ, 0.5 * v * std::log(M_PI) - 0.5 * log_det, 1e-12) << n << " " << kappa;
      EXPECT_NEAR(e.phi2, trace / (2.0 * v), 1e-12) << n << " " << kappa;
      EXPECT_NEAR(e.m2, total / (2.0 * v * v), 1e-12) << n << " " << kappa;
      EXPECT_DOUBLE_EQ(e.action, 0.5 * v);
    }
  }
}

TEST(Phi4Exact, LimitsAgreeAndRouteThroughTheModel) {
  // kappa = 0 and lambda = 0 together: both formulas give the product of Gaussians.
  const Phi4Exact a = phi4_free_field(4, 0.0), b = phi4_decoupled(4, 0.0);
  EXPECT_NEAR(a.lnZ, b.lnZ, 1e-12);
  EXPECT_NEAR(a.phi2, b.phi2, 1e-12);
  EXPECT_NEAR(a.action, b.action, 1e-10);
  EXPECT_NEAR(a.m2, b.m2, 1e-12);
  // kappa = 0: ln Z = V ln z1.
  Phi4Model m({4, 0.0, 0.5});
  const auto r = exact_results(m);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].first, "lnZ");
  EXPECT_NEAR(r[0].second, 16 * phi4_single_site_moments(0.5).log_z1, 1e-12);
  EXPECT_NEAR(m.log_z0(), r[0].second, 1e-12);
  // No exact result in the interacting theory.
  EXPECT_TRUE(exact_results(Phi4Model({4, 0.2, 0.022})).empty());
}
