// The communicator knows nothing of physics: it moves numbers between ranks.
// Algorithms take a Communicator& so that they run without mpirun (SerialCommunicator)
// and under MPI (MpiCommunicator, see mpi_communicator.hpp) unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rigcs {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void barrier() = 0;

  // In-place element-wise sum over ranks.
  virtual void allreduce_sum(double* data, std::size_t n) = 0;
  virtual void allreduce_sum(float* data, std::size_t n) = 0;
  virtual void allreduce_sum(std::int64_t* data, std::size_t n) = 0;
  virtual void allreduce_max(double* data, std::size_t n) = 0;
  virtual void allreduce_min(double* data, std::size_t n) = 0;
  // Broadcast from root, in place.
  virtual void broadcast(double* data, std::size_t n, int root) = 0;
  virtual void broadcast(float* data, std::size_t n, int root) = 0;
  virtual void broadcast(std::int64_t* data, std::size_t n, int root) = 0;
  virtual void broadcast(std::uint64_t* data, std::size_t n, int root) = 0;
  virtual void broadcast(std::string& s, int root) = 0;
  // Gather variable-length vectors to root: result[r] is rank r's vector (only on root).
  virtual std::vector<std::vector<double>> gatherv(const std::vector<double>& local, int root) = 0;
  virtual std::vector<std::vector<std::int8_t>> gatherv(const std::vector<std::int8_t>& local,
                                                        int root) = 0;
  // Ends every rank now; used when one rank hits an error the others cannot see.
  [[noreturn]] virtual void abort(int code) = 0;
  // Called by a rank that failed: waits up to timeout_s seconds for every rank to call
  // it too. True when all ranks failed (a bad key, an error rank 0 broadcast): they can
  // then all return normally and print the error once. False when some rank is still
  // working (it waits in a collective that the failed rank will never join): the caller
  // must abort. Uses a communicator of its own, so it never matches the work's collectives.
  virtual bool agree_on_failure(double timeout_s) = 0;

  bool is_root() const { return rank() == 0; }

  // Convenience scalars.
  double sum(double x) { allreduce_sum(&x, 1); return x; }
  std::int64_t sum(std::int64_t x) { allreduce_sum(&x, 1); return x; }
  double max(double x) { allreduce_max(&x, 1); return x; }
  double min(double x) { allreduce_min(&x, 1); return x; }
};

class SerialCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  void allreduce_sum(double*, std::size_t) override {}
  void allreduce_sum(float*, std::size_t) override {}
  void allreduce_sum(std::int64_t*, std::size_t) override {}
  void allreduce_max(double*, std::size_t) override {}
  void allreduce_min(double*, std::size_t) override {}
  void broadcast(double*, std::size_t, int) override {}
  void broadcast(float*, std::size_t, int) override {}
  void broadcast(std::int64_t*, std::size_t, int) override {}
  void broadcast(std::uint64_t*, std::size_t, int) override {}
  void broadcast(std::string&, int) override {}
  std::vector<std::vector<double>> gatherv(const std::vector<double>& local, int) override {
    return {local};
  }
  std::vector<std::vector<std::int8_t>> gatherv(const std::vector<std::int8_t>& local,
                                                int) override {
    return {local};
  }
  [[noreturn]] void abort(int code) override;
  bool agree_on_failure(double) override { return true; }
};

// log-sum-exp over ranks of a local log-sum-exp value: never sums raw weights.
double logsumexp_allreduce(Communicator& comm, double local_lse);

// Contiguous share [begin, end) of `total` items for `rank` of `size`.
struct WorkShare {
  std::int64_t begin;
  std::int64_t end;
  std::int64_t count() const { return end - begin; }
};
WorkShare split_work(std::int64_t total, int rank, int size);

// Rounds needed when `total` items are split over `size` ranks and each rank does
// `chunk` of its share per round (the largest share sets the count, so every rank
// takes part in every round's collective).
std::int64_t work_rounds(std::int64_t total, std::int64_t chunk, int size);

// Items done, over all ranks, after the first `rounds` rounds of that scheme (so a
// resumed run knows how many rows its counter of finished rounds vouches for).
std::int64_t work_done_after(std::int64_t total, std::int64_t chunk, int size, std::int64_t rounds);

}  // namespace rigcs
