#!/usr/bin/env bash
# The migration's rate on moto_server: the original's six tables built and filled by
# Tests/Support/original_tables.py (per SCALE: 26 rows in two tenants, 24 `data` versions, 16 audit
# records), then `ame migrate from-original` (timed, with its closing lines), a second run (nothing
# to write) and `ame migrate verify`.
#
# Usage: scripts/migration-rate.sh [SCALE] [AME_BINARY]   (default 20, the debug build's `ame`)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
scale=${1:-20}
ame=${2:-$(cd "$root" && swift build --show-bin-path)/ame}
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-migration.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
pids+=($!)
wait_for_port "$moto_port"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AME_STORE=dynamodb AME_TABLE_PREFIX=ame-v2-

python3 "$root/Tests/Support/original_tables.py" "$AWS_ENDPOINT_URL_DYNAMODB" ame- create
python3 "$root/Tests/Support/original_tables.py" "$AWS_ENDPOINT_URL_DYNAMODB" ame- fill "$scale" > "$work/fixture.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('migration-rate: the original holds', sum(map(len, d.values())), 'items:', {k: len(v) for k, v in d.items()})" "$work/fixture.json"

cd "$work"
echo "migration-rate: ame migrate from-original (first pass)"
start=$(date +%s.%N)
"$ame" migrate from-original 2> "$work/progress.log" | tail -n 3
end=$(date +%s.%N)
echo "migration-rate: first pass took $(python3 -c "print(round($end - $start, 1))") s of wall time; progress lines on stderr:"
grep -E 'done$' "$work/progress.log" | sed 's/^/  /'
echo "migration-rate: a second run"
"$ame" migrate from-original 2> /dev/null | tail -n 2
echo "migration-rate: ame migrate verify"
"$ame" migrate verify 2> /dev/null | tail -n 1
