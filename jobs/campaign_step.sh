#!/usr/bin/env bash
# One step of a comparison campaign, run only if its output is not complete yet, so that
# a campaign can be restarted at any point:
#   jobs/campaign_step.sh STEP RUNFILE [DECK [--section.key=value ...]]
# STEP is mcmc, ais, train, sample or analyze (analyze takes no deck).
#   mcmc     skipped if RUNFILE exists (MCMC files appear atomically, complete)
#   ais      skipped if /ais is complete; an unfinished file is continued (--resume)
#   train    skipped if /train is complete; an unfinished one is continued (--resume)
#   sample   skipped if /samples is complete; an unfinished set is continued (--resume)
#   analyze  skipped if /results exists and was made from a complete run (rigcs sample
#            and ais remove /results when they add rows)
# The deck and overrides of the first run are kept in RUNFILE.args; a later call with
# other settings is refused (delete the run file to redo it with the new ones).
# Environment: RIGCS (binary; default build/app/rigcs), LAUNCH (how parallel commands
# start; default "mpirun -np $RANKS", RANKS default 2; under SLURM: LAUNCH=srun).
# Exit status: 0 when the step is done (now or before), else the command's (3: training
# stopped by a signal with a checkpoint written; the same call continues it).
set -euo pipefail
usage() { sed -n '2,18p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
step=$1 file=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
rigcs=${RIGCS:-$here/build/app/rigcs}
py=/usr/bin/python3
if [ -n "${LAUNCH:-}" ]; then
  read -r -a launch <<< "$LAUNCH"
else
  launch=(mpirun -np "${RANKS:-2}")
  if [ "$(id -u)" = 0 ]; then launch+=(--allow-run-as-root); fi
  launch+=(--oversubscribe)
fi
[ -x "$rigcs" ] || { echo "campaign_step: no rigcs binary at $rigcs (set RIGCS)" >&2; exit 2; }

# state FILE WHAT: what the run file says about one step
state() {
  "$py" - "$1" "$2" <<'EOF'
import sys
import h5py
path, what = sys.argv[1], sys.argv[2]
try:
    f = h5py.File(path, "r")
except OSError:
    print("unreadable")
    sys.exit(0)
with f:
    def status(group):
        return str(f[group].attrs.get("status", "unknown")) if group in f else "none"
    if what == "mcmc":
        print("complete" if "mcmc/energy" in f else "incomplete")
    elif what == "ais":
        print(status("ais"))
    elif what == "train":
        print(status("train"))
    elif what == "sample":
        print(status("samples"))
    elif what == "analyze":
        # Results of an incomplete run (rigcs 0.x before issue 10 kept them after a
        # resume) do not count: analyze again.
        done = "results" in f and len(f["results"]) > 0 and int(f["results"].attrs.get("complete", 1)) == 1
        print("complete" if done else "none")
EOF
}

say() { echo "campaign_step: $step $file: $*"; }
run() { echo "+ $*"; "$@"; }

if [ "$step" != analyze ]; then
  [ $# -ge 1 ] || usage
  deck=$1
  [ -f "$deck" ] || { echo "campaign_step: deck '$deck' not found" >&2; exit 2; }
  args="$*"
  if [ -f "$file.args" ] && [ "$(cat "$file.args")" != "$args" ]; then
    echo "campaign_step: $file was made with other settings:" >&2
    echo "  before: $(cat "$file.args")" >&2
    echo "  now:    $args" >&2
    echo "  delete $file (and $file.args) to redo it with the new settings, or use another folder" >&2
    exit 2
  fi
fi

case $step in
  mcmc)
    if [ -f "$file" ]; then
      [ "$(state "$file" mcmc)" = complete ] || { say "exists but holds no MCMC series; delete it"; exit 2; }
      say "complete, skipped"; exit 0
    fi
    echo "$args" > "$file.args"
    run "${launch[@]}" "$rigcs" mcmc "$@" --run.output="$file"
    ;;
  ais|train)
    resume=()
    if [ -f "$file" ]; then
      s=$(state "$file" "$step")
      if [ "$s" = complete ]; then say "complete, skipped"; exit 0; fi
      say "status '$s': continuing it"; resume=(--resume)
    fi
    echo "$args" > "$file.args"
    run "${launch[@]}" "$rigcs" "$step" "$@" --run.output="$file" "${resume[@]}"
    ;;
  sample)
    if [ ! -f "$file" ] && [[ " $* " == *" --sample.model="* ]]; then
      # A shipped model: rigcs sample copies it to the run file and samples the copy.
      echo "$args" > "$file.args"
      run "${launch[@]}" "$rigcs" sample "$@" --run.output="$file"
      exit 0
    fi
    [ -f "$file" ] || { say "no such run file: train first"; exit 2; }
    t=$(state "$file" train)
    [ "$t" = complete ] || { say "training is '$t', not complete: train first"; exit 2; }
    resume=()
    s=$(state "$file" sample)
    if [ "$s" = complete ]; then say "complete, skipped"; exit 0; fi
    if [ "$s" != none ]; then say "sample set '$s': continuing it"; resume=(--resume); fi
    run "${launch[@]}" "$rigcs" sample "$@" --run.output="$file" "${resume[@]}"
    ;;
  analyze)
    [ -f "$file" ] || { say "no such run file"; exit 2; }
    if [ "$(state "$file" analyze)" = complete ]; then say "already analysed, skipped"; exit 0; fi
    run "$rigcs" analyze "$file"
    ;;
  *) usage ;;
esac
