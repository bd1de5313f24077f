#!/usr/bin/env bash
# Prints llvm-cov's line and region totals for Sources/ after `swift test --enable-code-coverage`.
# Usage: scripts/coverage.sh [minimum percent, default 90]: warns below it (CI prints, never hides).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin=$(swift build --show-bin-path --enable-code-coverage)
profile="$bin/codecov/default.profdata"
[ -f "$profile" ] || { echo "no coverage data at $profile: run swift test --enable-code-coverage first" >&2; exit 1; }
cov=$(command -v llvm-cov || true)
[ -x /opt/swift/usr/bin/llvm-cov ] && cov=/opt/swift/usr/bin/llvm-cov
report=$("$cov" report "$bin/amePackageTests.xctest" -instr-profile "$profile" "$root/Sources")
echo "$report" | tail -n 1 | awk -v min="${1:-90}" '
  { regions = $4; lines = $10 }
  END {
    printf "Sources/ coverage: lines %s, regions %s (goal %s%% each)\n", lines, regions, min
    sub("%", "", lines); sub("%", "", regions)
    if (lines + 0 < min || regions + 0 < min) print "coverage is below the goal"
  }'
