#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every CTest test
# (labels unit, mpi, slow). Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/install_deps.sh
bash jobs/build.sh
cd "${RIGCS_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
