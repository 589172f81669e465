// Trainer checkpoints in HDF5: every NamedTensors entry of ReverseKlTrainer::export_state
// becomes a dataset <group>/<name> (weights and Adam moments in their own dtype, float64
// or float32; int64 counters),
// readable with h5py. The group carries a format tag checked on read.
#pragma once

#include <string>

#include "rigcs/io/h5file.hpp"
#include "rigcs/train/reverse_kl.hpp"

namespace rigcs {

inline constexpr const char* kCheckpointFormat = "rigcs-trainer-checkpoint";
inline constexpr int kCheckpointVersion = 1;

// Writes (or rewrites) the trainer state under `group` of a writable file.
void save_checkpoint(H5File& file, const std::string& group, const ReverseKlTrainer& trainer);

// Reads a state written by save_checkpoint into the trainer. Refuses a group without
// the format tag, and a checkpoint whose parameter names or shapes differ from the
// model (the error names the first mismatch); the trainer is unchanged then.
void load_checkpoint(const H5File& file, const std::string& group, ReverseKlTrainer& trainer);

// The state as stored, without a trainer (for inspection and tests).
NamedTensors read_checkpoint(const H5File& file, const std::string& group);

}  // namespace rigcs
