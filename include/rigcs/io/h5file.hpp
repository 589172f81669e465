// HDF5 files for run output and checkpoints, through the HDF5 C API.
//
// hdf5.h stays out of this header on purpose: the library links HDF5 privately, so
// HDF5 handles are kept as opaque 64-bit integers (hid_t is int64_t since 1.10).
// Every HDF5 failure becomes a rigcs::Error that names the file and the dataset or
// attribute; HDF5's own error printing is switched off.
//
// Paths inside a file are absolute ("/mcmc/energy") or relative to the root
// ("mcmc/energy"); missing parent groups are created on write.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "rigcs/core/error.hpp"  // every failure is a rigcs::Error

namespace rigcs {

// Shape of a dataset, outermost dimension first (row-major, as numpy sees it).
using H5Dims = std::vector<std::uint64_t>;

class H5File {
 public:
  // A closed file; every operation on it throws. Moved-from files are closed too.
  H5File() = default;
  ~H5File();
  H5File(H5File&& other) noexcept;
  H5File& operator=(H5File&& other) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  // A new file; fails if one exists at path (nothing is ever silently overwritten).
  static H5File create(const std::string& path);
  static H5File open_read(const std::string& path);
  static H5File open_rw(const std::string& path);

  const std::string& path() const { return path_; }
  bool is_open() const { return id_ >= 0; }
  bool is_writable() const { return writable_; }
  // Closes now and reports failure (the destructor closes quietly).
  void close();
  // Pushes everything written so far to the file, so a killed job leaves it readable.
  void flush();
  // flush(), then fsync: what was written is on the disk, not only in the page cache.
  // A row counter written after sync() counts only rows that are really stored.
  void sync();

  // --- structure -------------------------------------------------------------------
  bool exists(const std::string& path) const;
  bool is_group(const std::string& path) const;
  bool is_dataset(const std::string& path) const;
  // Names of the children of a group, sorted by name.
  std::vector<std::string> list(const std::string& group = "/") const;
  // Creates the group and its parents; does nothing if it already exists.
  void create_group(const std::string& path);
  // Removes the link to a dataset or group (the space is not reclaimed).
  void remove(const std::string& path);
  // Cuts an appendable dataset back to its first `rows` rows (nothing if it is not
  // longer); resuming runs use it to drop rows that no counter vouches for.
  void truncate_rows(const std::string& path, std::uint64_t rows);

  // --- fixed-size datasets ---------------------------------------------------------
  // dims empty means 1-D of data.size() elements; otherwise the product of dims must be
  // data.size(). Fails if the dataset exists: use replace() to rewrite one.
  void write(const std::string& path, const std::vector<double>& data, H5Dims dims = {});
  void write(const std::string& path, const std::vector<float>& data, H5Dims dims = {});
  void write(const std::string& path, const std::vector<std::int64_t>& data, H5Dims dims = {});
  void write(const std::string& path, const std::vector<std::int8_t>& data, H5Dims dims = {});
  void write(const std::string& path, const std::vector<std::uint64_t>& data, H5Dims dims = {});
  void write(const std::string& path, const std::vector<std::uint8_t>& data, H5Dims dims = {});
  // As write(), but an existing dataset at path is overwritten (checkpoints rewrite
  // their weights). Same type and shape: rewritten in place; otherwise recreated.
  void replace(const std::string& path, const std::vector<double>& data, H5Dims dims = {});
  void replace(const std::string& path, const std::vector<float>& data, H5Dims dims = {});
  void replace(const std::string& path, const std::vector<std::int64_t>& data, H5Dims dims = {});
  void replace(const std::string& path, const std::vector<std::int8_t>& data, H5Dims dims = {});
  void replace(const std::string& path, const std::vector<std::uint64_t>& data, H5Dims dims = {});
  void replace(const std::string& path, const std::vector<std::uint8_t>& data, H5Dims dims = {});

  // Whole dataset, flattened row-major. HDF5 converts within a type class (float32 read
  // as double, int8 read as int64; out-of-range integers are clamped by HDF5); reading
  // a float dataset as integers or the reverse is an error.
  std::vector<double> read_double(const std::string& path) const;
  std::vector<float> read_float(const std::string& path) const;
  std::vector<std::int64_t> read_int64(const std::string& path) const;
  std::vector<std::int8_t> read_int8(const std::string& path) const;
  // Raw state (RNG words, torch generator bytes) for checkpoints.
  std::vector<std::uint64_t> read_uint64(const std::string& path) const;
  std::vector<std::uint8_t> read_uint8(const std::string& path) const;
  // Shape of a dataset ({} for a scalar dataset).
  H5Dims dims(const std::string& path) const;
  // Stored element type of a dataset: "float64", "float32", "int8", "uint64", ...
  std::string type_name(const std::string& path) const;

  // --- appendable datasets (sample sets, time series) ------------------------------
  // Appends rows along the first dimension. The first call creates an unlimited,
  // chunked dataset of shape (0, inner...); int8 data (spins) is gzip-compressed.
  // data.size() must be a multiple of the product of inner; later calls must pass the
  // same inner shape. The file is flushed after each append, so a job killed halfway
  // keeps every complete append. Before writing, the free space of the file system is
  // checked: an append that would not fit (with a margin for HDF5's metadata) fails
  // with "no space left" before HDF5 writes anything, so the file stays readable.
  void append(const std::string& path, const std::vector<double>& rows, H5Dims inner = {});
  void append(const std::string& path, const std::vector<float>& rows, H5Dims inner = {});
  void append(const std::string& path, const std::vector<std::int64_t>& rows, H5Dims inner = {});
  void append(const std::string& path, const std::vector<std::int8_t>& rows, H5Dims inner = {});
  void append(const std::string& path, const std::vector<std::uint64_t>& rows, H5Dims inner = {});
  void append(const std::string& path, const std::vector<std::uint8_t>& rows, H5Dims inner = {});
  void append_int8(const std::string& path, const std::vector<std::int8_t>& rows, H5Dims inner = {}) {
    append(path, rows, std::move(inner));
  }

  // --- attributes on any group or dataset ("/" is the root) ------------------------
  // Setting an existing attribute replaces it.
  void set_attr(const std::string& obj, const std::string& name, const std::string& value);
  void set_attr(const std::string& obj, const std::string& name, const char* value) {
    set_attr(obj, name, std::string(value));
  }
  void set_attr(const std::string& obj, const std::string& name, double value);
  // Any integer type (bool too, as 0/1): stored as int64, or as uint64 for 64-bit
  // unsigned types (seeds).
  template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
  void set_attr(const std::string& obj, const std::string& name, T value) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      set_attr_uint64(obj, name, static_cast<std::uint64_t>(value));
    } else {
      set_attr_int64(obj, name, static_cast<std::int64_t>(value));
    }
  }
  // Float arrays as attributes (small things: couplings, lattice shape).
  void set_attr(const std::string& obj, const std::string& name, const std::vector<double>& value);

  bool has_attr(const std::string& obj, const std::string& name) const;
  std::string attr_string(const std::string& obj, const std::string& name) const;
  double attr_double(const std::string& obj, const std::string& name) const;
  // Integer attributes; fails if the stored value does not fit the requested type.
  std::int64_t attr_int64(const std::string& obj, const std::string& name) const;
  std::uint64_t attr_uint64(const std::string& obj, const std::string& name) const;
  std::vector<double> attr_doubles(const std::string& obj, const std::string& name) const;
  // Names of the attributes of an object, sorted.
  std::vector<std::string> attr_names(const std::string& obj) const;

 private:
  H5File(std::int64_t id, std::string path, bool writable);
  void set_attr_int64(const std::string& obj, const std::string& name, std::int64_t value);
  void set_attr_uint64(const std::string& obj, const std::string& name, std::uint64_t value);
  void require_open(const char* what) const;
  void require_writable(const char* what, const std::string& obj) const;

  std::int64_t id_ = -1;  // hid_t of the open file, -1 when closed
  std::string path_;
  bool writable_ = false;
};

// Test hook (compiled in always, inert unless set): after `n` more successful writes
// (dataset writes, appends, attributes, flushes) in this process, every further write
// fails as on a full disk, before HDF5 is called. n < 0 switches it off. The
// environment variable RIGCS_FAULT_WRITES=n sets it when the first file is opened,
// so that a test can run the real binary into a "full disk".
void inject_write_fault(std::int64_t n);

// Writes a file beside its target (<target>.tmp.<pid>) and renames it over the target
// on commit(), so a job killed while writing leaves either the previous complete file
// or the new complete one, never a half-written one. Destroyed without commit(), it
// removes the temporary file. Under MPI, construct it on the writing rank only.
class AtomicH5Writer {
 public:
  // Refuses to start when target exists and overwrite is false.
  explicit AtomicH5Writer(std::string target, bool overwrite = false);
  ~AtomicH5Writer();
  AtomicH5Writer(const AtomicH5Writer&) = delete;
  AtomicH5Writer& operator=(const AtomicH5Writer&) = delete;

  H5File& file() { return file_; }
  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }
  bool committed() const { return committed_; }

  // Flushes, closes, syncs and renames the temporary file over the target.
  void commit();

 private:
  std::string target_;
  std::string temp_;
  H5File file_;
  bool committed_ = false;
  bool keep_temp_ = false;  // set when the rename failed: the complete file is kept
};

}  // namespace rigcs
