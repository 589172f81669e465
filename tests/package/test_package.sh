#!/usr/bin/env bash
# The installed package as a new user meets it: installs this build tree into a temporary
# prefix, moves the prefix elsewhere, then configures, builds and runs the C++-only
# project tests/package/consumer against it, and checks
#  - the installed CMake files: rigcs::rigcs is the only target, and they name neither
#    the source tree, the build tree nor the first prefix;
#  - the consumer's exact values against the installed `rigcs exact --json` (the same
#    library code, so the same digits) and its Wolff energy against the exact energy;
#  - the installed `rigcs --version` (run without LD_LIBRARY_PATH) against the build's.
# Nothing of rigcs is rebuilt: only the consumer's one source is compiled.
#   test_package.sh BUILD_DIR SOURCE_DIR RIGCS_BINARY LIBRARY_FILE_NAME LIBDIR BINDIR
# Environment: RIGCS_CXX, RIGCS_GENERATOR (the build's compiler and generator),
# RIGCS_PREFIX_PATH (the build's CMAKE_PREFIX_PATH, ':'-separated), RIGCS_SANITIZE.
set -euo pipefail
usage="usage: test_package.sh BUILD_DIR SOURCE_DIR RIGCS_BINARY LIBRARY_FILE_NAME LIBDIR BINDIR"
build=${1:?$usage} src=${2:?$usage} rigcs_build=${3:?$usage} libname=${4:?$usage}
libdir=${5:?$usage} bindir=${6:?$usage}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rigcs_package.XXXXXX")
if [ -z "${KEEP_TMP:-}" ]; then trap 'rm -rf "$tmp"' EXIT; else echo "keeping $tmp"; fi
fail() { echo "FAIL: $*"; exit 1; }
run() { "$@" > "$tmp/last.log" 2>&1 || { cat "$tmp/last.log"; fail "command failed: $*"; }; }
# The value of "key" in a one-line JSON object of numbers and strings.
json() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" <<< "$1"; }
# No library path from the caller's shell: the installed files must find theirs alone.
unset LD_LIBRARY_PATH DESTDIR
start=$SECONDS

# 1. install, then move the prefix: nothing may point at where it was installed.
first=$tmp/first_prefix prefix=$tmp/moved/prefix
run cmake --install "$build" --prefix "$first"
mkdir -p "$tmp/moved"
mv "$first" "$prefix"
[ -f "$prefix/$libdir/$libname" ] || fail "$libdir/$libname not installed"
[ -x "$prefix/$bindir/rigcs" ] || fail "$bindir/rigcs not installed"
pkg=$prefix/$libdir/cmake/rigcs
for f in rigcsConfig.cmake rigcsConfigVersion.cmake rigcsTargets.cmake; do
  [ -f "$pkg/$f" ] || fail "$f not installed"
done
targets=$(grep -ho 'add_library([^ )]*' "$pkg"/rigcsTargets*.cmake | sed 's/add_library(//' | sort -u | tr '\n' ' ')
[ "$targets" = "rigcs::rigcs " ] || fail "the package defines targets '$targets', not only rigcs::rigcs"
for path in "$(cd "$src" && pwd -P)" "$(cd "$build" && pwd -P)" "$src" "$build" "$first"; do
  if grep -rlF "$path" "$pkg"; then fail "the package files above name $path"; fi
done
# Absolute paths in the exported properties would be this machine's.
if grep -hE '^ *(INTERFACE|IMPORTED)_[A-Z_]+ ' "$pkg"/rigcsTargets*.cmake | grep -E '"/|;/'; then
  fail "absolute paths in the exported targets (above)"
fi

# 2. a C++-only consumer against the moved prefix (and the build's own search path).
export CMAKE_PREFIX_PATH="$prefix${RIGCS_PREFIX_PATH:+:$RIGCS_PREFIX_PATH}"
gen=(); [ -n "${RIGCS_GENERATOR:-}" ] && gen=(-G "$RIGCS_GENERATOR")
cxx=(); [ -n "${RIGCS_CXX:-}" ] && cxx=(-DCMAKE_CXX_COMPILER="$RIGCS_CXX")
# A sanitized librigcs.a needs the sanitizer runtime at the final link.
san=(); [ "${RIGCS_SANITIZE:-OFF}" = ON ] && san=(-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined)
run cmake -S "$src/tests/package/consumer" -B "$tmp/consumer" "${gen[@]}" "${cxx[@]}" "${san[@]}" \
  -DCMAKE_BUILD_TYPE=Release
grep -q "rigcs_DIR:PATH=$pkg\$" "$tmp/consumer/CMakeCache.txt" ||
  fail "the consumer found rigcs elsewhere: $(grep rigcs_DIR "$tmp/consumer/CMakeCache.txt")"
run cmake --build "$tmp/consumer"
echo "installed, moved, consumer configured and built in $((SECONDS - start)) s"

# 3. its output against the installed rigcs.
n=8 beta=0.4406868
out=$("$tmp/consumer/consumer" $n $beta 2024 40000) || fail "consumer exited with $?"
echo "consumer: $out"
ref=$("$prefix/$bindir/rigcs" exact --model.N=$n --model.beta=$beta --json) ||
  fail "installed rigcs exact exited with $?"
echo "rigcs exact: $ref"
for key in lnZ E C; do
  a=$(json "$out" $key) b=$(json "$ref" $key)
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "$key: consumer '$a', rigcs exact '$b'"
done
e=$(json "$out" wolff_E) err=$(json "$out" wolff_E_error) exact=$(json "$ref" E)
# Within 4 sigma of the exact energy, with a sigma that says something (under 1 %).
awk -v e="$e" -v s="$err" -v x="$exact" 'BEGIN {
  d = e - x; if (d < 0) d = -d; ax = x < 0 ? -x : x
  exit !(s > 0 && s < 0.01 * ax && d < 4 * s) }' ||
  fail "Wolff E = $e +- $err, exact $exact"

# 4. the installed executable runs from the moved prefix and is this build.
v_inst=$("$prefix/$bindir/rigcs" --version) || fail "installed rigcs --version exited with $?"
v_build=$("$rigcs_build" --version)
[ "$v_inst" = "$v_build" ] || fail "installed '$v_inst', build '$v_build'"
[ "$(json "$out" version)" = "$v_inst" ] || fail "consumer linked '$(json "$out" version)', not '$v_inst'"
echo "$v_inst; all checks passed in $((SECONDS - start)) s"
