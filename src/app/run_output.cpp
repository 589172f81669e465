#include "run_output.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "rigcs/core/error.hpp"
#include "rigcs/core/progress.hpp"
#include "rigcs/io/run_file.hpp"

namespace rigcs {

OutputLock::OutputLock(const std::string& output, const std::string& command) : lock_path_(output + ".lock") {
  RIGCS_CHECK(!output.empty(), "run.output is empty: name the HDF5 file to write");
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    RIGCS_CHECK(fd >= 0, "cannot create the lock file '" << lock_path_ << "' of run.output: " << std::strerror(errno)
                                                         << " (does the folder exist and is it writable?)");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err == EWOULDBLOCK) {
        char buf[512] = {0};
        const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        ::close(fd);
        std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "another process";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
        RIGCS_FAIL("run file '" << output << "' is in use by " << holder << " (lock file '" << lock_path_
                                << "'); wait for that run to end, or choose another run.output");
      }
      // File systems without flock (some NFS or Lustre mounts): work without the lock.
      ::close(fd);
      return;
    }
    // The holder before us may have removed the file after we opened it: then our lock
    // is on an unlinked file, and we try again.
    struct stat held {}, now {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path_.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev) {
      char host[256] = {0};
      ::gethostname(host, sizeof host - 1);
      const std::string who = "pid " + std::to_string(::getpid()) + " on " + host + " (rigcs " + command +
                              ", started " + utc_now_iso8601() + ")\n";
      if (::ftruncate(fd, 0) == 0) {
        const ssize_t w = ::pwrite(fd, who.data(), who.size(), 0);
        (void)w;  // the name of the holder is a courtesy; the lock is the flock
      }
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  RIGCS_FAIL("cannot lock run file '" << output << "': its lock file '" << lock_path_ << "' keeps changing");
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(lock_path_.c_str());  // while still holding it: a waiter then sees a new inode
  ::close(fd_);
}

std::unique_ptr<OutputLock> lock_output(const CommandContext& ctx, const std::string& output,
                                        const std::string& command) {
  std::unique_ptr<OutputLock> lock;
  std::string failure;
  if (ctx.comm.is_root()) {
    try {
      lock = std::make_unique<OutputLock>(output, command);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  ctx.comm.broadcast(failure, 0);
  RIGCS_CHECK(failure.empty(), failure);
  return lock;
}

void check_output_writable(const std::string& path, bool overwrite) {
  namespace fs = std::filesystem;
  RIGCS_CHECK(!path.empty(), "run.output is empty: name the HDF5 file to write");
  RIGCS_CHECK(overwrite || !fs::exists(path),
              "output file '" << path << "' exists; pass --overwrite (or run.overwrite = true) to replace it");
  const fs::path dir = fs::path(path).parent_path();
  RIGCS_CHECK(dir.empty() || fs::is_directory(dir),
              "folder '" << dir.string() << "' of run.output does not exist");
}

RunOutput::RunOutput(const CommandContext& ctx, const std::string& kind, const std::string& start_time)
    : ctx_(ctx), kind_(kind), start_time_(start_time),
      writer_(ctx.params.get_string("run.output"), ctx.overwrite) {}

RunOutput::RunOutput(const CommandContext& ctx, const std::string& kind, const std::string& start_time,
                     bool overwrite)
    : ctx_(ctx), kind_(kind), start_time_(start_time),
      writer_(ctx.params.get_string("run.output"), overwrite) {}

void RunOutput::commit(const std::string& segment_status) {
  RunHeader h;
  if (has_original_) {
    h = original_;
  } else {
    h.kind = kind_;
    h.deck = ctx_.params.to_deck_text();
    h.seed = ctx_.params.has("run.seed") ? static_cast<std::uint64_t>(ctx_.params.get_int("run.seed")) : 0;
    h.ranks = ctx_.comm.size();
    h.start_time = start_time_;
  }
  h.end_time = utc_now_iso8601();
  write_run_header(writer_.file(), h);
  std::vector<RunSegment> segs = segments_;
  if (segs.empty()) {
    segs.push_back(this_run_segment(ctx_, kind_, false));
    segs.back().start_time = start_time_;
    segs.back().status = segment_status;
    if (segment_status != "running") segs.back().end_time = h.end_time;
  }
  for (std::size_t i = 0; i < segs.size(); ++i) write_run_segment(writer_.file(), i, segs[i]);
  writer_.commit();
}

RunSegment this_run_segment(const CommandContext& ctx, const std::string& command, bool resumed) {
  RunSegment s;
  s.command = command;
  s.deck = ctx.params.to_deck_text();
  s.ranks = ctx.comm.size();
  s.seed = ctx.params.has("run.seed") ? static_cast<std::uint64_t>(ctx.params.get_int("run.seed")) : 0;
  s.resumed = resumed;
  return s;
}

void append_run_segment(H5File& f, const CommandContext& ctx, const std::string& command) {
  append_run_segment(f, this_run_segment(ctx, command, ctx.resume));
}

void finish_run_segment(H5File& f, const std::string& status) { finish_last_run_segment(f, status); }

}  // namespace rigcs
