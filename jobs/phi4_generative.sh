#!/usr/bin/env bash
# phi^4 generative comparison (issue 11, paper appendix H.4, Figure 10): the VAN and RiGCS
# with Gaussian-mixture heads at the critical point (lambda = 0.022, kappa_c = 0.2702),
# trained at each N, sampled and analysed; references from the same machine: ln Z by
# Cluster-AIS in kappa and <phi^2>, |m>, Binder U by a Metropolis + embedded-Wolff chain.
# Then doc/figures/plot_phi4_generative draws ESS against N and the checks.
#
#   bash jobs/phi4_generative.sh [OUTDIR]          (default phi4_generative)
# Environment: RIGCS (binary, default build/app/rigcs), RANKS (default 1), SIZES (default
# "4 8"), STEPS (training steps of the VAN and of the last RiGCS stage; default 5000, as in
# H.4; earlier RiGCS stages get EARLY_STEPS, default 500), METHODS (default "van rigcs"),
# AIS_BETAS (Cluster-AIS betas per site, default 400: ESS per trajectory 0.85 at N = 8),
# AIS_TRAJECTORIES (default 1000), MCMC_MEASUREMENTS (reference chain length per rank,
# default 40000).
# Restartable: a finished step is skipped (complete run files), a stopped training resumes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-phi4_generative}
rigcs=${RIGCS:-$here/build/app/rigcs}
ranks=${RANKS:-1}
sizes=${SIZES:-"4 8"}
steps=${STEPS:-5000}
early=${EARLY_STEPS:-500}
methods=${METHODS:-van rigcs}
ais_betas=${AIS_BETAS:-400}
ais_trajectories=${AIS_TRAJECTORIES:-1000}
mcmc_measurements=${MCMC_MEASUREMENTS:-40000}
mpirun=(mpirun -np "$ranks" --oversubscribe)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi
mkdir -p "$out"
status() {  # status of group $2 in run file $1, or "missing"
  /usr/bin/python3 -c "
import h5py, sys
try:
    f = h5py.File(sys.argv[1], 'r'); s = f[sys.argv[2]].attrs['status']
    print(s.decode() if isinstance(s, bytes) else s)
except Exception:
    print('missing')" "$1" "$2"
}
for n in $sizes; do
  # References: Cluster-AIS (ln Z) and the cluster MCMC (observables).
  ref_ais=$out/ais_N$n.h5 ref_mc=$out/mcmc_N$n.h5
  if [ "$(status "$ref_ais" ais)" != complete ]; then
    "${mpirun[@]}" "$rigcs" ais "$here/input/phi4/critical.ini" --model.N="$n" --ais.steps=$((ais_betas * n * n)) \
      --ais.trajectories="$ais_trajectories" --ais.chunk=50 --run.output="$ref_ais" --overwrite --quiet
  fi
  [ -f "$ref_ais.json" ] || "$rigcs" analyze "$ref_ais" --json > "$ref_ais.json"
  if [ ! -f "$ref_mc" ]; then
    "${mpirun[@]}" "$rigcs" mcmc "$here/input/phi4/critical.ini" --model.N="$n" --mcmc.measurements="$mcmc_measurements" \
      --run.output="$ref_mc" --quiet
  fi
  [ -f "$ref_mc.json" ] || "$rigcs" analyze "$ref_mc" --json > "$ref_mc.json"
  for m in $methods; do
    f=$out/${m}_N$n.h5
    deck=$here/input/phi4/generative_$m.ini
    if [ "$m" = van ]; then
      keys=(--model.N="$n" --train.steps="$steps")
    else
      stages=$(( $(/usr/bin/python3 -c "import math; print(int(math.log2($n / 2)))") + 1 ))
      list="" batches=""
      for ((s = 1; s < stages; s++)); do list+="$early,"; batches+="256,"; done
      keys=(--model.N="$n" --train.stage_steps="${list}$steps" --train.stage_batch="${batches}256")
    fi
    t0=$SECONDS
    case $(status "$f" train) in
      complete) ;;
      missing) "${mpirun[@]}" "$rigcs" train "$deck" "${keys[@]}" --run.output="$f" --overwrite --quiet ;;
      *) "${mpirun[@]}" "$rigcs" train "$deck" "${keys[@]}" --run.output="$f" --resume --quiet ;;
    esac
    t1=$SECONDS
    if [ "$(status "$f" samples)" != complete ]; then
      "${mpirun[@]}" "$rigcs" sample "$deck" "${keys[@]}" --run.output="$f" --overwrite --quiet
    fi
    "$rigcs" analyze "$f" --json > "$f.json"
    echo "$m N=$n: train $((t1 - t0)) s, ESS $(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ess']['value'])" "$f.json")"
  done
done
/usr/bin/python3 "$here/doc/figures/plot_phi4_generative" "$out" --out "$out/phi4_generative.png" --table "$out/phi4_generative.md"
