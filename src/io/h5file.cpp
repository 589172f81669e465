#include "rigcs/io/h5file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include "rigcs/core/error.hpp"

namespace fs = std::filesystem;

namespace rigcs {

static_assert(sizeof(hid_t) == sizeof(std::int64_t), "hid_t is stored as std::int64_t");

namespace {

// --- errors ------------------------------------------------------------------------

// HDF5 prints its error stack to stderr by default; we report through rigcs::Error.
void silence_hdf5() {
  static const bool done = [] {
    // A file whose close failed (its last flush hit a full disk) stays in HDF5's tables,
    // and HDF5's exit handler then crashes closing it again (segfault at exit). Every
    // H5File closes its file itself, so the exit handler has nothing to do.
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* err, void* data) {
  auto* descs = static_cast<std::vector<std::string>*>(data);
  if (err->desc != nullptr && err->desc[0] != '\0') descs->emplace_back(err->desc);
  return 0;
}

// The HDF5 error stack as one line: the failing API call's complaint, then the
// innermost cause ("unable to open file: file signature not found"). Clears the stack.
std::string hdf5_reason() {
  std::vector<std::string> descs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &descs);
  H5Eclear2(H5E_DEFAULT);
  if (descs.empty()) return {};
  if (descs.size() == 1) return descs.front();
  return descs.front() + ": " + descs.back();
}

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// "<what> in HDF5 file '<file>' (HDF5: <reason>)"
[[noreturn]] void fail_h5(const std::string& file, const std::string& what) {
  const std::string reason = hdf5_reason();
  throw Error(what + " in HDF5 file " + in_quotes(file) +
              (reason.empty() ? std::string() : " (HDF5: " + reason + ")"));
}

hid_t check_id(hid_t id, const std::string& file, const std::string& what) {
  if (id < 0) fail_h5(file, what);
  return id;
}

void check_rc(herr_t rc, const std::string& file, const std::string& what) {
  if (rc < 0) fail_h5(file, what);
}

// --- write faults and free space ------------------------------------------------

// Writes left before the injected fault; -1: no fault (see inject_write_fault).
std::atomic<std::int64_t> g_writes_left{-1};

void read_fault_environment() {
  static const bool done = [] {
    if (const char* e = std::getenv("RIGCS_FAULT_WRITES")) {
      char* end = nullptr;
      const long long n = std::strtoll(e, &end, 10);
      if (end != e && *end == '\0') g_writes_left = n;
    }
    return true;
  }();
  (void)done;
}

// Every write goes through here first: the injected fault, if armed, fires now.
void before_write(const std::string& file, const std::string& what) {
  std::int64_t left = g_writes_left.load();
  while (left >= 0) {
    if (left == 0)
      throw Error(what + " in HDF5 file '" + file +
                  "': No space left on device (injected by RIGCS_FAULT_WRITES, a test hook)");
    if (g_writes_left.compare_exchange_weak(left, left - 1)) break;
  }
}

// Refuses a write of about `bytes` when the file system of `file` has less free space
// (plus 1 MiB and 10% for HDF5's metadata): HDF5 itself, on a full disk, can leave
// half-written metadata behind that no reader can open.
void require_space(const std::string& file, std::uint64_t bytes, const std::string& what) {
  struct statvfs st {};
  if (::statvfs(file.c_str(), &st) != 0) return;  // no answer: let the write itself fail
  const std::uint64_t avail = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  const std::uint64_t need = bytes + bytes / 10 + (std::uint64_t{1} << 20);
  if (avail < need)
    throw Error(what + " in HDF5 file '" + file + "': No space left on device (" + std::to_string(avail) +
                " bytes free, about " + std::to_string(need) + " needed); nothing of this write was stored");
}

// --- handles -----------------------------------------------------------------------

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Hid() {
    if (id_ >= 0) close_(id_);
  }
  Hid(Hid&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid& operator=(Hid&&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  Closer close_;
};

// --- paths -------------------------------------------------------------------------

// "/a/b" from "a/b", "/a/b/" or "/a/b"; "/" for the root.
std::string norm(const std::string& p) {
  std::string s = p;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s.empty() || s.front() != '/') s.insert(s.begin(), '/');
  return s;
}

bool link_exists(hid_t file, const std::string& path) {
  if (path == "/") return true;
  // H5Lexists needs every parent to exist, so walk down one component at a time.
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    const htri_t e = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (e <= 0) {
      H5Eclear2(H5E_DEFAULT);  // a dataset in the middle of the path is an error, not "no"
      return false;
    }
  }
  // A dangling soft link exists as a link but not as an object.
  const htri_t o = H5Oexists_by_name(file, path.c_str(), H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  return o > 0;
}

H5I_type_t object_type(hid_t file, const std::string& path) {
  if (!link_exists(file, path)) return H5I_BADID;
  const hid_t o = H5Oopen(file, path.c_str(), H5P_DEFAULT);
  if (o < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5I_BADID;
  }
  const H5I_type_t t = H5Iget_type(o);
  H5Oclose(o);
  return t;
}

// Link creation that makes missing parent groups ("/mcmc/energy" creates /mcmc).
Hid make_lcpl(const std::string& file) {
  Hid lcpl(check_id(H5Pcreate(H5P_LINK_CREATE), file, "cannot create property list"), H5Pclose);
  check_rc(H5Pset_create_intermediate_group(lcpl.get(), 1), file, "cannot set property list");
  return lcpl;
}

// --- element types -----------------------------------------------------------------

template <class T>
struct H5Type;
template <>
struct H5Type<double> {
  static hid_t mem() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
  static constexpr H5T_class_t cls = H5T_FLOAT;
  static constexpr const char* name = "float64";
};
template <>
struct H5Type<float> {
  static hid_t mem() { return H5T_NATIVE_FLOAT; }
  static hid_t file() { return H5T_IEEE_F32LE; }
  static constexpr H5T_class_t cls = H5T_FLOAT;
  static constexpr const char* name = "float32";
};
template <>
struct H5Type<std::int64_t> {
  static hid_t mem() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
  static constexpr H5T_class_t cls = H5T_INTEGER;
  static constexpr const char* name = "int64";
};
template <>
struct H5Type<std::int8_t> {
  static hid_t mem() { return H5T_NATIVE_INT8; }
  static hid_t file() { return H5T_STD_I8LE; }
  static constexpr H5T_class_t cls = H5T_INTEGER;
  static constexpr const char* name = "int8";
};

template <>
struct H5Type<std::uint64_t> {
  static hid_t mem() { return H5T_NATIVE_UINT64; }
  static hid_t file() { return H5T_STD_U64LE; }
  static constexpr H5T_class_t cls = H5T_INTEGER;
  static constexpr const char* name = "uint64";
};
template <>
struct H5Type<std::uint8_t> {
  static hid_t mem() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
  static constexpr H5T_class_t cls = H5T_INTEGER;
  static constexpr const char* name = "uint8";
};

// "float64", "int8", "uint64", "string", ... for messages about a stored type.
std::string describe_type(hid_t type) {
  const H5T_class_t c = H5Tget_class(type);
  const std::size_t bits = H5Tget_size(type) * 8;
  switch (c) {
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    default: return "non-numeric";
  }
}

std::uint64_t product(const H5Dims& d) {
  std::uint64_t p = 1;
  for (auto x : d) p *= x;
  return p;
}

std::string dims_text(const H5Dims& d) {
  std::string s = "(";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + (d.size() == 1 ? ",)" : ")");
}

H5Dims space_dims(hid_t space, const std::string& file, const std::string& what) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail_h5(file, what);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  if (rank > 0) check_rc(H5Sget_simple_extent_dims(space, d.data(), nullptr), file, what);
  return H5Dims(d.begin(), d.end());
}

// Opens a dataset, with a clear message when it is missing or not a dataset.
Hid open_dataset(hid_t file, const std::string& fname, const std::string& p) {
  const H5I_type_t t = object_type(file, p);
  if (t == H5I_BADID) throw Error("dataset " + in_quotes(p) + " not found in HDF5 file " + in_quotes(fname));
  if (t != H5I_DATASET) throw Error(in_quotes(p) + " is a group, not a dataset, in HDF5 file " + in_quotes(fname));
  return Hid(check_id(H5Dopen2(file, p.c_str(), H5P_DEFAULT), fname, "cannot open dataset " + in_quotes(p)),
             H5Dclose);
}

Hid open_object(hid_t file, const std::string& fname, const std::string& p) {
  if (!link_exists(file, p))
    throw Error("object " + in_quotes(p) + " not found in HDF5 file " + in_quotes(fname));
  return Hid(check_id(H5Oopen(file, p.c_str(), H5P_DEFAULT), fname, "cannot open object " + in_quotes(p)),
             H5Oclose);
}

// --- datasets ----------------------------------------------------------------------

template <class T>
void write_impl(hid_t file, const std::string& fname, const std::string& path,
                const std::vector<T>& data, H5Dims dims, bool replace) {
  const std::string p = norm(path);
  RIGCS_CHECK(p != "/", "cannot write a dataset at the root of HDF5 file " << in_quotes(fname));
  if (dims.empty()) dims = {static_cast<std::uint64_t>(data.size())};
  RIGCS_CHECK(product(dims) == data.size(),
              "dataset " << in_quotes(p) << " in HDF5 file " << in_quotes(fname) << ": shape "
                         << dims_text(dims) << " holds " << product(dims) << " elements but "
                         << data.size() << " were given");
  const std::vector<hsize_t> hd(dims.begin(), dims.end());
  const std::string what = "cannot write dataset " + in_quotes(p);

  const H5I_type_t existing = object_type(file, p);
  if (existing != H5I_BADID) {
    if (!replace)
      throw Error("dataset " + in_quotes(p) + " already exists in HDF5 file " + in_quotes(fname) +
                  " (use replace() to overwrite it)");
    if (existing == H5I_DATASET) {
      // Same type and shape: rewrite in place, so repeated checkpoints do not grow the file.
      Hid ds = open_dataset(file, fname, p);
      Hid type(check_id(H5Dget_type(ds.get()), fname, what), H5Tclose);
      Hid space(check_id(H5Dget_space(ds.get()), fname, what), H5Sclose);
      if (H5Tequal(type.get(), H5Type<T>::file()) > 0 && space_dims(space.get(), fname, what) == dims) {
        if (!data.empty())
          check_rc(H5Dwrite(ds.get(), H5Type<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
                   fname, what);
        return;
      }
    }
    check_rc(H5Ldelete(file, p.c_str(), H5P_DEFAULT), fname, "cannot remove old " + in_quotes(p));
  }

  Hid space(check_id(H5Screate_simple(static_cast<int>(hd.size()), hd.data(), nullptr), fname, what),
            H5Sclose);
  Hid lcpl = make_lcpl(fname);
  Hid ds(check_id(H5Dcreate2(file, p.c_str(), H5Type<T>::file(), space.get(), lcpl.get(), H5P_DEFAULT,
                             H5P_DEFAULT),
                  fname, what),
         H5Dclose);
  // HDF5 rejects a null buffer even for an empty write.
  if (!data.empty())
    check_rc(H5Dwrite(ds.get(), H5Type<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), fname,
             what);
}

template <class T>
std::vector<T> read_impl(hid_t file, const std::string& fname, const std::string& path) {
  const std::string p = norm(path);
  const std::string what = "cannot read dataset " + in_quotes(p);
  Hid ds = open_dataset(file, fname, p);
  Hid type(check_id(H5Dget_type(ds.get()), fname, what), H5Tclose);
  if (H5Tget_class(type.get()) != H5Type<T>::cls)
    throw Error("dataset " + in_quotes(p) + " in HDF5 file " + in_quotes(fname) + " holds " +
                describe_type(type.get()) + " data and cannot be read as " + H5Type<T>::name);
  Hid space(check_id(H5Dget_space(ds.get()), fname, what), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) fail_h5(fname, what);
  std::vector<T> out(static_cast<std::size_t>(n));
  if (n > 0)
    check_rc(H5Dread(ds.get(), H5Type<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), fname, what);
  return out;
}

// Rows per chunk: about 64 KiB per chunk, so each flushed append rewrites little.
hsize_t chunk_rows(std::uint64_t row_bytes) {
  const std::uint64_t target = 64 * 1024;
  return static_cast<hsize_t>(std::clamp<std::uint64_t>(target / std::max<std::uint64_t>(row_bytes, 1), 1, 1 << 16));
}

template <class T>
void append_impl(hid_t file, const std::string& fname, const std::string& path,
                 const std::vector<T>& data, const H5Dims& inner) {
  const std::string p = norm(path);
  RIGCS_CHECK(p != "/", "cannot append to the root of HDF5 file " << in_quotes(fname));
  const std::string what = "cannot append to dataset " + in_quotes(p);
  const std::uint64_t row = product(inner);
  RIGCS_CHECK(row > 0, what << " in HDF5 file " << in_quotes(fname) << ": row shape "
                            << dims_text(inner) << " is empty");
  RIGCS_CHECK(data.size() % row == 0,
              what << " in HDF5 file " << in_quotes(fname) << ": " << data.size()
                   << " values are not a whole number of rows of shape " << dims_text(inner));
  const hsize_t rows = data.size() / row;
  const int rank = static_cast<int>(inner.size()) + 1;

  const H5I_type_t existing = object_type(file, p);
  if (existing == H5I_BADID) {
    std::vector<hsize_t> d0{0}, dmax{H5S_UNLIMITED}, chunk{chunk_rows(row * sizeof(T))};
    for (auto x : inner) {
      d0.push_back(x);
      dmax.push_back(x);
      chunk.push_back(x);
    }
    Hid space(check_id(H5Screate_simple(rank, d0.data(), dmax.data()), fname, what), H5Sclose);
    Hid dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), fname, what), H5Pclose);
    check_rc(H5Pset_chunk(dcpl.get(), rank, chunk.data()), fname, what);
    // Spins compress well (about one bit of information per byte); floats do not.
    if (std::is_same_v<T, std::int8_t> && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0)
      check_rc(H5Pset_deflate(dcpl.get(), 4), fname, what);
    Hid lcpl = make_lcpl(fname);
    Hid ds(check_id(H5Dcreate2(file, p.c_str(), H5Type<T>::file(), space.get(), lcpl.get(), dcpl.get(),
                               H5P_DEFAULT),
                    fname, what),
           H5Dclose);
  }

  Hid ds = open_dataset(file, fname, p);
  Hid type(check_id(H5Dget_type(ds.get()), fname, what), H5Tclose);
  if (H5Tget_class(type.get()) != H5Type<T>::cls)
    throw Error(what + " in HDF5 file " + in_quotes(fname) + ": it holds " + describe_type(type.get()) +
                " data, not " + H5Type<T>::name);
  std::vector<hsize_t> cur(static_cast<std::size_t>(rank)), max(static_cast<std::size_t>(rank));
  {
    Hid space(check_id(H5Dget_space(ds.get()), fname, what), H5Sclose);
    const int r = H5Sget_simple_extent_ndims(space.get());
    if (r != rank)
      throw Error(what + " in HDF5 file " + in_quotes(fname) + ": it has " + std::to_string(r) +
                  " dimensions, rows of shape " + dims_text(inner) + " need " + std::to_string(rank));
    check_rc(H5Sget_simple_extent_dims(space.get(), cur.data(), max.data()), fname, what);
  }
  if (max[0] != H5S_UNLIMITED)
    throw Error(what + " in HDF5 file " + in_quotes(fname) + ": it was not created by append()");
  if (!std::equal(inner.begin(), inner.end(), cur.begin() + 1))
    throw Error(what + " in HDF5 file " + in_quotes(fname) + ": its rows have shape " +
                dims_text(H5Dims(cur.begin() + 1, cur.end())) + ", not " + dims_text(inner));
  if (rows == 0) return;

  std::vector<hsize_t> grown = cur;
  grown[0] += rows;
  check_rc(H5Dset_extent(ds.get(), grown.data()), fname, what);
  std::vector<hsize_t> start(static_cast<std::size_t>(rank), 0), count = grown;
  start[0] = cur[0];
  count[0] = rows;
  Hid fspace(check_id(H5Dget_space(ds.get()), fname, what), H5Sclose);
  check_rc(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
           fname, what);
  Hid mspace(check_id(H5Screate_simple(rank, count.data(), nullptr), fname, what), H5Sclose);
  check_rc(H5Dwrite(ds.get(), H5Type<T>::mem(), mspace.get(), fspace.get(), H5P_DEFAULT, data.data()), fname,
           what);
}

// --- attributes --------------------------------------------------------------------

std::string attr_where(const std::string& obj, const std::string& name) {
  return "attribute " + in_quotes(name) + " of " + in_quotes(obj);
}

// Creates (replacing any old one) an attribute and writes it from buf.
void write_attr(hid_t file, const std::string& fname, const std::string& obj, const std::string& name,
                hid_t file_type, hid_t mem_type, hid_t space, const void* buf) {
  const std::string p = norm(obj);
  const std::string what = "cannot write " + attr_where(p, name);
  before_write(fname, what);
  Hid o = open_object(file, fname, p);
  const htri_t e = H5Aexists(o.get(), name.c_str());
  if (e < 0) fail_h5(fname, what);
  if (e > 0) check_rc(H5Adelete(o.get(), name.c_str()), fname, what);
  Hid a(check_id(H5Acreate2(o.get(), name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT), fname, what),
        H5Aclose);
  check_rc(H5Awrite(a.get(), mem_type, buf), fname, what);
}

Hid open_attr(hid_t file, const std::string& fname, const std::string& obj, const std::string& name) {
  const std::string p = norm(obj);
  Hid o = open_object(file, fname, p);
  const htri_t e = H5Aexists(o.get(), name.c_str());
  if (e < 0) fail_h5(fname, "cannot read " + attr_where(p, name));
  if (e == 0) throw Error(attr_where(p, name) + " not found in HDF5 file " + in_quotes(fname));
  return Hid(check_id(H5Aopen(o.get(), name.c_str(), H5P_DEFAULT), fname, "cannot open " + attr_where(p, name)),
             H5Aclose);
}

// Checks the attribute's class and returns its number of elements.
hssize_t attr_points(hid_t a, const std::string& fname, const std::string& p, const std::string& name,
                     std::initializer_list<H5T_class_t> classes, const char* wanted) {
  const std::string what = "cannot read " + attr_where(p, name);
  Hid type(check_id(H5Aget_type(a), fname, what), H5Tclose);
  const H5T_class_t c = H5Tget_class(type.get());
  if (std::find(classes.begin(), classes.end(), c) == classes.end())
    throw Error(attr_where(p, name) + " in HDF5 file " + in_quotes(fname) + " is " +
                describe_type(type.get()) + ", not " + wanted);
  Hid space(check_id(H5Aget_space(a), fname, what), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) fail_h5(fname, what);
  return n;
}

void require_one(hssize_t n, const std::string& fname, const std::string& p, const std::string& name) {
  if (n != 1)
    throw Error(attr_where(p, name) + " in HDF5 file " + in_quotes(fname) + " holds " + std::to_string(n) +
                " values, not one");
}

herr_t collect_attr_name(hid_t /*loc*/, const char* name, const H5A_info_t* /*info*/, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

// --- files -------------------------------------------------------------------------

Hid make_fapl(const std::string& path) {
  Hid fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), path, "cannot create property list"), H5Pclose);
  // Closing the file closes everything in it, so commit() can rename a fully closed file.
  check_rc(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "cannot set property list");
#if (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10 && H5_VERS_RELEASE >= 7) || H5_VERSION_GE(1, 12, 1)
  // Lustre and NFS mounts often lack flock(); HDF5 would then refuse to open anything.
  check_rc(H5Pset_file_locking(fapl.get(), 1, 1), path, "cannot set property list");
#endif
  return fapl;
}

// A one-line explanation of why an existing file did not open.
[[noreturn]] void raise_open(const std::string& path, const char* mode) {
  const std::string reason = hdf5_reason();
  std::string hint;
  if (reason.find("signature") != std::string::npos)
    hint = ": it is not an HDF5 file";
  else if (reason.find("truncated") != std::string::npos)
    hint = ": the file is truncated (was the job that wrote it killed?)";
  else if (reason.find("lock") != std::string::npos)
    hint = ": it is locked (is another program writing it?)";
  throw Error("cannot open HDF5 file " + in_quotes(path) + " for " + mode + hint +
              (reason.empty() ? std::string() : " (HDF5: " + reason + ")"));
}

std::int64_t open_existing(const std::string& path, unsigned flags, const char* mode) {
  silence_hdf5();
  read_fault_environment();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("cannot open HDF5 file " + in_quotes(path) + ": no such file");
  if (!fs::is_regular_file(path, ec))
    throw Error("cannot open HDF5 file " + in_quotes(path) + ": not a regular file");
  Hid fapl = make_fapl(path);
  const hid_t id = H5Fopen(path.c_str(), flags, fapl.get());
  if (id < 0) raise_open(path, mode);
  return id;
}

}  // namespace

// --- H5File ------------------------------------------------------------------------

H5File::H5File(std::int64_t id, std::string path, bool writable)
    : id_(id), path_(std::move(path)), writable_(writable) {}

void inject_write_fault(std::int64_t n) {
  read_fault_environment();  // so that a later first open does not re-arm it
  g_writes_left = n < 0 ? -1 : n;
}

H5File::~H5File() {
  if (id_ >= 0) {
    H5Fclose(id_);
    H5Eclear2(H5E_DEFAULT);
  }
}

H5File::H5File(H5File&& other) noexcept
    : id_(other.id_), path_(std::move(other.path_)), writable_(other.writable_) {
  other.id_ = -1;
  other.writable_ = false;
}

H5File& H5File::operator=(H5File&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) {
      H5Fclose(id_);
      H5Eclear2(H5E_DEFAULT);
    }
    id_ = other.id_;
    path_ = std::move(other.path_);
    writable_ = other.writable_;
    other.id_ = -1;
    other.writable_ = false;
  }
  return *this;
}

H5File H5File::create(const std::string& path) {
  silence_hdf5();
  read_fault_environment();
  RIGCS_CHECK(!path.empty(), "cannot create an HDF5 file with an empty name");
  std::error_code ec;
  if (fs::exists(path, ec))
    throw Error("cannot create HDF5 file " + in_quotes(path) + ": a file of that name exists");
  Hid fapl = make_fapl(path);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get());
  if (id < 0) {
    const std::string reason = hdf5_reason();
    throw Error("cannot create HDF5 file " + in_quotes(path) + " (does its directory exist and is it writable?)" +
                (reason.empty() ? std::string() : " (HDF5: " + reason + ")"));
  }
  return H5File(id, path, true);
}

H5File H5File::open_read(const std::string& path) {
  silence_hdf5();  // before H5F_ACC_RDONLY, whose macro starts the library
  return H5File(open_existing(path, H5F_ACC_RDONLY, "reading"), path, false);
}

H5File H5File::open_rw(const std::string& path) {
  silence_hdf5();
  return H5File(open_existing(path, H5F_ACC_RDWR, "writing"), path, true);
}

void H5File::require_open(const char* what) const {
  RIGCS_CHECK(id_ >= 0, "HDF5 " << what << ": no file is open"
                                << (path_.empty() ? std::string() : " (last file: " + path_ + ")"));
}

void H5File::require_writable(const char* what, const std::string& obj) const {
  require_open(what);
  RIGCS_CHECK(writable_, "cannot " << what << " " << in_quotes(norm(obj)) << ": HDF5 file " << in_quotes(path_)
                                   << " is open read-only");
}

void H5File::close() {
  if (id_ < 0) return;
  const hid_t id = id_;
  id_ = -1;
  writable_ = false;
  check_rc(H5Fclose(id), path_, "cannot close the file");
}

void H5File::flush() {
  require_open("flush");
  if (!writable_) return;
  before_write(path_, "cannot flush the file");
  check_rc(H5Fflush(id_, H5F_SCOPE_LOCAL), path_, "cannot flush the file");
}

void H5File::sync() {
  flush();
  if (!writable_) return;
  void* handle = nullptr;
  // The sec2 driver (the default) hands out its file descriptor.
  if (H5Fget_vfd_handle(id_, H5P_DEFAULT, &handle) < 0 || handle == nullptr) {
    H5Eclear2(H5E_DEFAULT);
    return;
  }
  const int fd = *static_cast<int*>(handle);
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
    throw Error("cannot write HDF5 file '" + path_ + "' to disk: " + std::strerror(errno));
}

void H5File::truncate_rows(const std::string& path, std::uint64_t rows) {
  require_writable("truncate dataset", path);
  const std::string p = norm(path);
  const std::string what = "cannot truncate dataset " + in_quotes(p);
  Hid ds = open_dataset(id_, path_, p);
  std::vector<hsize_t> cur;
  {
    Hid space(check_id(H5Dget_space(ds.get()), path_, what), H5Sclose);
    const int r = H5Sget_simple_extent_ndims(space.get());
    if (r < 1) throw Error(what + " in HDF5 file " + in_quotes(path_) + ": it is a scalar");
    cur.resize(static_cast<std::size_t>(r));
    check_rc(H5Sget_simple_extent_dims(space.get(), cur.data(), nullptr), path_, what);
  }
  if (cur[0] <= rows) return;
  before_write(path_, what);
  cur[0] = rows;
  check_rc(H5Dset_extent(ds.get(), cur.data()), path_, what);
}

bool H5File::exists(const std::string& path) const {
  require_open("exists");
  return link_exists(id_, norm(path));
}

bool H5File::is_group(const std::string& path) const {
  require_open("is_group");
  return object_type(id_, norm(path)) == H5I_GROUP;
}

bool H5File::is_dataset(const std::string& path) const {
  require_open("is_dataset");
  return object_type(id_, norm(path)) == H5I_DATASET;
}

std::vector<std::string> H5File::list(const std::string& group) const {
  require_open("list");
  const std::string p = norm(group);
  const std::string what = "cannot list group " + in_quotes(p);
  const H5I_type_t t = object_type(id_, p);
  if (t == H5I_BADID) throw Error("group " + in_quotes(p) + " not found in HDF5 file " + in_quotes(path_));
  if (t != H5I_GROUP) throw Error(in_quotes(p) + " is not a group in HDF5 file " + in_quotes(path_));
  Hid g(check_id(H5Gopen2(id_, p.c_str(), H5P_DEFAULT), path_, what), H5Gclose);
  H5G_info_t info;
  check_rc(H5Gget_info(g.get(), &info), path_, what);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail_h5(path_, what);
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    if (H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      fail_h5(path_, what);
    name.resize(static_cast<std::size_t>(len));
    names.push_back(std::move(name));
  }
  return names;
}

void H5File::create_group(const std::string& path) {
  require_writable("create group", path);
  const std::string p = norm(path);
  const H5I_type_t t = object_type(id_, p);
  if (t == H5I_GROUP) return;
  if (t != H5I_BADID) throw Error("cannot create group " + in_quotes(p) + ": a dataset of that name exists in HDF5 file " + in_quotes(path_));
  before_write(path_, "cannot create group " + in_quotes(p));
  Hid lcpl = make_lcpl(path_);
  Hid g(check_id(H5Gcreate2(id_, p.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), path_,
                 "cannot create group " + in_quotes(p)),
        H5Gclose);
}

void H5File::remove(const std::string& path) {
  require_writable("remove", path);
  const std::string p = norm(path);
  RIGCS_CHECK(p != "/", "cannot remove the root group of HDF5 file " << in_quotes(path_));
  if (!link_exists(id_, p)) throw Error("cannot remove " + in_quotes(p) + ": not found in HDF5 file " + in_quotes(path_));
  check_rc(H5Ldelete(id_, p.c_str(), H5P_DEFAULT), path_, "cannot remove " + in_quotes(p));
}

#define RIGCS_H5_TYPED(T, READ)                                                                \
  void H5File::write(const std::string& path, const std::vector<T>& data, H5Dims dims) {       \
    require_writable("write dataset", path);                                                   \
    before_write(path_, "cannot write dataset " + in_quotes(norm(path)));                      \
    require_space(path_, data.size() * sizeof(T), "cannot write dataset " + in_quotes(norm(path))); \
    write_impl<T>(id_, path_, path, data, std::move(dims), false);                             \
  }                                                                                            \
  void H5File::replace(const std::string& path, const std::vector<T>& data, H5Dims dims) {     \
    require_writable("replace dataset", path);                                                 \
    before_write(path_, "cannot write dataset " + in_quotes(norm(path)));                      \
    require_space(path_, data.size() * sizeof(T), "cannot write dataset " + in_quotes(norm(path))); \
    write_impl<T>(id_, path_, path, data, std::move(dims), true);                              \
  }                                                                                            \
  std::vector<T> H5File::READ(const std::string& path) const {                                 \
    require_open("read");                                                                      \
    return read_impl<T>(id_, path_, path);                                                     \
  }                                                                                            \
  void H5File::append(const std::string& path, const std::vector<T>& rows, H5Dims inner) {     \
    require_writable("append to dataset", path);                                               \
    before_write(path_, "cannot append to dataset " + in_quotes(norm(path)));                  \
    require_space(path_, rows.size() * sizeof(T), "cannot append to dataset " + in_quotes(norm(path))); \
    append_impl<T>(id_, path_, path, rows, inner);                                             \
    flush();                                                                                   \
  }

RIGCS_H5_TYPED(double, read_double)
RIGCS_H5_TYPED(float, read_float)
RIGCS_H5_TYPED(std::int64_t, read_int64)
RIGCS_H5_TYPED(std::int8_t, read_int8)
RIGCS_H5_TYPED(std::uint64_t, read_uint64)
RIGCS_H5_TYPED(std::uint8_t, read_uint8)
#undef RIGCS_H5_TYPED

std::string H5File::type_name(const std::string& path) const {
  require_open("type_name");
  const std::string p = norm(path);
  Hid ds = open_dataset(id_, path_, p);
  Hid type(check_id(H5Dget_type(ds.get()), path_, "cannot read the type of dataset " + in_quotes(p)), H5Tclose);
  return describe_type(type.get());
}

H5Dims H5File::dims(const std::string& path) const {
  require_open("dims");
  const std::string p = norm(path);
  const std::string what = "cannot read the shape of dataset " + in_quotes(p);
  Hid ds = open_dataset(id_, path_, p);
  Hid space(check_id(H5Dget_space(ds.get()), path_, what), H5Sclose);
  return space_dims(space.get(), path_, what);
}

// --- attributes ----------------------------------------------------------------------

void H5File::set_attr(const std::string& obj, const std::string& name, const std::string& value) {
  require_writable("set attribute on", obj);
  const std::string what = "cannot write " + attr_where(norm(obj), name);
  // Variable-length UTF-8: h5py returns a str, and long decks avoid the 64 KiB limit
  // of attributes stored in the object header.
  Hid type(check_id(H5Tcopy(H5T_C_S1), path_, what), H5Tclose);
  check_rc(H5Tset_size(type.get(), H5T_VARIABLE), path_, what);
  check_rc(H5Tset_cset(type.get(), H5T_CSET_UTF8), path_, what);
  Hid space(check_id(H5Screate(H5S_SCALAR), path_, what), H5Sclose);
  const char* c = value.c_str();
  write_attr(id_, path_, obj, name, type.get(), type.get(), space.get(), &c);
}

void H5File::set_attr(const std::string& obj, const std::string& name, double value) {
  require_writable("set attribute on", obj);
  Hid space(check_id(H5Screate(H5S_SCALAR), path_, "cannot write " + attr_where(norm(obj), name)), H5Sclose);
  write_attr(id_, path_, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), &value);
}

void H5File::set_attr_int64(const std::string& obj, const std::string& name, std::int64_t value) {
  require_writable("set attribute on", obj);
  Hid space(check_id(H5Screate(H5S_SCALAR), path_, "cannot write " + attr_where(norm(obj), name)), H5Sclose);
  write_attr(id_, path_, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value);
}

void H5File::set_attr_uint64(const std::string& obj, const std::string& name, std::uint64_t value) {
  require_writable("set attribute on", obj);
  Hid space(check_id(H5Screate(H5S_SCALAR), path_, "cannot write " + attr_where(norm(obj), name)), H5Sclose);
  write_attr(id_, path_, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, space.get(), &value);
}

void H5File::set_attr(const std::string& obj, const std::string& name, const std::vector<double>& value) {
  require_writable("set attribute on", obj);
  const hsize_t n = value.size();
  Hid space(check_id(H5Screate_simple(1, &n, nullptr), path_, "cannot write " + attr_where(norm(obj), name)),
            H5Sclose);
  const double dummy = 0.0;  // HDF5 wants a non-null buffer even for zero elements
  write_attr(id_, path_, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(),
             value.empty() ? &dummy : value.data());
}

bool H5File::has_attr(const std::string& obj, const std::string& name) const {
  require_open("has_attr");
  const std::string p = norm(obj);
  if (!link_exists(id_, p)) return false;
  const htri_t e = H5Aexists_by_name(id_, p.c_str(), name.c_str(), H5P_DEFAULT);
  if (e < 0) fail_h5(path_, "cannot look up " + attr_where(p, name));
  return e > 0;
}

std::string H5File::attr_string(const std::string& obj, const std::string& name) const {
  require_open("attr_string");
  const std::string p = norm(obj);
  const std::string what = "cannot read " + attr_where(p, name);
  Hid a = open_attr(id_, path_, p, name);
  require_one(attr_points(a.get(), path_, p, name, {H5T_STRING}, "a string"), path_, p, name);
  Hid ftype(check_id(H5Aget_type(a.get()), path_, what), H5Tclose);
  Hid mtype(check_id(H5Tcopy(H5T_C_S1), path_, what), H5Tclose);
  check_rc(H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get())), path_, what);
  const htri_t vlen = H5Tis_variable_str(ftype.get());
  if (vlen < 0) fail_h5(path_, what);
  if (vlen > 0) {
    check_rc(H5Tset_size(mtype.get(), H5T_VARIABLE), path_, what);
    char* c = nullptr;
    check_rc(H5Aread(a.get(), mtype.get(), &c), path_, what);
    std::string s = c != nullptr ? c : "";
    H5free_memory(c);
    return s;
  }
  // Fixed-length strings (numpy bytes from h5py, other programs): read null-terminated.
  const std::size_t size = H5Tget_size(ftype.get());
  check_rc(H5Tset_size(mtype.get(), size + 1), path_, what);
  check_rc(H5Tset_strpad(mtype.get(), H5T_STR_NULLTERM), path_, what);
  std::vector<char> buf(size + 1, '\0');
  check_rc(H5Aread(a.get(), mtype.get(), buf.data()), path_, what);
  return std::string(buf.data());
}

double H5File::attr_double(const std::string& obj, const std::string& name) const {
  require_open("attr_double");
  const std::string p = norm(obj);
  Hid a = open_attr(id_, path_, p, name);
  require_one(attr_points(a.get(), path_, p, name, {H5T_FLOAT, H5T_INTEGER}, "a number"), path_, p, name);
  double v = 0.0;
  check_rc(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v), path_, "cannot read " + attr_where(p, name));
  return v;
}

std::vector<double> H5File::attr_doubles(const std::string& obj, const std::string& name) const {
  require_open("attr_doubles");
  const std::string p = norm(obj);
  Hid a = open_attr(id_, path_, p, name);
  const hssize_t n = attr_points(a.get(), path_, p, name, {H5T_FLOAT, H5T_INTEGER}, "numeric");
  std::vector<double> v(static_cast<std::size_t>(n));
  if (n > 0) check_rc(H5Aread(a.get(), H5T_NATIVE_DOUBLE, v.data()), path_, "cannot read " + attr_where(p, name));
  return v;
}

namespace {
// Reads a scalar integer attribute exactly, whatever its stored sign, so that range
// checks are ours and not HDF5's silent clamping.
struct StoredInt {
  bool is_unsigned;
  std::int64_t s;
  std::uint64_t u;
};
StoredInt read_stored_int(hid_t file, const std::string& fname, const std::string& p, const std::string& name) {
  const std::string what = "cannot read " + attr_where(p, name);
  Hid a = open_attr(file, fname, p, name);
  require_one(attr_points(a.get(), fname, p, name, {H5T_INTEGER}, "an integer"), fname, p, name);
  Hid ftype(check_id(H5Aget_type(a.get()), fname, what), H5Tclose);
  StoredInt v{H5Tget_sign(ftype.get()) == H5T_SGN_NONE, 0, 0};
  if (v.is_unsigned)
    check_rc(H5Aread(a.get(), H5T_NATIVE_UINT64, &v.u), fname, what);
  else
    check_rc(H5Aread(a.get(), H5T_NATIVE_INT64, &v.s), fname, what);
  return v;
}
}  // namespace

std::int64_t H5File::attr_int64(const std::string& obj, const std::string& name) const {
  require_open("attr_int64");
  const std::string p = norm(obj);
  const StoredInt v = read_stored_int(id_, path_, p, name);
  if (!v.is_unsigned) return v.s;
  RIGCS_CHECK(v.u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
              attr_where(p, name) << " in HDF5 file " << in_quotes(path_) << " is " << v.u
                                  << ", too large for int64");
  return static_cast<std::int64_t>(v.u);
}

std::uint64_t H5File::attr_uint64(const std::string& obj, const std::string& name) const {
  require_open("attr_uint64");
  const std::string p = norm(obj);
  const StoredInt v = read_stored_int(id_, path_, p, name);
  if (v.is_unsigned) return v.u;
  RIGCS_CHECK(v.s >= 0, attr_where(p, name) << " in HDF5 file " << in_quotes(path_) << " is " << v.s
                                            << ", not a non-negative integer");
  return static_cast<std::uint64_t>(v.s);
}

std::vector<std::string> H5File::attr_names(const std::string& obj) const {
  require_open("attr_names");
  const std::string p = norm(obj);
  Hid o = open_object(id_, path_, p);
  std::vector<std::string> names;
  hsize_t idx = 0;
  check_rc(H5Aiterate2(o.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr_name, &names), path_,
           "cannot list the attributes of " + in_quotes(p));
  return names;
}

// --- AtomicH5Writer ----------------------------------------------------------------

AtomicH5Writer::AtomicH5Writer(std::string target, bool overwrite) : target_(std::move(target)) {
  RIGCS_CHECK(!target_.empty(), "output file name is empty");
  std::error_code ec;
  if (fs::exists(target_, ec)) {
    RIGCS_CHECK(!fs::is_directory(target_, ec), "output file " << in_quotes(target_) << " is a directory");
    RIGCS_CHECK(overwrite, "output file " << in_quotes(target_) << " exists; pass --overwrite to replace it");
  }
  temp_ = target_ + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
  fs::remove(temp_, ec);  // left by an earlier process that had the same pid and was killed
  file_ = H5File::create(temp_);
}

AtomicH5Writer::~AtomicH5Writer() {
  if (committed_) return;
  file_ = H5File();  // closes the temporary file before it is removed
  if (!keep_temp_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicH5Writer::commit() {
  RIGCS_CHECK(!committed_, "output file " << in_quotes(target_) << " was already committed");
  file_.flush();
  file_.close();
  // Make the data durable before the rename makes it visible.
  const int fd = ::open(temp_.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  fs::rename(temp_, target_, ec);
  if (ec) {
    keep_temp_ = true;
    throw Error("cannot move the finished output " + in_quotes(temp_) + " to " + in_quotes(target_) + ": " +
                ec.message() + "; the complete file is kept as " + in_quotes(temp_));
  }
  committed_ = true;
  const fs::path dir = fs::absolute(fs::path(target_), ec).parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace rigcs
