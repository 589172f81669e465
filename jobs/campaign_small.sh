#!/usr/bin/env bash
# Comparison campaign on one machine: Wolff MCMC, Cluster-AIS, VAN, MLMC-HB, HAN and
# RiGCS on the N x N Ising model at beta = 0.4406868 (critical), N = 4, 8, 16 by default,
# and at the paper's sizes N = 32, 64 (CAMPAIGN_NS="32 64", beta = 0.44, the shipped RiGCS
# models sampled); every generative method trained, sampled and analysed; then
# doc/figures/make_figures over the results.
#   jobs/campaign_small.sh [--doc-figures] [OUTDIR]        (OUTDIR default campaign_out)
# Writes OUTDIR/<method>_N<N>.h5 (analysed, /results stored), OUTDIR/logs/*.log, and the
# figures and results.md into OUTDIR/figures (with --doc-figures or DOC_FIGURES=1 also
# into doc/figures). Sized to finish within an hour on a 2-core machine with 2 ranks:
# the run committed in doc/figures took 26 minutes (VAN N = 16 training 11.4 of them)
# while a clean build and the test suite shared the machine.
# Restartable: run it again and every complete step is skipped, unfinished runs are
# continued (jobs/campaign_step.sh).
# Environment:
#   RIGCS=path        rigcs binary (default build/app/rigcs)
#   RANKS=2           MPI ranks of the parallel steps (mpirun -np RANKS)
#   CAMPAIGN_NS="4 8 16"             lattice sizes (each must have a row in the table below:
#                                    4, 8, 16, 32, 64)
#   METHODS="wolff ais van mlmc_hb han rigcs"   methods to run; van_published adds the
#                     published VAN with beta annealing (input/campaign/van_published.ini,
#                     N <= 16; "VAN (annealed)" in the figures)
#   QUICK=1           a smoke test: every step count and sample count divided by 10
#   VERBOSE=1         show the rigcs output on the terminal too (always in OUTDIR/logs)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
doc_figures=${DOC_FIGURES:-0}
outdir=""
for a in "$@"; do
  case $a in
    --doc-figures) doc_figures=1 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    -*) echo "unknown option $a" >&2; exit 2 ;;
    *) [ -z "$outdir" ] || { echo "one OUTDIR only" >&2; exit 2; }; outdir=$a ;;
  esac
done
outdir=${outdir:-campaign_out}
export RIGCS=${RIGCS:-$here/build/app/rigcs}
export RANKS=${RANKS:-2}
ns=${CAMPAIGN_NS:-4 8 16}
methods=${METHODS:-wolff ais van mlmc_hb han rigcs}
quick=${QUICK:-0}
verbose=${VERBOSE:-0}
decks=$here/input/campaign
[ -x "$RIGCS" ] || { echo "no rigcs binary at $RIGCS: build it (jobs/build.sh) or set RIGCS" >&2; exit 2; }
/usr/bin/python3 -c "import h5py, numpy, matplotlib" 2>/dev/null ||
  { echo "/usr/bin/python3 needs h5py, numpy, matplotlib (jobs/install_deps.sh)" >&2; exit 2; }

# ---------------------------------------------------------------------------------------
# Sizes per lattice size N (the decks in input/campaign/ hold everything else). N = 4 to 16
# fit in an hour on 2 cores: the cost is dominated by training VAN and RiGCS (measured
# with 2 ranks, batch 256, machine shared with a compile: VAN 7x7 about 1 s per step at
# N = 16; RiGCS about 0.3 s per step at the stages up to N = 8 and 0.9 s at N = 16).
# Samples: 20000 from every generative model, 5000 Wolff configurations for EMDM (decks).
# N = 32 and 64 are at beta = 0.44, the beta of the shipped RiGCS models (models/), which
# are sampled (1e6 samples) instead of trained again; their training is in their run files.
# Cluster-AIS: 64 V betas up to N = 32 (measured ESS per trajectory 0.64 and 0.21 at
# N = 16 and 32), 256 V at N = 64, where 64 V gave 0.004 and 256 V gives 0.15 (2026-12-01,
# doc/benchmarks.md). One trajectory costs about 0.1 CPU s at N = 32 (64 V) and 5.5 at
# N = 64 (256 V). The VAN is the depth 3, 7x7 net of input/campaign/van.ini: the published
# VAN (depth 6, width 32, 13x13) collapsed onto the two ground states within 55 to 150
# steps at N = 4 and 8 (lr 1e-3, and at N = 8 also 3e-4), and one of its training steps
# at N = 32 costs minutes here; it is not run at N >= 32 (doc/benchmarks.md).
#   N  | beta      | Wolff meas./rank | AIS betas x traj. | VAN steps | MLMC-HB fit steps | RiGCS steps per stage (batch 256) | HAN steps x batch
#   4  | 0.4406868 | 50000            | 1024 x 4000       | 300       | 200               | 150,300                           | 300 x 256
#   8  | 0.4406868 | 50000            | 4096 x 4000       | 500       | 200               | 150,150,400                       | 6000 x 512
#   16 | 0.4406868 | 50000            | 16384 x 4000      | 500       | 300               | 150,150,300,800                   | 4000 x 512
#   32 | 0.44      | 50000            | 65536 x 2000      | -         | 300               | shipped model, 1e6 samples        | 36000 x 256
#   64 | 0.44      | 50000            | 1048576 x 600     | -         | 300               | shipped model, 1e6 samples        | 1000 x 128
# HAN at N = 32: 36000 steps (68 min on one core, ESS 0.746; 22000 gave 0.60; measured
# 2026-12-02) where the committed figures' run had 3000 (ESS 0.015); about RiGCS's
# training CPU time at N = 32. Campaign to N = 64 on 2 ranks: about 2 h (estimate).
declare -A beta_of=([4]=0.4406868 [8]=0.4406868 [16]=0.4406868 [32]=0.44 [64]=0.44)
declare -A wolff_meas=([4]=50000 [8]=50000 [16]=50000 [32]=50000 [64]=50000)
declare -A ais_steps=([4]=1024 [8]=4096 [16]=16384 [32]=65536 [64]=1048576)
declare -A ais_traj=([4]=4000 [8]=4000 [16]=4000 [32]=2000 [64]=600)
declare -A van_steps=([4]=300 [8]=500 [16]=500 [32]=- [64]=-)
# The published VAN (van_published), annealed with 0.99: 1 rank measured 5.6, 0.9 and
# 0.14 steps/s at N = 4, 8, 16 (2026-12-01, the other core busy).
declare -A vanp_steps=([4]=500 [8]=1000 [16]=500 [32]=- [64]=-)
declare -A mlmc_steps=([4]=200 [8]=200 [16]=300 [32]=300 [64]=300)
declare -A rigcs_steps=([4]=150,300 [8]=150,150,400 [16]=150,150,300,800 [32]=shipped [64]=shipped)
declare -A han_steps=([4]=300 [8]=6000 [16]=4000 [32]=36000 [64]=1000)
declare -A han_batch=([4]=256 [8]=512 [16]=512 [32]=512 [64]=128)
samples=20000 p_count=5000 shipped_samples=1000000
# ---------------------------------------------------------------------------------------

# scale VALUE FLOOR: the value, divided by 10 under QUICK=1 (never below FLOOR)
scale() {
  if [ "$quick" = 1 ]; then
    local v=$(($1 / 10))
    echo $((v < $2 ? $2 : v))
  else
    echo "$1"
  fi
}
scale_list() {
  local out="" x
  IFS=, read -r -a xs <<< "$1"
  for x in "${xs[@]}"; do out+="${out:+,}$(scale "$x" 10)"; done
  echo "$out"
}
batch_list() {  # 256 for each stage of a list
  local out="" x
  IFS=, read -r -a xs <<< "$1"
  for x in "${xs[@]}"; do out+="${out:+,}256"; done
  echo "$out"
}

for n in $ns; do
  [ -n "${van_steps[$n]:-}" ] || { echo "N = $n has no row in the size table of $0" >&2; exit 2; }
done
mkdir -p "$outdir/logs"
settings="QUICK=$quick"
if [ -f "$outdir/.campaign" ] && [ "$(cat "$outdir/.campaign")" != "$settings" ]; then
  echo "$outdir was made with $(cat "$outdir/.campaign"), not $settings: use another OUTDIR" >&2
  exit 2
fi
echo "$settings" > "$outdir/.campaign"

# The plan: one line per step, "method N step file deck overrides...", each word quoted
# by printf %q (OUTDIR may hold spaces); a line is split back with eval.
words() { printf '%q ' "$@"; }
plan=()
for n in $ns; do
  beta=${beta_of[$n]}
  common="--model.N=$n --model.beta=$beta"
  smp="--sample.count=$(scale $samples 2000) --sample.p_count=$(scale $p_count 500)"
  for m in $methods; do
    f=$outdir/${m}_N$n.h5
    if { [ "$m" = van ] && [ "${van_steps[$n]}" = - ]; } || { [ "$m" = van_published ] && [ "${vanp_steps[$n]}" = - ]; }; then
      echo "$m is not run at N = $n (its training cost; see the size table of $0)"
      continue
    fi
    if [ "$m" = rigcs ] && [ "${rigcs_steps[$n]}" = shipped ]; then
      model=$here/models/rigcs_ising_N${n}_beta$beta.h5
      [ -f "$model" ] || { echo "no shipped model $model for N = $n" >&2; exit 2; }
      # The shipped model's own deck (its schedule and architecture), the campaign's seed.
      plan+=("$(words "$m" "$n" sample "$f" "${model%.h5}.ini" $common --run.seed=105 "--sample.model=$model" \
        "--sample.count=$(scale $shipped_samples 2000)" --sample.chunk=20000 "--sample.p_count=$(scale $p_count 500)")")
      plan+=("$(words "$m" "$n" analyze "$f")")
      continue
    fi
    case $m in
      wolff)
        plan+=("$(words "$m" "$n" mcmc "$f" "$decks/wolff.ini" $common "--mcmc.measurements=$(scale "${wolff_meas[$n]}" 2000)")")
        plan+=("$(words "$m" "$n" analyze "$f")") ;;
      ais)
        plan+=("$(words "$m" "$n" ais "$f" "$decks/ais.ini" $common "--ais.steps=$(scale "${ais_steps[$n]}" 20)" "--ais.trajectories=$(scale "${ais_traj[$n]}" 400)")")
        plan+=("$(words "$m" "$n" analyze "$f")") ;;
      van|van_published|mlmc_hb|han|rigcs)
        case $m in
          van) o="--train.steps=$(scale "${van_steps[$n]}" 10)" ;;
          van_published) o="--train.steps=$(scale "${vanp_steps[$n]}" 10)" ;;
          han) o="--train.steps=$(scale "${han_steps[$n]}" 10) --train.batch=${han_batch[$n]}" ;;
          mlmc_hb) o="--train.steps=$(scale "${mlmc_steps[$n]}" 10)" ;;
          rigcs) o="--train.stage_steps=$(scale_list "${rigcs_steps[$n]}") --train.stage_batch=$(batch_list "${rigcs_steps[$n]}")" ;;
        esac
        plan+=("$(words "$m" "$n" train "$f" "$decks/$m.ini" $common $o $smp)")
        plan+=("$(words "$m" "$n" sample "$f" "$decks/$m.ini" $common $o $smp)")
        plan+=("$(words "$m" "$n" analyze "$f")") ;;
      *) echo "unknown method '$m' (wolff ais van van_published mlmc_hb han rigcs)" >&2; exit 2 ;;
    esac
  done
done

declare -A name=([wolff]="Wolff MCMC" [ais]="Cluster-AIS" [van]=VAN [van_published]="VAN (ann.)" [mlmc_hb]=MLMC-HB [han]=HAN [rigcs]=RiGCS)
total=${#plan[@]}
echo "rigcs comparison campaign: N = $ns, methods: $methods, $RANKS ranks, QUICK=$quick"
echo "output: $outdir (logs in $outdir/logs), binary: $RIGCS"
t_start=$SECONDS
summary=()
k=0
for line in "${plan[@]}"; do
  k=$((k + 1))
  eval "w=($line)"
  m=${w[0]} n=${w[1]} step=${w[2]}
  log=$outdir/logs/${m}_N${n}.$step.log
  printf '[%2d/%d] %-12s N=%-3d %-8s ' "$k" "$total" "${name[$m]}" "$n" "$step"
  t0=$SECONDS
  set +e
  if [ "$verbose" = 1 ]; then
    echo
    bash "$here/jobs/campaign_step.sh" "${w[@]:2}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
  else
    bash "$here/jobs/campaign_step.sh" "${w[@]:2}" > "$log" 2>&1
    rc=$?
  fi
  set -e
  dt=$((SECONDS - t0))
  if [ $rc != 0 ]; then
    echo "FAILED (exit $rc) after ${dt} s; the end of $log:"
    tail -n 15 "$log" | sed 's/^/    /'
    echo "fix the cause and run the same command again: complete steps are skipped"
    exit 1
  fi
  if grep -q "skipped" "$log"; then status="skipped (complete)"; else status="done in ${dt} s"; fi
  echo "$status"
  summary+=("$(printf '%-12s N=%-3d %-8s %6d s' "${name[$m]}" "$n" "$step" "$dt")")
done
echo
echo "steps took (wall time):"
printf '  %s\n' "${summary[@]}"
echo "total: $((SECONDS - t_start)) s"

echo
echo "==> figures: $here/doc/figures/make_figures --out $outdir/figures $outdir"
"$here/doc/figures/make_figures" --rigcs "$RIGCS" --out "$outdir/figures" "$outdir"
if [ "$doc_figures" = 1 ]; then
  cp "$outdir"/figures/*.png "$outdir/figures/results.md" "$here/doc/figures/"
  echo "copied the figures and results.md into $here/doc/figures"
fi
echo "done: $outdir/figures/results.md"
