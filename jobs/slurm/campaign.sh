#!/usr/bin/env bash
# A chain of SLURM jobs for one deck: MCMC reference, training, sampling, analysis,
# each job starting after the previous one succeeded.
#   jobs/slurm/campaign.sh -A ACCOUNT -p PARTITION -d DECK -o OUTDIR [-n TASKS] [-t TIME]
set -euo pipefail
tasks=4 time=02:00:00
while getopts "A:p:d:o:n:t:" opt; do
  case $opt in A) account=$OPTARG ;; p) partition=$OPTARG ;; d) deck=$OPTARG ;; o) outdir=$OPTARG ;;
    n) tasks=$OPTARG ;; t) time=$OPTARG ;; *) exit 2 ;; esac
done
: "${account:?-A}" "${partition:?-p}" "${deck:?-d}" "${outdir:?-o}"
binary=${RIGCS:-$(cd "$(dirname "$0")/../.." && pwd)/build/app/rigcs}
mkdir -p "$outdir"
common=(--account="$account" --partition="$partition" --ntasks="$tasks" --time="$time" --parsable)
# --wrap strings are shell code: every path goes in quoted by printf %q, so a deck or
# folder with spaces or ';' stays one argument and runs nothing.
wrap() { printf '%q ' "$@"; }
j1=$(sbatch "${common[@]}" --job-name=rigcs-mcmc --output="$outdir/mcmc.%j.log" \
  --wrap="srun $(wrap "$binary" mcmc "$deck" "--run.output=$outdir/mcmc.h5") && $(wrap "$binary" analyze "$outdir/mcmc.h5")")
j2=$(sbatch "${common[@]}" --job-name=rigcs-train --requeue --output="$outdir/train.%j.log" \
  --wrap="srun $(wrap "$binary" train "$deck" "--run.output=$outdir/model.h5" --resume)")
j3=$(sbatch "${common[@]}" --job-name=rigcs-sample --dependency="afterok:$j2" --output="$outdir/sample.%j.log" \
  --wrap="srun $(wrap "$binary" sample "$deck" "--run.output=$outdir/model.h5") && $(wrap "$binary" analyze "$outdir/model.h5")")
echo "submitted: mcmc $j1, train $j2, sample $j3 (after train)"
