#include "rigcs/parallel/communicator.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "rigcs/core/error.hpp"

namespace rigcs {

void SerialCommunicator::abort(int code) { std::exit(code); }

double logsumexp_allreduce(Communicator& comm, double local_lse) {
  // Shift by the global maximum so no rank's exp overflows or all underflow.
  const double m = comm.max(local_lse);
  if (!std::isfinite(m)) return m;
  const double part = std::exp(local_lse - m);
  return m + std::log(comm.sum(part));
}

WorkShare split_work(std::int64_t total, int rank, int size) {
  RIGCS_CHECK(size >= 1 && rank >= 0 && rank < size, "bad rank " << rank << " of " << size);
  RIGCS_CHECK(total >= 0, "negative work count " << total);
  const std::int64_t base = total / size;
  const std::int64_t extra = total % size;
  const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
  const std::int64_t count = base + (rank < extra ? 1 : 0);
  return {begin, begin + count};
}

std::int64_t work_rounds(std::int64_t total, std::int64_t chunk, int size) {
  RIGCS_CHECK(chunk >= 1 && size >= 1, "bad chunk " << chunk << " or rank count " << size);
  const std::int64_t max_share = (total + size - 1) / size;
  return (max_share + chunk - 1) / chunk;
}

std::int64_t work_done_after(std::int64_t total, std::int64_t chunk, int size, std::int64_t rounds) {
  RIGCS_CHECK(chunk >= 1 && size >= 1 && rounds >= 0, "bad chunk " << chunk << ", rank count " << size
                                                                  << " or round count " << rounds);
  std::int64_t done = 0;
  for (int r = 0; r < size; ++r) {
    const std::int64_t share = split_work(total, r, size).count();
    done += rounds >= (share + chunk - 1) / chunk ? share : rounds * chunk;
  }
  return done;
}

}  // namespace rigcs
