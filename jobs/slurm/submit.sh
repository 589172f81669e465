#!/usr/bin/env bash
# Submits one rigcs command as a SLURM job. Nothing is hard-coded: account,
# partition, deck and output are arguments; resources are options.
#   jobs/slurm/submit.sh -A ACCOUNT -p PARTITION -d DECK -o OUTPUT.h5 [-c COMMAND]
#                        [-n TASKS] [-N NODES] [-t HH:MM:SS] [-g GPUS_PER_NODE] [-b RIGCS_BINARY]
#                        [-- extra --key=value overrides]
# COMMAND is mcmc, train, sample or ais (default train). The job resumes from the
# run file's last checkpoint when it is requeued (train --resume).
set -euo pipefail
cmd=train tasks=4 nodes=1 time=01:00:00 gpus=0
binary=${RIGCS:-$(cd "$(dirname "$0")/../.." && pwd)/build/app/rigcs}
usage() { sed -n '2,9p' "$0"; exit 2; }
while getopts "A:p:d:o:c:n:N:t:g:b:h" opt; do
  case $opt in
    A) account=$OPTARG ;; p) partition=$OPTARG ;; d) deck=$OPTARG ;; o) output=$OPTARG ;;
    c) cmd=$OPTARG ;; n) tasks=$OPTARG ;; N) nodes=$OPTARG ;; t) time=$OPTARG ;;
    g) gpus=$OPTARG ;; b) binary=$OPTARG ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
: "${account:?-A ACCOUNT is required}" "${partition:?-p PARTITION is required}"
: "${deck:?-d DECK is required}" "${output:?-o OUTPUT is required}"
[ -f "$deck" ] || { echo "deck '$deck' not found" >&2; exit 2; }
gres=()
if [ "$gpus" != 0 ]; then gres=(--gres="gpu:$gpus"); fi
resume=()
if [ "$cmd" = train ]; then resume=(--resume); fi
# The job script is generated with every argument quoted by printf %q, so a deck or
# output name with spaces, quotes, ';' or '$(...)' reaches rigcs as that name and
# nothing of it is run by the shell.
job_script() {
  printf '#!/usr/bin/env bash\nset -euo pipefail\n'
  printf 'echo "rigcs job $SLURM_JOB_ID on $SLURM_JOB_NODELIST:" %q\n' "$cmd $deck -> $output"
  printf 'srun'
  printf ' %q' "$binary" "$cmd" "$deck" "--run.output=$output" ${resume[@]+"${resume[@]}"} "$@"
  printf '\n'
}
job_script "$@" | sbatch --account="$account" --partition="$partition" --nodes="$nodes" --ntasks="$tasks" \
  --time="$time" ${gres[@]+"${gres[@]}"} --job-name="rigcs-$cmd" --requeue --signal=B:TERM@120 \
  --output="${output%.h5}.%j.log"
