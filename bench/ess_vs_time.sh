#!/usr/bin/env bash
# ESS against wall time for a full sequential RiGCS training from scratch (issue 4):
# trains the deck on RANKS ranks (default 2), then draws sample.count fresh samples and
# analyses them. Prints the training wall time, the ESS of the fresh samples with its
# Gamma-method error, lnZ against Kaufman, and writes the training history
# (time, stage, step, batch ESS) to OUTDIR/history.tsv. The training run file
# OUTDIR/model.h5 stays free of samples (it is what models/ ships): the samples go to
# OUTDIR/samples.h5, a copy made by `rigcs sample --sample.model`. With RESUME=1 the
# training continues from its checkpoint instead of starting again.
#   bench/ess_vs_time.sh DECK OUTDIR [--section.key=value ...]
# RIGCS points at the binary (default build/app/rigcs).
set -euo pipefail
deck=${1:?usage: bench/ess_vs_time.sh DECK OUTDIR [overrides]}
outdir=${2:?usage: bench/ess_vs_time.sh DECK OUTDIR [overrides]}
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
rigcs=${RIGCS:-$here/build/app/rigcs}
ranks=${RANKS:-2}
mpirun=(mpirun -np "$ranks" --oversubscribe)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi
mkdir -p "$outdir"
run=$outdir/model.h5
samples=$outdir/samples.h5
start=(--overwrite)
if [ "${RESUME:-0}" = 1 ]; then start=(--resume); fi

echo "== $(date -u +%FT%TZ) $(hostname) ranks=$ranks load: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
"${mpirun[@]}" "$rigcs" train "$deck" --run.output="$run" "${start[@]}" "$@"
t1=$(date +%s.%N)
"${mpirun[@]}" "$rigcs" sample "$deck" --sample.model="$run" --run.output="$samples" --overwrite "$@"
t2=$(date +%s.%N)
"$rigcs" analyze "$samples" --json > "$outdir/analysis.json"
"$rigcs" exact "$deck" --json "$@" > "$outdir/exact.json"
echo "== $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$run" "$outdir" "$t0" "$t1" "$t2" <<'PY'
import json, sys
import h5py
run, outdir, t0, t1, t2 = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
res = json.load(open(f"{outdir}/analysis.json"))
res = res.get("results", res)
exact = json.load(open(f"{outdir}/exact.json"))
with h5py.File(run, "r") as f:
    h = f["train/history"]
    rows = list(zip(h["time"][:], h["stage"][:], h["step"][:], h["ess"][:]))
with open(f"{outdir}/history.tsv", "w") as out:
    out.write("time_s\tstage\tstep\tbatch_ess\n")
    for r in rows:
        out.write("%.2f\t%d\t%d\t%.4f\n" % r)
def q(name):
    r = res.get(name)
    return "n/a" if r is None else "%.5g +- %.2g" % (r["value"], r["error"])
print("training wall time  %.1f s (this train command), %.1f s in the history (all segments), %d rows"
      % (t1 - t0, rows[-1][0] if rows else 0.0, len(rows)))
print("sampling wall time  %.1f s" % (t2 - t1))
print("ESS (fresh samples) %s" % q("ess"))
print("lnZ                 %s   exact %s" % (q("lnZ"), exact.get("lnZ", exact)))
PY
