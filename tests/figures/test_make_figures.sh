#!/usr/bin/env bash
# doc/figures/make_figures against real run files: makes a small N = 4 fixture with the
# rigcs binary (Wolff MCMC, Cluster-AIS, MLMC-HB, a short VAN), runs the script, and
# checks the PNG files and the numbers of results.md against the run files and an exact
# enumeration of the 4x4 torus. Also checks that unanalysed files are reported and that
# foreign files are refused with a message naming them.
#   tests/figures/test_make_figures.sh RIGCS_BINARY SOURCE_DIR
# Exit 77 (CTest skip) only when /usr/bin/python3 lacks h5py, numpy or matplotlib.
set -euo pipefail
rigcs=${1:?usage: test_make_figures.sh RIGCS_BINARY SOURCE_DIR}
src=${2:?usage: test_make_figures.sh RIGCS_BINARY SOURCE_DIR}
py=/usr/bin/python3
script=$src/doc/figures/make_figures

if ! "$py" -c "import h5py, numpy, matplotlib" 2>/dev/null; then
  echo "SKIP: $py lacks h5py, numpy or matplotlib (jobs/install_deps.sh installs them)"
  exit 77
fi
[ -x "$rigcs" ] || { echo "FAIL: no rigcs binary at $rigcs"; exit 1; }
[ -x "$script" ] || { echo "FAIL: $script missing or not executable"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rigcs_figures.XXXXXX")
if [ -z "${KEEP_TMP:-}" ]; then trap 'rm -rf "$tmp"' EXIT; else echo "keeping $tmp"; fi
runs=$tmp/runs out=$tmp/figures
mkdir -p "$runs"
fail() { echo "FAIL: $*"; exit 1; }
run() { "$@" > "$tmp/last.log" 2>&1 || { cat "$tmp/last.log"; fail "command failed: $*"; }; }

beta=0.4406868
model=(--model.N=4 --model.beta=$beta --run.threads=1 --quiet)
start=$SECONDS
run "$rigcs" mcmc "${model[@]}" --run.seed=11 --mcmc.measurements=4000 --run.output="$runs/wolff_N4.h5"
run "$rigcs" analyze "$runs/wolff_N4.h5"
run "$rigcs" ais "${model[@]}" --run.seed=12 --ais.steps=20 --ais.trajectories=300 --run.output="$runs/ais_N4.h5"
run "$rigcs" analyze "$runs/ais_N4.h5"
mlmc=(--sampler.kind=mlmc_hb --run.seed=13 --run.output="$runs/mlmc_hb_N4.h5")
run "$rigcs" train "${model[@]}" "${mlmc[@]}"
run "$rigcs" sample "${model[@]}" "${mlmc[@]}" --sample.count=3000 --sample.p_count=500
run "$rigcs" analyze "$runs/mlmc_hb_N4.h5"
van=(--sampler.kind=van --van.half_kernel=2 --van.width=8 --run.seed=14 --run.output="$runs/van_N4.h5")
run "$rigcs" train "${model[@]}" "${van[@]}" --train.steps=25 --train.batch=64 --train.lr=0.005
run "$rigcs" sample "${model[@]}" "${van[@]}" --sample.count=1000 --sample.p_count=300
run "$rigcs" analyze "$runs/van_N4.h5"
# a run that was never analysed, in a folder of its own
mkdir -p "$tmp/pending"
run "$rigcs" ais "${model[@]}" --run.seed=15 --ais.steps=10 --ais.trajectories=50 --run.output="$tmp/pending/ais_pending.h5"
echo "fixture made in $((SECONDS - start)) s"

# 1. the figures and the table
"$script" --rigcs "$rigcs" --out "$out" "$runs" > "$tmp/mf.out" 2> "$tmp/mf.err" ||
  { cat "$tmp/mf.out" "$tmp/mf.err"; fail "make_figures exited with $?"; }
for f in free_energy_error.png ess.png emdm.png training_ess.png sampling_time.png; do
  [ -s "$out/$f" ] || fail "$f not written"
  [ "$(head -c 4 "$out/$f" | tail -c 3)" = PNG ] || fail "$f is not a PNG file"
done
[ -s "$out/results.md" ] || fail "results.md not written"

"$py" - "$out/results.md" "$runs" <<'EOF'
import itertools, math, os, sys
import h5py, numpy as np
md_path, runs = sys.argv[1], sys.argv[2]
md = open(md_path, encoding="utf-8").read()
def fail(msg):
    print("FAIL: " + msg); print(md); sys.exit(1)

# exact ln Z and <H> of the 4x4 torus at beta by enumerating all 2^16 states
beta, n = 0.4406868, 4
s = np.array(list(itertools.product((-1, 1), repeat=n * n)), dtype=np.int8).reshape(-1, n, n)
h = -(s * np.roll(s, 1, 1) + s * np.roll(s, 1, 2)).sum(axis=(1, 2)).astype(float)
w = -beta * h
lnz = np.logaddexp.reduce(w)
e_exact = float((h * np.exp(w - lnz)).sum())
if "%.8f" % -lnz not in md:
    fail("exact betaF %.8f of N = 4 (enumeration) is not in results.md" % -lnz)
if "%.6f" % e_exact not in md:
    fail("exact E %.6f of N = 4 (enumeration) is not in results.md" % e_exact)

rows = {}
for line in md.splitlines():
    if line.startswith("| ") and not line.startswith("| method") and not line.startswith("| ---"):
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        rows[cells[-1]] = dict(zip(["method", "N", "beta", "betaF", "exact", "rel", "ess", "emdm",
                                    "time", "E", "exactE", "setup", "file"], cells))
expect = {"wolff_N4.h5": "Wolff MCMC", "ais_N4.h5": "Cluster-AIS", "mlmc_hb_N4.h5": "MLMC-HB",
          "van_N4.h5": "VAN"}
if set(rows) != set(expect):
    fail("rows for %s, expected %s" % (sorted(rows), sorted(expect)))

def pm(cell):
    v, e = cell.split("(")[0].split(" ± ")
    return float(v), float(e)

for fname, method in expect.items():
    r = rows[fname]
    if r["method"] != method or r["N"] != "4":
        fail("%s: method %r N %r, expected %r 4" % (fname, r["method"], r["N"], method))
    with h5py.File(os.path.join(runs, fname), "r") as f:
        res = {k: dict(g.attrs) for k, g in f["results"].items()}
        sp = f["samples"].attrs.get("seconds_per_100") if "samples" in f else None
    # E against the stored estimate (rounded to 2 significant digits of the error)
    v, e = pm(r["E"])
    if abs(v - res["E"]["value"]) > 0.06 * e or abs(e - res["E"]["error"]) > 0.06 * e:
        fail("%s: E cell %r does not match /results/E %r" % (fname, r["E"], res["E"]))
    if method == "Wolff MCMC":
        for k in ("betaF", "rel", "ess", "emdm"):
            if r[k] != "—":
                fail("MCMC row shows %s = %r, expected —" % (k, r[k]))
        continue
    v, e = pm(r["betaF"])
    b = res["betaF"]
    if abs(v - b["value"]) > 0.06 * e or abs(e - b["error"]) > 0.06 * e:
        fail("%s: betaF cell %r does not match /results/betaF %r" % (fname, r["betaF"], b))
    rel, rel_err = pm(r["rel"])
    want = (b["value"] + lnz) / lnz
    if not math.isclose(rel, want, rel_tol=0.01, abs_tol=1e-7) or not math.isclose(rel_err, b["error"] / lnz, rel_tol=0.06):
        fail("%s: relative error %r, expected %.3e ± %.2e" % (fname, r["rel"], want, b["error"] / lnz))
    v, e = pm(r["ess"])
    if abs(v - res["ess"]["value"]) > 0.06 * e:
        fail("%s: ESS cell %r does not match %r" % (fname, r["ess"], res["ess"]))
    if method == "Cluster-AIS":
        if r["emdm"] != "—":
            fail("AIS row shows an EMDM %r" % r["emdm"])
    else:
        v, e = pm(r["emdm"])
        if abs(v - res["emdm"]["value"]) > 0.06 * e:
            fail("%s: EMDM cell %r does not match %r" % (fname, r["emdm"], res["emdm"]))
        if not math.isclose(float(r["time"]), sp, rel_tol=0.01):
            fail("%s: s/100 %r, file says %r" % (fname, r["time"], sp))
print("results.md: %d rows checked against the run files and the enumeration" % len(rows))
EOF

# 2. a file without /results is reported (not silently dropped); --strict fails on it
"$script" --rigcs "$rigcs" --out "$tmp/out2" "$runs" "$tmp/pending" > "$tmp/mf2.out" 2> "$tmp/mf2.err" ||
  { cat "$tmp/mf2.err"; fail "make_figures failed with an unanalysed file"; }
grep -q "rigcs analyze $tmp/pending/ais_pending.h5" "$tmp/mf2.err" ||
  { cat "$tmp/mf2.err"; fail "no 'run rigcs analyze' message for the unanalysed file"; }
grep "ais_pending.h5 |" "$tmp/out2/results.md" | grep -q "not analysed" ||
  fail "the unanalysed file has no 'not analysed' row in results.md"
if "$script" --rigcs "$rigcs" --out "$tmp/out3" --strict "$runs" "$tmp/pending" > /dev/null 2>&1; then
  fail "--strict passed with an unanalysed file"
fi

# 3. foreign and unreadable files: non-zero exit, the file named, nothing written
"$py" -c "import h5py; h5py.File('$tmp/foreign.h5', 'w').create_dataset('x', data=[1, 2])"
echo "not hdf5" > "$tmp/text.h5"
for bad in "$tmp/foreign.h5" "$tmp/text.h5" "$tmp/missing.h5"; do
  if "$script" --rigcs "$rigcs" --out "$tmp/out4" "$runs/ais_N4.h5" "$bad" > /dev/null 2> "$tmp/bad.err"; then
    fail "make_figures accepted $bad"
  fi
  grep -q "$bad" "$tmp/bad.err" || { cat "$tmp/bad.err"; fail "the error does not name $bad"; }
  [ ! -e "$tmp/out4/results.md" ] || fail "results.md written despite the bad input $bad"
done
grep -q "not a rigcs run file" <("$script" --rigcs "$rigcs" --out "$tmp/out4" "$tmp/foreign.h5" 2>&1 || true) ||
  fail "foreign HDF5 file not reported as 'not a rigcs run file'"

echo "PASS: make_figures ($((SECONDS - start)) s)"
