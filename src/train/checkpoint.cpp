#include "rigcs/train/checkpoint.hpp"

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

namespace {

std::string join(const std::string& group, const std::string& name) {
  if (group.empty() || group == "/") return "/" + name;
  return group.back() == '/' ? group + name : group + "/" + name;
}

H5Dims dims_of(const torch::Tensor& t) {
  H5Dims d;
  for (auto s : t.sizes()) d.push_back(static_cast<std::uint64_t>(s));
  if (d.empty()) d.push_back(1);
  return d;
}

// Counters (Adam's step, the trainer's step and seed) are integers; the rest float.
bool is_counter(const std::string& name) {
  return name.rfind("trainer/", 0) == 0 ||
         (name.rfind("adam/", 0) == 0 && name.size() >= 5 && name.compare(name.size() - 5, 5, "/step") == 0);
}

void collect(const H5File& file, const std::string& root, const std::string& rel, NamedTensors& out) {
  const std::string here = rel.empty() ? root : join(root, rel);
  for (const auto& child : file.list(here)) {
    const std::string name = rel.empty() ? child : rel + "/" + child;
    const std::string path = join(root, name);
    if (file.is_group(path)) {
      collect(file, root, name, out);
      continue;
    }
    std::vector<std::int64_t> shape;
    for (auto d : file.dims(path)) shape.push_back(static_cast<std::int64_t>(d));
    if (is_counter(name)) {
      auto v = file.read_int64(path);
      out.emplace_back(name, torch::tensor(v, torch::kInt64).view(shape));
    } else if (file.type_name(path) == "float64") {
      auto v = file.read_double(path);
      out.emplace_back(name, torch::tensor(v, torch::kFloat64).view(shape));
    } else {
      auto v = file.read_float(path);
      out.emplace_back(name, torch::tensor(v, torch::kFloat32).view(shape));
    }
  }
}

}  // namespace

void save_checkpoint(H5File& file, const std::string& group, const ReverseKlTrainer& trainer) {
  file.create_group(group);
  file.set_attr(group, "format", kCheckpointFormat);
  file.set_attr(group, "version", kCheckpointVersion);
  for (const auto& [name, tensor] : trainer.export_state()) {
    auto t = tensor.detach().to(torch::kCPU).contiguous();
    const std::string path = join(group, name);
    if (is_counter(name)) {
      auto c = t.to(torch::kInt64).contiguous();
      std::vector<std::int64_t> v(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
      file.replace(path, v, dims_of(c));
    } else {
      RIGCS_CHECK(t.is_floating_point(), "checkpoint entry " << name << " is not a float tensor");
      // Each tensor keeps its dtype: float64 (the MLMC-HB couplings) as float64, so a
      // resumed run continues from exactly the stored values; the rest as float32.
      if (t.scalar_type() == torch::kFloat64) {
        auto c = t.contiguous();
        std::vector<double> v(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
        file.replace(path, v, dims_of(c));
      } else {
        auto c = t.to(torch::kFloat32).contiguous();
        std::vector<float> v(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
        file.replace(path, v, dims_of(c));
      }
    }
  }
  file.flush();
}

NamedTensors read_checkpoint(const H5File& file, const std::string& group) {
  RIGCS_CHECK(file.is_group(group), "no checkpoint group " << group << " in " << file.path());
  RIGCS_CHECK(file.has_attr(group, "format") && file.attr_string(group, "format") == kCheckpointFormat,
              group << " in " << file.path() << " is not a trainer checkpoint (format tag missing)");
  const auto version = file.attr_int64(group, "version");
  RIGCS_CHECK(version == kCheckpointVersion, "checkpoint " << group << " in " << file.path()
                                                           << " has version " << version
                                                           << ", this program reads "
                                                           << kCheckpointVersion);
  NamedTensors out;
  collect(file, group, "", out);
  return out;
}

void load_checkpoint(const H5File& file, const std::string& group, ReverseKlTrainer& trainer) {
  auto state = read_checkpoint(file, group);
  try {
    trainer.import_state(state);
  } catch (const Error& e) {
    RIGCS_FAIL(file.path() << ":" << group << ": " << e.what());
  }
}

}  // namespace rigcs
