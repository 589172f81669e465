#!/usr/bin/env bash
# Conditional-architecture ablation (issue 13, paper appendix H.3 / Figure 9): the same
# deck, schedule and seed trained once with CNN and once with transformer conditionals,
# each under the same wall-time budget BUDGET_S (seconds of `rigcs train`). A run the
# budget stops (SIGTERM: it checkpoints) is closed where it stood: it is resumed with
# train.stage_steps cut to the steps it reached, which trains nothing more and marks it
# complete, so that it can be sampled. Then sample.count fresh samples (1e5 in the deck
# below) are drawn and analysed. Per variant OUTDIR/<variant>/ gets model.h5,
# samples.h5, analysis.json, history.tsv (time, stage, step, global step, batch ESS) and
# times.txt (train and sample wall time, steps reached, samples drawn).
#   bench/ablation_conditional.sh DECK OUTDIR BUDGET_S "TRANSFORMER OVERRIDES" [common overrides]
# RIGCS points at the binary (default build/app/rigcs); RANKS (default 1) ranks.
set -euo pipefail
deck=${1:?usage: bench/ablation_conditional.sh DECK OUTDIR BUDGET_S "TRANSFORMER OVERRIDES" [overrides]}
outdir=${2:?}
budget=${3:?}
tf_overrides=${4:-}
shift 4 || shift $#
here=$(cd "$(dirname "$0")/.." && pwd)
rigcs=${RIGCS:-$here/build/app/rigcs}
ranks=${RANKS:-1}
mpirun=(mpirun -np "$ranks" --oversubscribe)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi
variants=${VARIANTS:-cnn transformer}

for v in $variants; do
  out=$outdir/$v
  mkdir -p "$out"
  extra=(--rigcs.conditional="$v")
  # shellcheck disable=SC2206
  if [ "$v" = transformer ]; then extra+=($tf_overrides); fi
  echo "== $v $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  t0=$(date +%s.%N)
  rc=0
  timeout -s TERM "$budget" "${mpirun[@]}" "$rigcs" train "$deck" --run.output="$out/model.h5" --overwrite \
    "${extra[@]}" "$@" > "$out/train.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  status=$(/usr/bin/python3 -c "import h5py, sys; s = h5py.File(sys.argv[1], 'r')['train'].attrs['status']; print(s.decode() if isinstance(s, bytes) else s)" "$out/model.h5")
  cut_steps=""
  if [ "$status" != complete ]; then
    # Steps reached per stage, from the history: the schedule the run is closed with.
    cut_steps=$(/usr/bin/python3 - "$out/model.h5" "$deck" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
h = f["train/history"]
stage, step = h["stage"][:].astype(int), h["step"][:].astype(int)
import re
deck = open(sys.argv[2]).read()
m = re.search(r"stage_steps\s*=\s*([0-9, ]+)", deck)
n_stages = len(m.group(1).split(",")) if m else stage.max() + 1
reached = [int(step[stage == s].max()) if (stage == s).any() else 0 for s in range(n_stages)]
print(",".join(map(str, reached)))
PY
)
    echo "stopped by the budget (rc $rc, status $status); closing with train.stage_steps=$cut_steps"
    "${mpirun[@]}" "$rigcs" train "$deck" --run.output="$out/model.h5" --resume "${extra[@]}" "$@" \
      --train.stage_steps="$cut_steps" >> "$out/train.log" 2>&1
  fi
  t2=$(date +%s.%N)
  # SAMPLE_BUDGET_S caps the sampling wall time: a stopped sample set keeps its finished
  # chunks and is analysed as it stands (analyze marks it INCOMPLETE).
  timeout -s TERM "${SAMPLE_BUDGET_S:-86400}" "${mpirun[@]}" "$rigcs" sample "$deck" --sample.model="$out/model.h5" \
    --run.output="$out/samples.h5" --overwrite "${extra[@]}" "$@" > "$out/sample.log" 2>&1 || echo "sampling stopped (rc $?)"
  t3=$(date +%s.%N)
  # A sampler stopped by the budget may still be exiting (mpirun returns first): wait
  # for it to let go of the file.
  analysed=0
  for _ in 1 2 3 4 5 6; do
    if "$rigcs" analyze "$out/samples.h5" --json > "$out/analysis.json" 2> "$out/analyze.err"; then
      analysed=1
      break
    fi
    grep -q locked "$out/analyze.err" || break
    sleep 5
  done
  [ "$analysed" = 1 ] || { cat "$out/analyze.err"; exit 1; }
  rm -f "$out/analyze.err"
  /usr/bin/python3 - "$out" "$t0" "$t1" "$t3" "$t2" "${cut_steps:-full}" <<'PY'
import sys, json, h5py, numpy as np
out, t0, t1, t3, t2, cut = sys.argv[1], *map(float, sys.argv[2:6]), sys.argv[6]
with h5py.File(f"{out}/model.h5", "r") as f:
    h = f["train/history"]
    time, stage, step, ess = h["time"][:], h["stage"][:].astype(int), h["step"][:].astype(int), h["ess"][:]
gstep = np.arange(1, len(step) + 1)
with open(f"{out}/history.tsv", "w") as o:
    o.write("time_s\tstage\tstep\tglobal_step\tbatch_ess\n")
    for r in zip(time, stage, step, gstep, ess):
        o.write("%.2f\t%d\t%d\t%d\t%.4f\n" % r)
res = json.load(open(f"{out}/analysis.json"))
res = res.get("results", res)
count = None
with h5py.File(f"{out}/samples.h5", "r") as f:
    count = f["samples/log_q"].shape[0]
dt = np.diff(np.concatenate([[0.0], time]))
per_stage = {int(s): float(np.median(dt[stage == s])) for s in sorted(set(stage))}
with open(f"{out}/times.txt", "w") as o:
    o.write(json.dumps({"train_wall_s": t1 - t0, "sample_wall_s": t3 - t2, "samples": int(count),
                        "samples_per_s": count / (t3 - t2), "steps_reached": cut,
                        "global_steps": int(len(step)), "median_s_per_step_by_stage": per_stage,
                        "ess": res["ess"], "lnZ": res.get("lnZ")}, indent=1) + "\n")
print(open(f"{out}/times.txt").read())
PY
done
