#!/usr/bin/env bash
# Builds the libFuzzer targets (the Fuzz/ package) and runs each for SECONDS (default 60) on its
# committed corpus (Fuzz/corpus/<target>/) and regressions (Fuzz/regressions/<target>/).
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     targets: request schema dynamodb (default: all)
#
# A crash, a timeout (an input that takes longer than 35 s) or running out of memory fails the
# script; the input that did it is left in Fuzz/crashes/<target>/ (reproduce it with
# `Fuzz/.build/debug/fuzz-<target> FILE`, then commit it to Fuzz/regressions/<target>/ with the
# fix). New inputs the fuzzer finds go to Fuzz/.build/corpus/<target>/, which later runs start from.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
package="$root/Fuzz"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request schema dynamodb)
case "$seconds" in '' | *[!0-9]*)
  echo "fuzz: SECONDS must be a whole number, got '$seconds'" >&2
  exit 2
  ;;
esac
for target in "${targets[@]}"; do
  case "$target" in request | schema | dynamodb) ;; *)
    echo "fuzz: unknown target '$target' (request, schema, dynamodb)" >&2
    exit 2
    ;;
  esac
done

# The toolset instruments AME and the targets (-sanitize=fuzzer) but not the build tools, such as
# ame-codegen, which the schema plugin runs: `-Xswiftc` flags would reach those too.
build=(swift build --package-path "$package" --toolset "$package/toolset.json")
started=$(date +%s)
for target in "${targets[@]}"; do
  "${build[@]}" --product "fuzz-$target" 2>&1 | grep -v "found 1 file(s) which are unhandled" | tail -n 3
done
bin=$("${build[@]}" --show-bin-path)
echo "fuzz: built in $(($(date +%s) - started)) s"

# The largest input tried, per target: room for the biggest seed (the introspection query).
max_len() {
  case "$1" in
    request) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

# Swift's own crash backtracer would take the signal of a trap (a failed precondition, a forced
# unwrap of nil) and end the process before libFuzzer saves the input.
export SWIFT_BACKTRACE=enable=no
failed=()
for target in "${targets[@]}"; do
  corpus="$package/.build/corpus/$target"
  crashes="$package/crashes/$target"
  log="$package/.build/fuzz-$target.log"
  mkdir -p "$corpus" "$crashes"
  seeds=("$package/corpus/$target")
  [ -d "$package/regressions/$target" ] && seeds+=("$package/regressions/$target")
  before=$(find "$crashes" -type f | wc -l)
  status=0
  # One process (no -jobs/-workers): the fuzzer shares the machine with the build and the tests.
  AME_FUZZ_LAST_INPUT="$package/.build/last-input-$target" "$bin/fuzz-$target" "$corpus" "${seeds[@]}" \
    -max_total_time="$seconds" -timeout=35 -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
    -artifact_prefix="$crashes/" -print_final_stats=1 > "$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    echo "fuzz: FAIL: $target (exit $status); its log: $log"
    grep -E '^(==[0-9]+==|SUMMARY|artifact_prefix|Test unit written|Fatal error|.*fuzz-[a-z]+: )' "$log" | head -n 20 || true
    # A crash libFuzzer could not catch (a stack overflow off the main thread) saved nothing:
    # the input that was running is the target's last one.
    if [ "$(find "$crashes" -type f | wc -l)" -eq "$before" ] && [ -f "$package/.build/last-input-$target" ]; then
      cp "$package/.build/last-input-$target" "$crashes/uncaught-$(date +%Y%m%d%H%M%S)"
    fi
    echo "fuzz: the input is in $crashes/:"
    ls -1 "$crashes"
  else
    echo "fuzz: $target: ${runs:-?} inputs in $seconds s, no crash ($(find "$corpus" -type f | wc -l) inputs in $corpus)"
  fi
done

echo "fuzz: done in $(($(date +%s) - started)) s, build included"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAIL: ${failed[*]}"
  exit 1
fi
echo "fuzz: PASS: ${targets[*]}"
