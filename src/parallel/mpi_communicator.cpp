#include "rigcs/parallel/mpi_communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <numeric>
#include <thread>

#include "rigcs/core/error.hpp"

namespace rigcs {
namespace {

// MPI counts are int: a message of more elements is sent in pieces of at most this many
// (lowered by tests to exercise the splitting with small messages).
std::size_t g_max_count = static_cast<std::size_t>(std::numeric_limits<int>::max());

void check(int rc, const char* what) {
  RIGCS_CHECK(rc == MPI_SUCCESS, "MPI call " << what << " failed with code " << rc);
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    check(MPI_Comm_dup(MPI_COMM_WORLD, &failure_comm_), "MPI_Comm_dup");
  }
  ~MpiCommunicator() override {
    int down = 0;
    MPI_Finalized(&down);
    if (!down && failure_comm_ != MPI_COMM_NULL && !failure_pending_) MPI_Comm_free(&failure_comm_);
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  bool agree_on_failure(double timeout_s) override {
    if (size_ == 1) return true;
    MPI_Request req;
    if (MPI_Ibarrier(failure_comm_, &req) != MPI_SUCCESS) return false;
    failure_pending_ = true;
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      int done = 0;
      if (MPI_Test(&req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return false;
      if (done) {
        failure_pending_ = false;
        return true;
      }
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  void allreduce_sum(double* d, std::size_t n) override { reduce(d, n, MPI_DOUBLE, MPI_SUM); }
  void allreduce_sum(float* d, std::size_t n) override { reduce(d, n, MPI_FLOAT, MPI_SUM); }
  void allreduce_sum(std::int64_t* d, std::size_t n) override { reduce(d, n, MPI_INT64_T, MPI_SUM); }
  void allreduce_max(double* d, std::size_t n) override { reduce(d, n, MPI_DOUBLE, MPI_MAX); }
  void allreduce_min(double* d, std::size_t n) override { reduce(d, n, MPI_DOUBLE, MPI_MIN); }

  void broadcast(double* d, std::size_t n, int root) override { bcast(d, n, MPI_DOUBLE, root); }
  void broadcast(float* d, std::size_t n, int root) override { bcast(d, n, MPI_FLOAT, root); }
  void broadcast(std::int64_t* d, std::size_t n, int root) override { bcast(d, n, MPI_INT64_T, root); }
  void broadcast(std::uint64_t* d, std::size_t n, int root) override { bcast(d, n, MPI_UINT64_T, root); }
  void broadcast(std::string& s, int root) override {
    std::int64_t len = static_cast<std::int64_t>(s.size());
    broadcast(&len, 1, root);
    s.resize(static_cast<std::size_t>(len));
    if (len > 0) bcast(s.data(), s.size(), MPI_CHAR, root);
  }

  std::vector<std::vector<double>> gatherv(const std::vector<double>& local, int root) override {
    return gather_impl(local, MPI_DOUBLE, root);
  }
  std::vector<std::vector<std::int8_t>> gatherv(const std::vector<std::int8_t>& local,
                                                int root) override {
    return gather_impl(local, MPI_INT8_T, root);
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  // Element counts are std::size_t; each MPI call gets at most g_max_count of them.
  template <class T>
  void reduce(T* d, std::size_t n, MPI_Datatype t, MPI_Op op) {
    for (std::size_t off = 0; off < n; off += g_max_count) {
      const int c = static_cast<int>(std::min(g_max_count, n - off));
      check(MPI_Allreduce(MPI_IN_PLACE, d + off, c, t, op, MPI_COMM_WORLD), "MPI_Allreduce");
    }
  }
  template <class T>
  void bcast(T* d, std::size_t n, MPI_Datatype t, int root) {
    for (std::size_t off = 0; off < n; off += g_max_count) {
      const int c = static_cast<int>(std::min(g_max_count, n - off));
      check(MPI_Bcast(d + off, c, t, root, MPI_COMM_WORLD), "MPI_Bcast");
    }
  }
  template <class T>
  std::vector<std::vector<T>> gather_impl(const std::vector<T>& local, MPI_Datatype t, int root) {
    // Counts travel as int64: one rank's share, or the total, may exceed 2^31 elements.
    std::int64_t n = static_cast<std::int64_t>(local.size());
    std::vector<std::int64_t> counts(static_cast<std::size_t>(size_));
    check(MPI_Gather(&n, 1, MPI_INT64_T, counts.data(), 1, MPI_INT64_T, root, MPI_COMM_WORLD), "MPI_Gather");
    std::int64_t total = 0;
    for (auto c : counts) total += c;
    std::int64_t fits = rank_ != root || static_cast<std::uint64_t>(total) <= g_max_count ? 1 : 0;
    check(MPI_Bcast(&fits, 1, MPI_INT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
    std::vector<std::vector<T>> out;
    if (fits) {
      std::vector<int> icounts(counts.size()), displs(counts.size(), 0);
      for (std::size_t r = 0; r < counts.size(); ++r) icounts[r] = static_cast<int>(counts[r]);
      std::vector<T> all;
      if (rank_ == root) {
        std::partial_sum(icounts.begin(), icounts.end() - 1, displs.begin() + 1);
        all.resize(static_cast<std::size_t>(total));
      }
      check(MPI_Gatherv(local.data(), static_cast<int>(n), t, all.data(), icounts.data(), displs.data(), t, root,
                        MPI_COMM_WORLD),
            "MPI_Gatherv");
      if (rank_ == root) {
        for (int r = 0; r < size_; ++r)
          out.emplace_back(all.begin() + displs[r], all.begin() + displs[r] + icounts[r]);
      }
      return out;
    }
    // Too large for one MPI_Gatherv: every rank sends its share to the root in pieces.
    const int tag = 7301;
    if (rank_ != root) {
      for (std::size_t off = 0; off < local.size(); off += g_max_count) {
        const int c = static_cast<int>(std::min(g_max_count, local.size() - off));
        check(MPI_Send(local.data() + off, c, t, root, tag, MPI_COMM_WORLD), "MPI_Send");
      }
      return out;
    }
    out.resize(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      auto& v = out[static_cast<std::size_t>(r)];
      if (r == root) {
        v = local;
        continue;
      }
      v.resize(static_cast<std::size_t>(counts[static_cast<std::size_t>(r)]));
      for (std::size_t off = 0; off < v.size(); off += g_max_count) {
        const int c = static_cast<int>(std::min(g_max_count, v.size() - off));
        check(MPI_Recv(v.data() + off, c, t, r, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
      }
    }
    return out;
  }

  int rank_ = 0;
  int size_ = 1;
  MPI_Comm failure_comm_ = MPI_COMM_NULL;
  bool failure_pending_ = false;  // an unfinished agree_on_failure: the job is aborting
};

}  // namespace

MpiEnvironment::MpiEnvironment(int* argc, char*** argv) {
  int up = 0;
  MPI_Initialized(&up);
  if (!up) MPI_Init(argc, argv);
}

MpiEnvironment::~MpiEnvironment() {
  int down = 0;
  MPI_Finalized(&down);
  if (!down) MPI_Finalize();
}

std::unique_ptr<Communicator> make_world_communicator() { return std::make_unique<MpiCommunicator>(); }

void set_max_mpi_count(std::size_t n) {
  g_max_count = std::clamp<std::size_t>(n, 1, static_cast<std::size_t>(std::numeric_limits<int>::max()));
}

}  // namespace rigcs
