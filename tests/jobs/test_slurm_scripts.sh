#!/usr/bin/env bash
# The SLURM scripts with hostile paths (issue 10, item 5): stub sbatch and srun record
# what they are given, the generated job scripts are run with the stubs, and the test
# checks that every path arrives as one argument and that nothing in a path runs.
#   test_slurm_scripts.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir stubs
# sbatch: records its arguments and its stdin (the job script), prints a job id.
cat > stubs/sbatch <<'STUB'
#!/usr/bin/env bash
n=$(ls "$STUB_LOG" 2>/dev/null | wc -l)
d=$STUB_LOG/job$n; mkdir -p "$d"
printf '%s\n' "$@" > "$d/args"
[ -t 0 ] || cat > "$d/script"
echo $((1000 + n))
STUB
# srun and the "binary": print each argument on its own line.
cat > stubs/srun <<'STUB'
#!/usr/bin/env bash
"$@"
STUB
cat > stubs/rigcs <<'STUB'
#!/usr/bin/env bash
printf 'ARG<%s>\n' "$@" >> "$STUB_LOG/calls"
STUB
chmod +x stubs/*
export PATH="$work/stubs:$PATH" STUB_LOG="$work/log"
mkdir -p log
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. submit.sh: a deck named d$(touch PWNED1).ini and an output with a space and a quote.
deck='d$(touch PWNED1).ini'
touch "$deck"
out="my out/it's.h5"
mkdir -p "my out"
bash "$src/jobs/slurm/submit.sh" -A acc -p part -d "$deck" -o "$out" -c train -b "$work/stubs/rigcs" -- --train.lr=0.01 \
  > /dev/null
[ ! -e PWNED1 ] || fail "submit.sh ran a command from the deck name"
script=log/job0/script
[ -s "$script" ] || fail "submit.sh gave sbatch no job script"
SLURM_JOB_ID=1 SLURM_JOB_NODELIST=n1 bash "$script" > /dev/null
[ ! -e PWNED1 ] || fail "the job script of submit.sh ran a command from the deck name"
expected=$(printf 'ARG<%s>\n' train "$deck" "--run.output=$out" --resume --train.lr=0.01)
[ "$(cat log/calls)" = "$expected" ] || fail "submit.sh job: got $(cat log/calls), expected $expected"
rm -f log/calls

# 2. campaign.sh: a deck with a space and a ';', an output folder with a space.
deck2='my deck;touch PWNED2.ini'
touch "$deck2"
RIGCS="$work/stubs/rigcs" bash "$src/jobs/slurm/campaign.sh" -A acc -p part -d "$deck2" -o "camp out" > /dev/null
for j in 1 2 3; do
  wrap=$(sed -n 's/^--wrap=//p' "log/job$j/args")
  [ -n "$wrap" ] || fail "campaign.sh job $j has no --wrap"
  bash -c "$wrap"
done
[ ! -e PWNED2.ini ] && [ ! -e PWNED2 ] || fail "campaign.sh ran a command from the deck name"
expected=$(printf 'ARG<%s>\n' mcmc "$deck2" "--run.output=camp out/mcmc.h5" analyze "camp out/mcmc.h5" \
  train "$deck2" "--run.output=camp out/model.h5" --resume \
  sample "$deck2" "--run.output=camp out/model.h5" analyze "camp out/model.h5")
[ "$(cat log/calls)" = "$expected" ] || fail "campaign.sh jobs: got $(cat log/calls), expected $expected"
rm -f log/calls

# 3. campaign_small.sh into an output folder with a space (the stub makes no real run,
# so the figures at the end fail; what counts is what the steps were given).
cat > stubs/rigcs <<'STUB'
#!/usr/bin/env bash
printf 'ARG<%s>\n' "$@" >> "$STUB_LOG/calls"
for a in "$@"; do case $a in --run.output=*) : > "${a#--run.output=}" ;; esac; done
STUB
RIGCS="$work/stubs/rigcs" LAUNCH=env METHODS=wolff CAMPAIGN_NS=4 QUICK=1 \
  bash "$src/jobs/campaign_small.sh" "camp small" > campaign.log 2>&1 || true
grep -qxF 'ARG<--run.output=camp small/wolff_N4.h5>' log/calls \
  || fail "campaign_small.sh split its output folder: $(cat log/calls 2>/dev/null) $(tail -5 campaign.log)"
echo "slurm scripts: hostile paths pass as single arguments and run nothing"
