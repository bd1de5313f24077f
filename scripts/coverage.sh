#!/usr/bin/env bash
# Prints llvm-cov's line and region totals for Sources/ after `swift test --enable-code-coverage`.
# Usage: scripts/coverage.sh [minimum percent, default 90]: warns below it (CI prints, never hides).
#
# The counts are the test binary's (`codecov/default.profdata`, which `swift test` merges from the
# test process's raw profiles) plus those of every `ame` process the tests started: the tests give
# each one `LLVM_PROFILE_FILE=codecov/processes/process-%p-%m.profraw` (see the tests'
# `ProcessCoverage`). Both are merged into `codecov/merged.profdata` and reported over the test
# binary and the `ame` binary together; llvm-cov counts a function compiled into both once, with
# the sum of its counts.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin=$(swift build --show-bin-path --enable-code-coverage)
codecov="$bin/codecov"
profile="$codecov/default.profdata"
[ -f "$profile" ] || { echo "no coverage data at $profile: run swift test --enable-code-coverage first" >&2; exit 1; }
tool() {
  if [ -x "/opt/swift/usr/bin/$1" ]; then echo "/opt/swift/usr/bin/$1"; else command -v "$1"; fi
}
cov=$(tool llvm-cov)
profdata=$(tool llvm-profdata)
shopt -s nullglob
processes=("$codecov"/processes/*.profraw)
merged="$codecov/merged.profdata"
"$profdata" merge -sparse "$profile" "${processes[@]}" -o "$merged"
objects=("$bin/amePackageTests.xctest")
[ -x "$bin/ame" ] && objects+=(-object "$bin/ame")
echo "profiles: the test binary's and ${#processes[@]} of the processes it started"
report=$("$cov" report "${objects[@]}" -instr-profile "$merged" "$root/Sources")
echo "$report" | tail -n 1 | awk -v min="${1:-90}" '
  { regions = $4; lines = $10 }
  END {
    printf "Sources/ coverage: lines %s, regions %s (goal %s%% each)\n", lines, regions, min
    sub("%", "", lines); sub("%", "", regions)
    if (lines + 0 < min || regions + 0 < min) print "coverage is below the goal"
  }'
