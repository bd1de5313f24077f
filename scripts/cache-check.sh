#!/usr/bin/env bash
# Two `ame serve` processes share a real DynamoDB-API server (moto_server) and a real
# redis-server, with the cache on:
#   - an update through one is served by the other as the new value (the delay is printed);
#   - redis-server killed in the middle of a load: no request fails; once it is back, the cache
#     answers again.
#
# Usage: scripts/cache-check.sh [AME_BINARY]   (default: the debug build's `ame`)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
ame=${1:-$(cd "$root" && swift build --show-bin-path)/ame}
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-cache.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  [ -f "$work/redis.pid" ] && kill -9 "$(cat "$work/redis.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf 'cache-check: %s\n' "$*"; }

moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
pids+=($!)
redis_port=$(free_port)
# Started (and later restarted) by the Python driver below, which kills it mid-load.
redis_command="redis-server --port $redis_port --bind 127.0.0.1 --save '' --appendonly no"
wait_for_port "$moto_port"

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AME_STORE=dynamodb
export AME_CACHE_ENABLED=true AME_REDIS_URL="redis://127.0.0.1:$redis_port"
"$ame" tables create > /dev/null
"$ame" seed --corporations 5 --places 20 --contacts 40 --requests 0

python3 - "$ame" "$work" "$redis_command" "$redis_port" <<'PY'
import json, os, re, signal, statistics, subprocess, sys, time, urllib.request

ame, work, redis_command, redis_port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def start_redis():
    process = subprocess.Popen(redis_command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=os.setsid)
    with open(f"{work}/redis.pid", "w") as file:
        file.write(str(process.pid))
    import socket
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", redis_port), 0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("cache-check: FAIL: redis-server did not start")

def kill_redis(process):
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

redis = start_redis()
servers = []
for name in ("a", "b"):
    log = open(f"{work}/serve-{name}.log", "w")
    servers.append(subprocess.Popen([ame, "serve", "--port", "0"], stdout=log, stderr=subprocess.STDOUT))
urls = []
for name in ("a", "b"):
    for _ in range(150):
        text = open(f"{work}/serve-{name}.log").read()
        match = re.search(r"http://127\.0\.0\.1:\d+/graphql", text)
        if match:
            urls.append(match.group(0))
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"cache-check: FAIL: server {name} did not start:\n{text}")
a, b = urls

def gql(url, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "X-Endpoint-Id": "dev"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)

places = gql(a, "{ placeList(limit: 5) { placeList { placeUuid } } }")["data"]["placeList"]["placeList"]
read = "query($p: String!) { place(placeUuid: $p) { businessName corporationProfile { businessName } } }"
# Tombstones of the seeded writes expire first, so that Redis can hold the places.
time.sleep(16)
for place in places:
    for url in (a, b, b):
        gql(url, read, {"p": place["placeUuid"]})
warm = gql(b, read, {"p": places[0]["placeUuid"]})
assert warm["extensions"]["cost"]["cacheHits"] == 2 and warm["extensions"]["cost"]["storeCalls"] == 0, warm

delays = []
for round in range(20):
    place = places[round % len(places)]["placeUuid"]
    name = f"Renamed {round}"
    update = gql(a, 'mutation($p: String!, $n: String) { insertUpdatePlace(placeUuid: $p, businessName: $n, updatedBy: "check") { place { businessName } } }',
                 {"p": place, "n": name})
    assert "errors" not in update, update
    acknowledged = time.monotonic()
    while True:
        answer = gql(b, read, {"p": place})
        if answer["data"]["place"]["businessName"] == name:
            break
        if time.monotonic() - acknowledged > 5:
            raise SystemExit(f"cache-check: FAIL: server b still serves the old name 5 s after the update: {answer}")
    delays.append(time.monotonic() - acknowledged)
    again = gql(b, read, {"p": place})
    assert again["data"]["place"]["businessName"] == name, again
print(f"cache-check: an update through a is served by b after {statistics.median(delays) * 1000:.1f} ms (median), "
      f"{max(delays) * 1000:.1f} ms (max) of 20 updates, measured from the acknowledgement to b's first new answer")

queries = [read, "{ contactProfileList(limit: 40) { contactProfileList { email data place { businessName } } } }"]
failures = 0
for index in range(300):
    if index == 100:
        kill_redis(redis)
    if index == 200:
        redis = start_redis()
    url = (a, b)[index % 2]
    answer = gql(url, queries[index % 2], {"p": places[index % len(places)]["placeUuid"]} if index % 2 == 0 else None)
    if answer.get("errors") or answer.get("data") is None:
        failures += 1
        print("cache-check: failed request:", answer)
if failures:
    raise SystemExit(f"cache-check: FAIL: {failures} of 300 requests failed while redis-server was killed and restarted")
print("cache-check: 300 requests while redis-server was killed (at 100) and restarted (at 200): none failed")

deadline = time.monotonic() + 20
while True:
    answers = [gql(url, queries[1]) for url in (a, b, b)]
    if answers[-1]["extensions"]["cost"]["cacheHits"] > 0:
        break
    if time.monotonic() > deadline:
        raise SystemExit(f"cache-check: FAIL: no cache hits 20 s after redis-server came back: {answers[-1]['extensions']}")
    time.sleep(0.2)
print(f"cache-check: after redis-server came back the cache answers again ({answers[-1]['extensions']['cost']})")
for server in servers:
    server.terminate()
kill_redis(redis)
PY
say "PASS"
