#!/usr/bin/env bash
# Locates the critical hopping parameter kappa_c of 2D phi^4 at lambda = 0.022 by the
# crossing of the Binder cumulant U = 1 - <m^4> / (3 <m^2>^2) for N = 8, 16, 32
# (doc/phi4_critical_point.md). One Metropolis + embedded-Wolff chain per (N, kappa),
# `rigcs analyze` for U with its Gamma-method error, then jobs/phi4_binder_crossing.py
# fits U(kappa) per N near the crossing and prints the pairwise crossings.
#
# Sample run:   bash jobs/phi4_critical_point.sh                 (about a minute of CPU)
#               SIZES="8 16" KAPPAS="0.26 0.27 0.28" bash jobs/phi4_critical_point.sh out/
# Settings (environment): RIGCS (the binary, default build/app/rigcs), LAMBDA, SIZES,
# KAPPAS, MEASUREMENTS, THERMALIZATION, SEED, FIT (arguments of the crossing fit; default
# a straight line over the three kappas nearest the crossing), FIGURE (a PNG, optional).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-phi4_scan}
rigcs=${RIGCS:-build/app/rigcs}
lambda=${LAMBDA:-0.022}
sizes=${SIZES:-"8 16 32"}
kappas=${KAPPAS:-"0.266 0.2675 0.269 0.2705 0.272 0.2735"}
measurements=${MEASUREMENTS:-40000}
thermalization=${THERMALIZATION:-2000}
seed=${SEED:-2024}
fit=${FIT:-"--degree 1 --window 0.2675 0.2705"}
mkdir -p "$out"
summary="$out/binder.tsv"
printf "N\tkappa\tU\tdU\tabs_m\tchi\ttau_U\n" > "$summary"
run=0
for n in $sizes; do
  for k in $kappas; do
    run=$((run + 1))
    f="$out/phi4_N${n}_k${k}.h5"
    # Roughly V sites flipped per update: one sweep, then as many clusters as needed.
    clusters=$(( n >= 32 ? 4 : (n >= 16 ? 2 : 1) ))
    "$rigcs" mcmc input/phi4/critical.ini --model.N="$n" --model.kappa="$k" --model.lambda="$lambda" \
      --mcmc.measurements="$measurements" --mcmc.thermalization="$thermalization" \
      --phi4.wolff_clusters="$clusters" --run.seed="$((seed + run))" --run.output="$f" --overwrite --quiet
    "$rigcs" analyze "$f" --json > "$f.json"
    /usr/bin/python3 - "$n" "$k" "$f.json" >> "$summary" <<'PY'
import json, sys
n, k, path = sys.argv[1:]
r = json.load(open(path))
print(f"{n}\t{k}\t{r['binder']['value']:.6f}\t{r['binder']['error']:.6f}\t{r['abs_m']['value']:.6f}"
      f"\t{r['chi']['value']:.4f}\t{r['binder']['tau_int']:.2f}")
PY
    echo "N = $n, kappa = $k: $(tail -1 "$summary" | cut -f3,4 | tr '\t' ' ')"
  done
done
# shellcheck disable=SC2086  # $fit is a list of arguments
/usr/bin/python3 jobs/phi4_binder_crossing.py "$summary" $fit ${FIGURE:+--figure "$FIGURE"}
