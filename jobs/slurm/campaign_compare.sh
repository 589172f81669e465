#!/usr/bin/env bash
# The comparison campaign of jobs/campaign_small.sh on a SLURM cluster, for N up to 128:
# Wolff MCMC, Cluster-AIS, VAN, MLMC-HB, HAN and RiGCS at beta = 0.4406868, as chains of jobs.
#   jobs/slurm/campaign_compare.sh -A ACCOUNT -p PARTITION -o OUTDIR [-N "4 8 16 32 64 128"]
#       [-m "wolff ais van mlmc_hb han rigcs"] [-n TASKS] [-t HH:MM:SS] [-g GPUS_PER_NODE]
#       [-b RIGCS_BINARY] [-q] [-x]
# Per lattice size and method: one job for MCMC or AIS (+ analyze); for the generative
# methods a training job (requeued after its time limit, continuing from the checkpoint)
# and a sample + analyze job after it (afterok). A last job, after all the others
# (afterany, so that it also reports what failed), runs doc/figures/make_figures into
# OUTDIR/figures. Every step is skipped when its output is complete and continued when it
# is not (jobs/campaign_step.sh), so submitting the campaign again finishes what is missing
# (the jobs of complete steps end at once).
#   -n  MPI tasks per job (default 4)     -t  time limit per job (default 04:00:00)
#   -g  GPUs per node for train/sample (adds --run.device=cuda; one GPU per task is best)
#   -b  rigcs binary (default $RIGCS or build/app/rigcs)   -q  counts divided by 10 (a test)
#   -x  dry run: print the sbatch options and job scripts, submit nothing
# Sizes per N are the table below (RiGCS: the published schedule); edit them to fit a site.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
usage() { sed -n '2,20p' "$0"; exit 2; }
ns="4 8 16 32 64 128" methods="wolff ais van mlmc_hb han rigcs" tasks=4 time=04:00:00 gpus=0
binary=${RIGCS:-$here/build/app/rigcs} quick=0 dry=0
while getopts "A:p:o:N:m:n:t:g:b:qxh" opt; do
  case $opt in
    A) account=$OPTARG ;; p) partition=$OPTARG ;; o) outdir=$OPTARG ;; N) ns=$OPTARG ;;
    m) methods=$OPTARG ;; n) tasks=$OPTARG ;; t) time=$OPTARG ;; g) gpus=$OPTARG ;;
    b) binary=$OPTARG ;; q) quick=1 ;; x) dry=1 ;; *) usage ;;
  esac
done
: "${account:?-A ACCOUNT is required}" "${partition:?-p PARTITION is required}" "${outdir:?-o OUTDIR is required}"
[ -x "$binary" ] || [ "$dry" = 1 ] || { echo "no rigcs binary at $binary (-b or RIGCS)" >&2; exit 2; }
mkdir -p "$outdir/logs"
outdir=$(cd "$outdir" && pwd)
decks=$here/input/campaign

# ---------------------------------------------------------------------------------------
# Sizes per N. RiGCS: the published schedule (stages N = 2, 4, ..., N), truncated to the
# stages of each N; VAN: the published architecture (depth 6, width 32, 13x13 kernels)
# instead of the depth 3, 7x7 of the small campaign (on the development machine, at batch
# 256 and lr 1e-3 or 3e-4, the published VAN collapsed onto the two ground states at N = 4
# and 8: watch its entropy, and lower train.lr if it trips train.collapse_entropy). Samples: 100000 from every model (1e6 from RiGCS at N <= 64,
# as in the paper), 20000 Wolff configurations for EMDM.
# Cluster-AIS: betas grow with the volume, 64 V up to N = 32, and 256 V at N >= 64, where
# 64 V gave an ESS per trajectory of only 0.004 on the development machine
# (jobs/campaign_small.sh, doc/benchmarks.md).
declare -A wolff_meas=([4]=100000 [8]=100000 [16]=100000 [32]=100000 [64]=100000 [128]=100000)
declare -A ais_steps=([4]=1024 [8]=4096 [16]=16384 [32]=65536 [64]=1048576 [128]=4194304)
declare -A ais_traj=([4]=10000 [8]=10000 [16]=10000 [32]=4000 [64]=2000 [128]=500)
declare -A van_steps=([4]=2000 [8]=2000 [16]=3000 [32]=4000 [64]=4000 [128]=4000)
declare -A mlmc_steps=([4]=1000 [8]=1000 [16]=1000 [32]=1000 [64]=1000 [128]=1000)
# HAN: batch 1000 as in the HAN paper, which trained 100000 steps; fewer here (a first
# guess, not measured at N >= 32: size the time limit from the training-step benchmark).
declare -A han_steps=([4]=2000 [8]=5000 [16]=10000 [32]=20000 [64]=20000 [128]=5000)
han_batch=1000
rigcs_steps=(500 500 1000 2000 1500 1500 2000)
rigcs_batch=(10000 10000 10000 5024 512 96 16)
van_batch=500 samples=100000 rigcs_samples=1000000 p_count=20000
# ---------------------------------------------------------------------------------------

scale() { if [ "$quick" = 1 ]; then local v=$(($1 / 10)); echo $((v < $2 ? $2 : v)); else echo "$1"; fi; }
for n in $ns; do
  [ -n "${van_steps[$n]:-}" ] || { echo "N = $n has no row in the size table of $0" >&2; exit 2; }
done

gres=() device=()
if [ "$gpus" != 0 ]; then gres=(--gres="gpu:$gpus"); device=(--run.device=cuda); fi
common_opts=(--account="$account" --partition="$partition" --parsable)

# submit NAME DEPENDENCY NTASKS TIME [sbatch options]: the job script comes on stdin;
# prints the job id
submit() {
  local name=$1 dep=$2 ntasks=$3 t=$4
  shift 4
  local opts=("${common_opts[@]}" --job-name="rigcs-$name" --ntasks="$ntasks" --time="$t"
              --output="$outdir/logs/$name.%j.log" "$@")
  if [ -n "$dep" ]; then opts+=(--dependency="$dep"); fi
  local script
  script=$(cat)
  if [ "$dry" = 1 ]; then
    { echo "sbatch ${opts[*]} <<EOF"; printf '%s\n' "$script" | sed 's/^/  /'; echo "EOF"; } >&2
    echo "DRY-$name"
  else
    local id
    id=$(sbatch "${opts[@]}" <<< "$script")
    echo "${id%%;*}"
  fi
}

# job_script STEP FILE [DECK overrides...] ...: a job running campaign_step.sh for each
# ';'-separated step; a training step stopped by the time-limit signal requeues the job
job_script() {
  printf '#!/usr/bin/env bash\nset -uo pipefail\n'
  printf 'export RIGCS=%q LAUNCH=srun\ncd %q\n' "$binary" "$here"
  printf 'echo "rigcs campaign job $SLURM_JOB_ID on $SLURM_JOB_NODELIST"\n'
  local cmd
  for cmd in "$@"; do
    printf 'bash jobs/campaign_step.sh %s\n' "$cmd"
    printf 'rc=$?\n'
    if [ "${cmd%% *}" = train ]; then
      printf 'if [ $rc = 3 ]; then echo "training stopped at the time limit: requeued, it continues from the checkpoint"; scontrol requeue "$SLURM_JOB_ID"; exit 0; fi\n'
    fi
    printf 'if [ $rc != 0 ]; then exit $rc; fi\n'
  done
}

all=()
q() { printf '%q' "$1"; }
for n in $ns; do
  common="--model.N=$n --model.beta=0.4406868"
  smp="--sample.count=$(scale $samples 2000) --sample.p_count=$(scale $p_count 500)"
  for m in $methods; do
    f=$(q "$outdir/${m}_N$n.h5")
    case $m in
      wolff)
        id=$(job_script "mcmc $f $(q "$decks/wolff.ini") $common --mcmc.measurements=$(scale "${wolff_meas[$n]}" 2000)" \
               "analyze $f" | submit "wolff_N$n" "" "$tasks" "$time")
        ids=$id ;;
      ais)
        id=$(job_script "ais $f $(q "$decks/ais.ini") $common --ais.steps=$(scale "${ais_steps[$n]}" 20) --ais.trajectories=$(scale "${ais_traj[$n]}" 400)" \
               "analyze $f" | submit "ais_N$n" "" "$tasks" "$time")
        ids=$id ;;
      van|mlmc_hb|han|rigcs)
        case $m in
          han) o="--train.steps=$(scale "${han_steps[$n]}" 10) --train.batch=$han_batch" ;;
          van) o="--van.depth=6 --van.width=32 --van.half_kernel=6 --train.steps=$(scale "${van_steps[$n]}" 10) --train.batch=$van_batch" ;;
          mlmc_hb) o="--train.steps=$(scale "${mlmc_steps[$n]}" 10)" ;;
          rigcs)
            st="" bt="" k=0 size=2
            while [ "$size" -le "$n" ]; do
              st+="${st:+,}$(scale "${rigcs_steps[$k]}" 10)"; bt+="${bt:+,}${rigcs_batch[$k]}"
              k=$((k + 1)) size=$((size * 2))
            done
            o="--train.stage_steps=$st --train.stage_batch=$bt" ;;
        esac
        s=$smp
        if [ "$m" = rigcs ] && [ "$n" -le 64 ]; then
          s="--sample.count=$(scale $rigcs_samples 2000) --sample.chunk=20000 --sample.p_count=$(scale $p_count 500)"
        fi
        args="$(q "$decks/$m.ini") $common $o $s${device[*]:+ ${device[*]}}"
        tid=$(job_script "train $f $args" | submit "${m}_N$n.train" "" "$tasks" "$time" \
                "${gres[@]}" --requeue --signal=TERM@120)
        sid=$(job_script "sample $f $args" "analyze $f" | submit "${m}_N$n.sample" "afterok:$tid" "$tasks" "$time" "${gres[@]}")
        ids="$tid $sid" ;;
      *) echo "unknown method '$m' (wolff ais van mlmc_hb han rigcs)" >&2; exit 2 ;;
    esac
    all+=($ids)
    echo "N=$n $m: job(s) $ids"
  done
done
deps=$(IFS=:; echo "${all[*]}")
fid=$({
  printf '#!/usr/bin/env bash\nset -euo pipefail\ncd %q\n' "$here"
  printf 'doc/figures/make_figures --rigcs %q --out %q %q\n' "$binary" "$outdir/figures" "$outdir"
} | submit figures "afterany:$deps" 1 00:30:00)
echo "figures: $fid (after all): $outdir/figures/results.md"
echo "logs: $outdir/logs; submit the campaign again to finish what did not (complete steps are skipped)"
