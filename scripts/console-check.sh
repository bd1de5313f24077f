#!/usr/bin/env bash
# The browser page at GET /graphql works offline: in headless Chromium with every host but
# loopback unreachable (so GraphiQL's CDN fails), the page falls back to its own console, which
# runs a query against the server and shows the result.
#
# Usage: scripts/console-check.sh [AME_BINARY]   (default: the debug build's `ame`)
# Needs Chromium (Debian: apt-get install chromium).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
ame=${1:-$(cd "$root" && swift build --show-bin-path)/ame}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "console-check: FAIL: Chromium is not installed (apt-get install chromium)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-console.XXXXXX")
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$ame" seed --data-dir "$work/data" --corporations 2 --places 3 --contacts 7 --requests 0 > /dev/null
"$ame" serve --data-dir "$work/data" --port 0 > "$work/serve.log" 2>&1 &
server=$!
url=$(served_url "$work/serve.log")
[ -n "$url" ] || { echo "console-check: FAIL: the server did not start"; cat "$work/serve.log"; exit 1; }

query='{ contactProfileList(limit: 2) { total contactProfileList { email } } }'
fragment=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$query")
# Only loopback resolves: the CDN is unreachable, as offline.
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" \
  --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --virtual-time-budget=15000 \
  --dump-dom "$url#query=$fragment&run" > "$work/dom.html" 2> "$work/chromium.log" || true

grep -q 'id="console" style="display: grid' "$work/dom.html" \
  || { echo "console-check: FAIL: the fallback console did not open"; head -c 2000 "$work/dom.html"; exit 1; }
grep -q '"total": 7' "$work/dom.html" \
  || { echo "console-check: FAIL: the console did not show the query's result"; grep -o '<pre id="result"[^<]*' "$work/dom.html"; exit 1; }
grep -q 'data-status="200"' "$work/dom.html" || { echo "console-check: FAIL: no HTTP 200 recorded"; exit 1; }
# The schema documentation, read by introspection: types in the SDL's order, with fields and descriptions.
grep -q 'id="docs" data-status="loaded"' "$work/dom.html" \
  || { echo "console-check: FAIL: the schema documentation did not load"; grep -o '<div id="docs"[^>]*>' "$work/dom.html"; exit 1; }
grep -q '<div class="doc-field" title="Unique per tenant.">email: String</div>' "$work/dom.html" \
  || { echo "console-check: FAIL: the documentation lacks ContactProfileType.email with its description"; exit 1; }
grep -q 'contactRequests(limit: Int, nextToken: String): ContactRequestListType' "$work/dom.html" \
  || { echo "console-check: FAIL: the documentation lacks a field's arguments"; exit 1; }
documented=$(grep -o '<h3>[a-z]* [A-Za-z]*</h3>' "$work/dom.html" | sed 's/<h3>[a-z]* \(.*\)<\/h3>/\1/' | head -n 5 | tr '\n' ' ')
declared=$("$ame" schema | grep -oE '^(type|input|enum|scalar|interface|union) [A-Za-z]+' | cut -d' ' -f2 | head -n 5 | tr '\n' ' ')
[ "$documented" = "$declared" ] \
  || { echo "console-check: FAIL: the documentation's types ($documented) are not in the SDL's order ($declared)"; exit 1; }
echo "console-check: PASS: offline, GET /graphql opens the fallback console, which ran the query (total 7) and documents the schema in the SDL's order"
