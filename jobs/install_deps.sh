#!/usr/bin/env bash
# Installs the Debian packages rigcs builds and runs with (bookworm). Needs root
# (or sudo). Does nothing when everything is already there.
set -euo pipefail
packages=(
  build-essential cmake git pkg-config
  libtorch-dev libopenblas0-pthread     # LibTorch; OpenBLAS, else matmuls use the 15x slower reference BLAS
  libopenmpi-dev openmpi-bin
  libhdf5-dev
  libboost-program-options-dev
  libgtest-dev ccache
  python3-h5py python3-matplotlib python3-numpy   # the figure script and the HDF5 checks
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "rigcs: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
