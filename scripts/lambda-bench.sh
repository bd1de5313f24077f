#!/usr/bin/env bash
# Lambda cold start and warm invocation overhead, against `ame serve` for the same query, over a
# real DynamoDB-API server (moto_server) on loopback and the Runtime API peer of the tests
# (Tests/Support/lambda_runtime_api.py). Prints the numbers docs/PERFORMANCE.md quotes.
#
#   cold start: process start → its start line (initialization done: settings, store, tables
#               checked), and → the first invocation answered (the event was waiting);
#   warm:       the function's time per invocation as the Runtime API sees it (event handed out →
#               response received), against one request to `ame serve` over a kept-alive
#               loopback connection, both for the same query.
#
# Usage: scripts/lambda-bench.sh [AME_BINARY] [WARM_INVOCATIONS]   (default: the debug build, 300)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
ame=${1:-$(cd "$root" && swift build --show-bin-path)/ame}
count=${2:-300}
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-lambda-bench.XXXXXX")
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
peer_port=$(free_port)
python3 "$root/Tests/Support/lambda_runtime_api.py" "$peer_port" $$ > "$work/peer.log" 2>&1 &
pids+=($!)
wait_for_port "$peer_port"

cd "$work"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AME_STORE=dynamodb AME_LOG_LEVEL=warning
key=ame_bench_key
echo "$(printf %s "$key" | sha256sum | cut -d' ' -f1) acme default" > keys
export AME_API_KEYS_FILE="$work/keys"
"$ame" tables create > /dev/null
"$ame" seed --endpoint-id acme > /dev/null

python3 - "$ame" "$peer_port" "$count" "$key" <<'PY'
import base64, http.client, json, statistics, subprocess, sys, threading, time, urllib.request

ame, peer_port, count, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
query = "{ contactProfileList(limit: 10) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }"
body = json.dumps({"query": query})
event = json.dumps({
    "version": "2.0", "routeKey": "$default", "rawPath": "/graphql", "rawQueryString": "",
    "headers": {"authorization": "Bearer " + key, "content-type": "application/json"},
    "requestContext": {"http": {"method": "POST", "path": "/graphql"}, "stage": "$default", "domainName": "bench"},
    "body": body, "isBase64Encoded": False,
}).encode()


def invoke():
    request = urllib.request.Request(
        f"http://127.0.0.1:{peer_port}/__invoke",
        json.dumps({"event_b64": base64.b64encode(event).decode(), "timeout_ms": 30000}).encode())
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    payload = json.loads(answer["body"])
    assert payload["statusCode"] == 200 and "errors" not in json.loads(payload["body"]), answer
    return answer


def summary(values):
    values = sorted(values)
    return f"median {statistics.median(values):.2f} ms, p95 {values[int(len(values) * 0.95) - 1]:.2f} ms"


# Cold start: the first event waits in the Runtime API before the process starts.
colds, readies = [], []
for _ in range(10):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("answer", invoke()))
    thread.start()
    time.sleep(0.2)
    start = time.monotonic()
    process = subprocess.Popen([ame, "lambda"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env={**__import__("os").environ, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{peer_port}"})
    process.stdout.readline()
    readies.append((time.monotonic() - start) * 1000)
    thread.join()
    colds.append((time.monotonic() - start) * 1000)
    process.kill()
    process.wait()
print(f"cold start, process start → ready: {summary(readies)}")
print(f"cold start, process start → first answer: {summary(colds)}")

process = subprocess.Popen([ame, "lambda"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           env={**__import__("os").environ, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{peer_port}"})
process.stdout.readline()
for _ in range(50):
    invoke()
lambda_ms = [invoke()["function_ms"] for _ in range(count)]
process.kill()

server = subprocess.Popen([ame, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
line = server.stdout.readline().decode()
port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
connection = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}


def serve_once():
    start = time.monotonic()
    connection.request("POST", "/graphql", body, headers)
    response = connection.getresponse()
    data = response.read()
    assert response.status == 200 and b'"errors"' not in data, data
    return (time.monotonic() - start) * 1000


for _ in range(50):
    serve_once()
serve_ms = [serve_once() for _ in range(count)]
server.kill()
print(f"warm, ame lambda (Runtime API: event out → response in), {count} invocations: {summary(lambda_ms)}")
print(f"warm, ame serve (client: request → response, keep-alive), {count} requests: {summary(serve_ms)}")
print(f"warm overhead of Lambda: {statistics.median(lambda_ms) - statistics.median(serve_ms):+.2f} ms at the median")
PY
