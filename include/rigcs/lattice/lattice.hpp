// Square periodic N x N lattice. Sites are numbered row-major, v = i * N + j,
// with row i top to bottom and column j left to right.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace rigcs {

class SquareLattice {
 public:
  // Neighbour directions in the table: right, down, left, up.
  enum Direction { Right = 0, Down = 1, Left = 2, Up = 3 };

  explicit SquareLattice(int n);

  int size() const { return n_; }                       // linear size N
  int volume() const { return n_ * n_; }                // V = N^2
  int site(int i, int j) const { return wrap(i) * n_ + wrap(j); }
  int row(int v) const { return v / n_; }
  int col(int v) const { return v % n_; }
  int wrap(int i) const { return ((i % n_) + n_) % n_; }

  // Neighbour of site v in direction d (periodic).
  int neighbour(int v, int d) const { return nbr_[4 * static_cast<std::size_t>(v) + d]; }
  // All four neighbours, contiguous: [4v, 4v+4).
  const std::int32_t* neighbours(int v) const { return &nbr_[4 * static_cast<std::size_t>(v)]; }

 private:
  int n_;
  std::vector<std::int32_t> nbr_;
};

}  // namespace rigcs
