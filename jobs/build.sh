#!/usr/bin/env bash
# Configures and builds rigcs in ${RIGCS_BUILD_DIR:-build} (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${RIGCS_BUILD_DIR:-build}
jobs=${RIGCS_BUILD_JOBS:-$(nproc)}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release ${RIGCS_CMAKE_ARGS:-} > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs"
