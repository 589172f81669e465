#!/usr/bin/env bash
# Configures and builds rigcs in ${RIGCS_BUILD_DIR:-build} (Release), through ccache when
# it is installed (RIGCS_USE_CCACHE; RIGCS_CMAKE_ARGS=-DRIGCS_USE_CCACHE=OFF turns it off).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${RIGCS_BUILD_DIR:-build}
jobs=${RIGCS_BUILD_JOBS:-$(nproc)}
ccache_arg=()
if command -v ccache > /dev/null; then ccache_arg=(-DRIGCS_USE_CCACHE=ON); fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "${ccache_arg[@]}" ${RIGCS_CMAKE_ARGS:-} > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs"
