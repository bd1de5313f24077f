#!/usr/bin/env bash
# Proves the schema-first promise on a copy of this package: add schema/campaign.yaml, run
# `swift build`, and the API has Campaign (get, list by status, upsert, delete, nested
# corporationProfile) with no Swift written; delete the file, rebuild, and it is gone.
#
# Usage: scripts/schema-roundtrip.sh [SCRATCH_PATH]
#   SCRATCH_PATH: the build folder to use for the copy (default: a new one inside the copy).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-roundtrip.XXXXXX")
scratch=${1:-$work/pkg/.build}
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf 'schema-roundtrip: %s\n' "$*"; }

mkdir -p "$work/pkg"
(cd "$root" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$work/pkg" -xf -
cd "$work/pkg"

# AME_SWIFT_BUILD_FLAGS: the flags the scratch folder was built with (CI: coverage), so it is reused.
# shellcheck disable=SC2086
build() { swift build ${AME_SWIFT_BUILD_FLAGS:-} --scratch-path "$scratch" --product ame 2>&1 | tail -n 3; }
bin=$(swift build --scratch-path "$scratch" --show-bin-path)
ame() { "$bin/ame" "$@"; }

say "adding schema/campaign.yaml"
cat > schema/campaign.yaml <<'YAML'
entity: Campaign
table: campaigns
description: A marketing campaign run by a corporation.
key: campaign_uuid
fields:
  campaign_uuid:    { type: ID, generated: uuid }
  name:             { type: String, required: true }
  status:           { type: String, required: true }
  corporation_uuid: { type: ID, required: true }
indexes:
  status-index: { sort: status }
relations:
  corporation_profile: { belongsTo: CorporationProfile, via: corporation_uuid }
YAML
build
# The SDL goes to a file first: `ame schema | grep -q` races, since grep may exit before ame has
# written everything, and the SIGPIPE fails the pipeline under `set -o pipefail`.
ame schema > "$work/with-campaign.graphql"
grep -q 'campaignList(' "$work/with-campaign.graphql" || { say "FAIL: campaignList missing from the SDL"; exit 1; }

data="$work/data"
ame seed --data-dir "$data" --endpoint-id roundtrip --corporations 1 --places 0 --contacts 0 --requests 0
# Started directly (not through the `ame` function) so that `$!` is the server itself.
"$bin/ame" serve --data-dir "$data" --host 127.0.0.1 --port 0 > "$work/serve.log" 2>&1 &
server_pid=$!
url=$(served_url "$work/serve.log")
[ -n "$url" ] || { say "FAIL: the server did not start"; cat "$work/serve.log"; exit 1; }

python3 - "$url" <<'PY'
import json, sys, urllib.request

url = sys.argv[1]

def gql(query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "X-Endpoint-Id": "roundtrip"})
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)

corporation = gql("{ corporationProfileList { corporationProfileList { corporationUuid businessName } } }")
corporation = corporation["data"]["corporationProfileList"]["corporationProfileList"][0]
created = gql("""mutation($c: String!) { insertUpdateCampaign(name: "Spring", status: "active", corporationUuid: $c,
  updatedBy: "roundtrip") { campaign { campaignUuid } } }""", {"c": corporation["corporationUuid"]})
key = created["data"]["insertUpdateCampaign"]["campaign"]["campaignUuid"]
listed = gql("""{ campaignList(status: "active") { campaignList { name corporationProfile { businessName } } } }""")
assert listed["data"]["campaignList"]["campaignList"] == [
    {"name": "Spring", "corporationProfile": {"businessName": corporation["businessName"]}}], listed
fetched = gql("query($k: String!) { campaign(campaignUuid: $k) { name status } }", {"k": key})
assert fetched["data"]["campaign"] == {"name": "Spring", "status": "active"}, fetched
deleted = gql("mutation($k: String!) { deleteCampaign(campaignUuid: $k) { ok } }", {"k": key})
assert deleted["data"]["deleteCampaign"]["ok"] is True, deleted
gone = gql("query($k: String!) { campaign(campaignUuid: $k) { name } }", {"k": key})
assert gone["data"] is None and gone["errors"][0]["extensions"]["code"] == "ENTITY_NOT_FOUND", gone
print("schema-roundtrip: campaign, campaignList(status:), insertUpdateCampaign, deleteCampaign and the nested corporationProfile work")
PY
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

say "removing schema/campaign.yaml"
rm schema/campaign.yaml
build
ame schema > "$work/without-campaign.graphql"
if grep -q -i campaign "$work/without-campaign.graphql"; then say "FAIL: Campaign is still in the SDL"; exit 1; fi
say "PASS: adding and removing a YAML file changes the API with no Swift written"
