#!/usr/bin/env bash
# Load on loopback with wrk: a single get, the 100-contact nested list, and a write mix (4 reads
# for each write), on the embedded store and on moto_server. Prints per scenario: requests per
# second, p50 and p99 latency, errors (non-2xx, socket errors and GraphQL errors in bodies), and
# the server's memory (RSS) at the start and end of the run and its peak.
#
# Usage: scripts/load.sh [SECONDS] [embedded|dynamodb|both]   (default: 60 both)
# Needs wrk (apt-get install wrk); uses the release build of `ame` (built if missing);
# the dynamodb runs need moto_server (pip install 'moto[server]').
set -euo pipefail

duration=${1:-60}
stores=${2:-both}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
command -v wrk > /dev/null || { echo "load: wrk is not installed (apt-get install wrk)"; exit 1; }
(cd "$root" && swift build -c release --product ame 2>&1 | tail -n 1)
ame="$(cd "$root" && swift build -c release --show-bin-path)/ame"
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-load.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# wrk scripts: every request is a GraphQL POST; a response with `"errors"` counts as an error.
cat > "$work/common.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Endpoint-Id"] = "dev"
errors = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local graphqlErrors = 0
  for _, thread in ipairs(threads) do graphqlErrors = graphqlErrors + thread:get("errors") end
  io.write(string.format("RESULT %.1f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    graphqlErrors + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

run_store() {
  local store=$1
  local port
  port=$(free_port)
  local env=()
  if [ "$store" = dynamodb ]; then
    local moto_port
    moto_port=$(free_port)
    moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
    pids+=($!)
    wait_for_port "$moto_port"
    env=(AME_STORE=dynamodb AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1
      AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing)
    env "${env[@]}" "$ame" tables create > /dev/null
  fi
  env "${env[@]}" "$ame" seed --data-dir "$work/data-$store" > /dev/null
  env "${env[@]}" AME_LOG_LEVEL=warning "$ame" serve --port "$port" --data-dir "$work/data-$store" \
    > "$work/serve-$store.log" 2>&1 &
  local server=$!
  pids+=($server)
  wait_for_port "$port"
  local url="http://127.0.0.1:$port/graphql"
  # Keys for the scripts: one contact and the places.
  python3 - "$url" "$work" <<'PY'
import json, sys, urllib.request
url, work = sys.argv[1], sys.argv[2]
def gql(query):
    request = urllib.request.Request(url, json.dumps({"query": query}).encode(),
                                     {"Content-Type": "application/json", "X-Endpoint-Id": "dev"})
    return json.load(urllib.request.urlopen(request))
contact = gql("{ contactProfileList(limit: 1) { contactProfileList { contactUuid } } }")["data"]["contactProfileList"]["contactProfileList"][0]["contactUuid"]
places = [p["placeUuid"] for p in gql("{ placeList(limit: 50) { placeList { placeUuid } } }")["data"]["placeList"]["placeList"]]
get = json.dumps({"query": 'query($id: String!) { contactProfile(contactUuid: $id) { email firstName lastName } }', "variables": {"id": contact}})
nested = json.dumps({"query": "{ contactProfileList(limit: 100) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }"})
def lua_string(text):
    return "[==[" + text + "]==]"
common = open(f"{work}/common.lua").read()
open(f"{work}/get.lua", "w").write(common + f"\nwrk.body = {lua_string(get)}\n")
open(f"{work}/nested.lua", "w").write(common + f"\nwrk.body = {lua_string(nested)}\n")
write = 'mutation($p: String!, $n: String) { insertUpdatePlace(placeUuid: $p, businessName: $n, updatedBy: "load") { place { placeUuid } } }'
places_lua = "{" + ",".join(lua_string(p) for p in places) + "}"
open(f"{work}/mix.lua", "w").write(common + f"""
local places = {places_lua}
local get = {lua_string(get)}
local counter = 0
request = function()
  counter = counter + 1
  if counter % 5 == 0 then
    -- Each wrk thread updates its own places: concurrent changes of one field of one row are
    -- CONFLICTs by design, which is not what this measures.
    local place = places[((counter / 5) * 2 + id) % #places + 1]
    local body = string.format('{{"query": %q, "variables": {{"p": "%s", "n": "Place %d"}}}}', {lua_string(write)}, place, counter)
    return wrk.format("POST", nil, nil, body)
  end
  return wrk.format("POST", nil, nil, get)
end
""")
PY
  for scenario in get nested mix; do
    local before peak=0 sampler
    before=$(rss "$server")
    ( while kill -0 "$server" 2>/dev/null; do rss "$server"; sleep 1; done ) > "$work/rss-$scenario" &
    sampler=$!
    local result
    result=$(wrk -t2 -c16 -d"${duration}s" --timeout 10s -s "$work/$scenario.lua" "$url" | grep '^RESULT')
    kill "$sampler" 2>/dev/null || true
    peak=$(sort -n "$work/rss-$scenario" | tail -n 1)
    local after
    after=$(rss "$server")
    read -r _ rps p50 p99 errors <<< "$result"
    printf '%s | %s | %s | %s ms | %s ms | %s | %s → %s MiB (peak %s)\n' "$scenario" "$store" "$rps" "$p50" "$p99" \
      "$errors" "$((before / 1024))" "$((after / 1024))" "$((peak / 1024))"
  done
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}

echo "load: wrk -t2 -c16 for ${duration}s per scenario, on loopback; mix = 4 gets for each place update"
echo "scenario | store | requests/s | p50 | p99 | errors | server RSS start → end"
echo "---|---|---|---|---|---|---"
case "$stores" in
  embedded) run_store embedded ;;
  dynamodb) run_store dynamodb ;;
  both) run_store embedded; run_store dynamodb ;;
  *) echo "load: unknown store $stores"; exit 1 ;;
esac
