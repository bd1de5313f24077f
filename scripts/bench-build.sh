#!/usr/bin/env bash
# Measures how long `swift build` takes to compile the generated code of a large schema:
# a copy of this package whose schema/ is replaced by N synthetic entities (`ame-bench write-schema`).
#
# Usage: scripts/bench-build.sh [ENTITIES=50] [SCRATCH_PATH]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
entities=${1:-50}
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-bench-build.XXXXXX")
scratch=${2:-$work/pkg/.build}
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/pkg"
(cd "$root" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$work/pkg" -xf -
cd "$work/pkg"
swift build --scratch-path "$scratch" --product ame-bench 2>&1 | tail -n 1
"$(swift build --scratch-path "$scratch" --show-bin-path)/ame-bench" write-schema --entities "$entities" schema

seconds() { local ms=$(( ($2 - $1) / 1000000 )); printf '%d.%01d' $((ms / 1000)) $(( (ms % 1000) / 100 )); }
start=$(date +%s%N)
swift build --scratch-path "$scratch" --target AMEGenerated 2>&1 | tail -n 1
end=$(date +%s%N)
echo "bench-build: $entities entities: generate + compile AMEGenerated: $(seconds "$start" "$end") s"
lines=$(cat "$scratch"/plugins/outputs/pkg/AMEGenerated/destination/AMECodegenPlugin/Generated/*.swift | wc -l)
echo "bench-build: $lines generated lines"

sed -i 's/Synthetic entity number 1\./Synthetic entity number 1, edited./' schema/entity_1.yaml
start=$(date +%s%N)
swift build --scratch-path "$scratch" --target AMEGenerated 2>&1 | tail -n 1
end=$(date +%s%N)
echo "bench-build: $entities entities: rebuild after editing one YAML file: $(seconds "$start" "$end") s"
