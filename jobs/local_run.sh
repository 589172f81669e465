#!/usr/bin/env bash
# Local runner: the main job of a deck end to end, on RANKS MPI ranks (default 2).
#   jobs/local_run.sh DECK OUTDIR
# Writes OUTDIR/<job>.h5 files and prints the analysis. Uses build/rigcs unless
# RIGCS points at another binary.
set -euo pipefail
deck=${1:?usage: jobs/local_run.sh DECK OUTDIR}
outdir=${2:?usage: jobs/local_run.sh DECK OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
rigcs=${RIGCS:-$here/${RIGCS_BUILD_DIR:-build}/app/rigcs}
ranks=${RANKS:-2}
mpirun=(mpirun -np "$ranks")
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi
mpirun+=(--oversubscribe)
mkdir -p "$outdir"
step() { echo; echo "==> $*"; "$@"; }

step "$rigcs" exact "$deck"
step "${mpirun[@]}" "$rigcs" mcmc "$deck" --run.output="$outdir/mcmc.h5" --overwrite
step "$rigcs" analyze "$outdir/mcmc.h5"
step "${mpirun[@]}" "$rigcs" ais "$deck" --run.output="$outdir/ais.h5" --overwrite
step "$rigcs" analyze "$outdir/ais.h5"
step "${mpirun[@]}" "$rigcs" train "$deck" --run.output="$outdir/model.h5" --overwrite
step "${mpirun[@]}" "$rigcs" sample "$deck" --run.output="$outdir/model.h5" --overwrite
step "$rigcs" analyze "$outdir/model.h5"
echo; echo "done: run files in $outdir; compare lnZ with the exact value above"
