#!/usr/bin/env bash
# Builds the Examples/Library package (a separate package that depends on AME by path and applies
# its plugin to its own schema), serves it on a free loopback port and checks a few queries; then
# serves it again with AME_API_KEYS_FILE (the settings `ame serve` reads) and checks that a request
# without the key is refused and one with it is answered; and, where moto_server is installed
# (required with AME_REQUIRE_INTEGRATION=1), serves it with AME_STORE=dynamodb and reads what it
# wrote back with boto3 from its own `library-` tables.
#
# Usage: scripts/example-check.sh [SCRATCH_PATH]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
package="$root/Examples/Library"
scratch=${1:-$package/.build}
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-example.XXXXXX")
server_pid=""
moto_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# AME_SWIFT_BUILD_FLAGS: the flags the scratch folder was built with (CI: coverage), so it is reused.
# shellcheck disable=SC2086
swift build ${AME_SWIFT_BUILD_FLAGS:-} --package-path "$package" --scratch-path "$scratch" --product library-server 2>&1 | tail -n 2
bin="$(swift build --package-path "$package" --scratch-path "$scratch" --show-bin-path)/library-server"

# Run from the work folder, so that no `.env` of the caller's folder is read; only loopback, port 0.
(cd "$work" && exec env AME_HOST=127.0.0.1 AME_PORT=0 AME_DATA_DIR="$work/data" "$bin") > "$work/serve.log" 2>&1 &
server_pid=$!
url=$(served_url "$work/serve.log")
[ -n "$url" ] || { echo "example-check: FAIL: the server did not start"; cat "$work/serve.log"; exit 1; }

python3 - "$url" <<'PY'
import json, sys, urllib.request

url = sys.argv[1]

def gql(query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "X-Endpoint-Id": "example"})
    with urllib.request.urlopen(request) as response:
        result = json.load(response)
    assert "errors" not in result, result
    return result["data"]

author = gql("""mutation { insertUpdateAuthor(name: "Ursula K. Le Guin", born: "1929-10-21T00:00:00.000Z",
  genres: ["fantasy", "science fiction"], profile: {awards: 8}, data: {agent: "Virginia Kidd"}, updatedBy: "example") {
  author { authorUuid active } } }""")["insertUpdateAuthor"]["author"]
assert author["active"] is True, author  # the YAML default
book = gql("""mutation($a: ID!) { insertUpdateBook(title: "The Dispossessed", isbn: "9780061054884", pages: 387,
  authorUuid: $a, size: {width: 10.6, height: 17.1}, updatedBy: "example") { book { bookUuid price size { width } } } }""",
  {"a": author["authorUuid"]})["insertUpdateBook"]["book"]
assert book["price"] == 9.99 and book["size"] == {"width": 10.6}, book
books = gql("""query($a: ID!) { bookList(authorUuid: $a) { bookList { title pages author { name genres profile data } } } }""",
  {"a": author["authorUuid"]})["bookList"]["bookList"]
assert books == [{"title": "The Dispossessed", "pages": 387, "author": {"name": "Ursula K. Le Guin",
  "genres": ["fantasy", "science fiction"], "profile": {"awards": 8}, "data": {"agent": "Virginia Kidd"}}}], books
# `bookList(isbn:)` is served by the global index `by-isbn`, whose partition is the tenant and the isbn.
by_isbn = gql('{ bookList(isbn: "9780061054884") { bookList { title } } }')["bookList"]["bookList"]
assert by_isbn == [{"title": "The Dispossessed"}], by_isbn
assert gql('{ bookList(isbn: "0000000000000") { bookList { title } } }')["bookList"]["bookList"] == []
authors = gql("{ authorList(limit: 10) { authorList { name books(limit: 10) { bookList { title } } } } }")
authors = authors["authorList"]["authorList"]
assert authors == [{"name": "Ursula K. Le Guin", "books": {"bookList": [{"title": "The Dispossessed"}]}}], authors
fields = gql("""{ __type(name: "BookType") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }""")
shelf = [f for f in fields["__type"]["fields"] if f["name"] == "shelfCode"][0]
assert shelf == {"name": "shelfCode", "isDeprecated": True, "deprecationReason": "Use isbn."}, shelf
print("example-check: PASS: the Library example builds on AME from its own package and answers queries")
PY
stop_server

# Invalid settings stop it before it listens, every one of them named.
status=0
(cd "$work" && exec env AME_PORT=0 AME_DATA_DIR="$work/refused" AME_API_KEYS_FILE="$work/absent" AME_MAX_DEPTH=0 "$bin") \
  > "$work/refused.log" 2>&1 || status=$?
if [ "$status" != 78 ] || ! grep -q 'AME_API_KEYS_FILE' "$work/refused.log" || ! grep -q 'AME_MAX_DEPTH' "$work/refused.log" \
  || grep -q 'serving GraphQL' "$work/refused.log"; then
  echo "example-check: FAIL: invalid settings did not stop the example with both named (status $status)"
  cat "$work/refused.log"; exit 1
fi
echo "example-check: PASS: invalid settings stop the example with every problem named"

# The same host with an API keys file: the line `ame keys add` writes is `<sha256 of the key> <endpoint> [part]`.
key="ame_example_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
printf '%s library\n' "$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)" > "$work/keys"
(cd "$work" && exec env AME_HOST=127.0.0.1 AME_PORT=0 AME_DATA_DIR="$work/keyed" AME_API_KEYS_FILE="$work/keys" "$bin") \
  > "$work/keyed.log" 2>&1 &
server_pid=$!
url=$(served_url "$work/keyed.log")
[ -n "$url" ] || { echo "example-check: FAIL: the server with API keys did not start"; cat "$work/keyed.log"; exit 1; }

python3 - "$url" "$key" <<'PY'
import json, sys, urllib.error, urllib.request

url, key = sys.argv[1], sys.argv[2]

def post(query, headers):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)

insert = 'mutation { insertUpdateAuthor(name: "Octavia E. Butler", updatedBy: "example") { author { name } } }'
# Without a credential, and with the development header that works without API keys: refused, nothing written.
for headers in ({}, {"X-Endpoint-Id": "library"}, {"Authorization": "Bearer ame_wrong"}):
    status, result = post(insert, headers)
    assert status == 401, (headers, status, result)
    assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"], result
status, result = post(insert, {"Authorization": "Bearer " + key})
assert status == 200 and "errors" not in result, (status, result)
status, result = post("{ authorList(limit: 10) { authorList { name } } }", {"Authorization": "Bearer " + key})
assert status == 200 and result["data"]["authorList"]["authorList"] == [{"name": "Octavia E. Butler"}], result
print("example-check: PASS: with AME_API_KEYS_FILE the example refuses a request without its key and answers one with it")
PY
stop_server

if ! command -v moto_server > /dev/null; then
  [ "${AME_REQUIRE_INTEGRATION:-}" = 1 ] && { echo "example-check: FAIL: moto_server is not installed"; exit 1; }
  echo "example-check: SKIP: the example on DynamoDB (moto_server is not installed: pip install 'moto[server]')"
  exit 0
fi
moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
moto_pid=$!
wait_for_port "$moto_port"
(cd "$work" && exec env AME_HOST=127.0.0.1 AME_PORT=0 AME_STORE=dynamodb AWS_REGION=us-east-1 \
  AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto_port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "$bin") \
  > "$work/dynamodb.log" 2>&1 &
server_pid=$!
url=$(served_url "$work/dynamodb.log")
[ -n "$url" ] || { echo "example-check: FAIL: the server on DynamoDB did not start"; cat "$work/dynamodb.log"; exit 1; }

python3 - "$url" "http://127.0.0.1:$moto_port" <<'PY'
import json, sys, urllib.request
import boto3

url, endpoint = sys.argv[1], sys.argv[2]
body = json.dumps({"query": 'mutation { insertUpdateAuthor(name: "N. K. Jemisin", updatedBy: "example") { author { authorUuid } } }'})
request = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json", "X-Endpoint-Id": "shelf"})
with urllib.request.urlopen(request) as response:
    result = json.load(response)
assert "errors" not in result, result
uuid = result["data"]["insertUpdateAuthor"]["author"]["authorUuid"]
dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
items = dynamodb.scan(TableName="library-authors")["Items"]
assert [(i["tenant"]["S"], i["name"]["S"]) for i in items] == [("shelf#default", "N. K. Jemisin")], items
assert uuid in json.dumps(items), items
def gql(query):
    request = urllib.request.Request(url, json.dumps({"query": query}).encode(),
                                     {"Content-Type": "application/json", "X-Endpoint-Id": "shelf"})
    with urllib.request.urlopen(request) as response:
        result = json.load(response)
    assert "errors" not in result, result
    return result["data"]

# A book, then its list through the global index: the index entry's partition names the tenant.
gql('mutation { insertUpdateBook(title: "The Fifth Season", isbn: "9780316229296", authorUuid: "%s", updatedBy: "example") '
    '{ book { bookUuid } } }' % uuid)
books = dynamodb.scan(TableName="library-books")["Items"]
assert [i["tenant#by-isbn"]["S"] for i in books] == ["shelf#default#s:9780316229296"], books
listed = gql('{ bookList(isbn: "9780316229296") { bookList { title } } }')["bookList"]["bookList"]
assert listed == [{"title": "The Fifth Season"}], listed
# Books are laid out globally: the author's books are read through the global `author_uuid-index`.
shelf = gql('{ authorList(limit: 10) { authorList { name books(limit: 10) { bookList { title } } } } }')
assert shelf["authorList"]["authorList"] == [
    {"name": "N. K. Jemisin", "books": {"bookList": [{"title": "The Fifth Season"}]}}], shelf
tables = {t["TableName"]: t for t in (dynamodb.describe_table(TableName="library-books")["Table"],)}
assert not tables["library-books"].get("LocalSecondaryIndexes"), tables
assert sorted(i["IndexName"] for i in tables["library-books"]["GlobalSecondaryIndexes"]) == [
    "author_uuid-index", "by-isbn", "title-index"], tables
print("example-check: PASS: with AME_STORE=dynamodb the example creates its library- tables and writes to them")
PY
