#include "rigcs/parallel/mpi_communicator.hpp"

#include <mpi.h>

#include <chrono>
#include <numeric>
#include <thread>

#include "rigcs/core/error.hpp"

namespace rigcs {
namespace {

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
  template <class T>
  void reduce(T* d, std::size_t n, MPI_Datatype t, MPI_Op op) {
    if (n == 0) return;
    check(MPI_Allreduce(MPI_IN_PLACE, d, static_cast<int>(n), t, op, MPI_COMM_WORLD), "MPI_Allreduce");
  }
  template <class T>
  void bcast(T* d, std::size_t n, MPI_Datatype t, int root) {
    check(MPI_Bcast(d, static_cast<int>(n), t, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
  template <class T>
  std::vector<std::vector<T>> gather_impl(const std::vector<T>& local, MPI_Datatype t, int root) {
    int n = static_cast<int>(local.size());
    std::vector<int> counts(static_cast<std::size_t>(size_));
    check(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, MPI_COMM_WORLD), "MPI_Gather");
    std::vector<int> displs(counts.size(), 0);
    std::vector<T> all;
    if (rank_ == root) {
      std::partial_sum(counts.begin(), counts.end() - 1, displs.begin() + 1);
      all.resize(static_cast<std::size_t>(std::accumulate(counts.begin(), counts.end(), 0)));
    }
    check(MPI_Gatherv(local.data(), n, t, all.data(), counts.data(), displs.data(), t, root,
                      MPI_COMM_WORLD),
          "MPI_Gatherv");
    std::vector<std::vector<T>> out;
    if (rank_ == root) {
      for (int r = 0; r < size_; ++r)
        out.emplace_back(all.begin() + displs[r], all.begin() + displs[r] + counts[r]);
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

}  // namespace rigcs
