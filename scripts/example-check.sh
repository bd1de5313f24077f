#!/usr/bin/env bash
# Builds the Examples/Library package (a separate package that depends on AME by path and applies
# its plugin to its own schema), serves it on a free loopback port and checks a few queries.
#
# Usage: scripts/example-check.sh [SCRATCH_PATH]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
package="$root/Examples/Library"
scratch=${1:-$package/.build}
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-example.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# AME_SWIFT_BUILD_FLAGS: the flags the scratch folder was built with (CI: coverage), so it is reused.
# shellcheck disable=SC2086
swift build ${AME_SWIFT_BUILD_FLAGS:-} --package-path "$package" --scratch-path "$scratch" --product library-server 2>&1 | tail -n 2
bin="$(swift build --package-path "$package" --scratch-path "$scratch" --show-bin-path)/library-server"

LIBRARY_PORT=0 LIBRARY_DATA_DIR="$work/data" "$bin" > "$work/serve.log" 2>&1 &
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
authors = gql("{ authorList(limit: 10) { authorList { name books(limit: 10) { bookList { title } } } } }")
authors = authors["authorList"]["authorList"]
assert authors == [{"name": "Ursula K. Le Guin", "books": {"bookList": [{"title": "The Dispossessed"}]}}], authors
fields = gql("""{ __type(name: "BookType") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }""")
shelf = [f for f in fields["__type"]["fields"] if f["name"] == "shelfCode"][0]
assert shelf == {"name": "shelfCode", "isDeprecated": True, "deprecationReason": "Use isbn."}, shelf
print("example-check: PASS: the Library example builds on AME from its own package and answers queries")
PY
