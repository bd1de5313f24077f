#!/usr/bin/env bash
# The DynamoDB backend against a real DynamoDB-API server (moto_server):
#   `ame tables create`, `ame seed`, `ame serve` with AME_STORE=dynamodb give the same answers,
#   with the same storeCalls, as the embedded store; and items written through AME read back
#   correctly with boto3, an independent client.
#
# Usage: scripts/dynamodb-check.sh [AME_BINARY]   (default: the debug build's `ame`)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
ame=${1:-$(cd "$root" && swift build --show-bin-path)/ame}
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-dynamodb.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" $(pgrep -P "$pid" 2>/dev/null) 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT


moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
pids+=($!)
wait_for_port "$moto_port"

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
# One page-token secret for both servers, so their nextTokens can be compared too.
export AME_TOKEN_SECRET=dynamodb-check

echo "dynamodb-check: ame tables create (DynamoDB), twice: it is idempotent"
AME_STORE=dynamodb "$ame" tables create > /dev/null
AME_STORE=dynamodb "$ame" tables create | tail -n 1
AME_STORE=dynamodb "$ame" tables list

echo "dynamodb-check: ame seed on both stores"
AME_STORE=dynamodb "$ame" seed
"$ame" seed --data-dir "$work/embedded"

AME_STORE=dynamodb "$ame" serve --port 0 > "$work/serve-dynamodb.log" 2>&1 &
pids+=($!)
"$ame" serve --port 0 --data-dir "$work/embedded" > "$work/serve-embedded.log" 2>&1 &
pids+=($!)
dynamodb_url=$(served_url "$work/serve-dynamodb.log")
embedded_url=$(served_url "$work/serve-embedded.log")
if [ -z "$dynamodb_url" ] || [ -z "$embedded_url" ]; then
  echo "dynamodb-check: FAIL: a server did not start"; cat "$work"/serve-*.log; exit 1
fi

python3 - "$embedded_url" "$dynamodb_url" "$AWS_ENDPOINT_URL_DYNAMODB" <<'PY'
import json, sys, urllib.request
import boto3

embedded, dynamodb, endpoint = sys.argv[1:4]

def gql(url, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "X-Endpoint-Id": "dev"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)

first_request = gql(embedded, "{ contactRequestList(limit: 1) { contactRequestList { requestUuid contactUuid } } }")
request_id = first_request["data"]["contactRequestList"]["contactRequestList"][0]["requestUuid"]
request_contact = first_request["data"]["contactRequestList"]["contactRequestList"][0]["contactUuid"]
queries = [
    ("nested list of 100 contacts", "{ contactProfileList(limit: 100) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }", None),
    ("nested list of 10 contacts", "{ contactProfileList(limit: 10) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }", None),
    ("4-level query with data", """query($c: String!, $id: String!) { contactRequest(contactUuid: $c, requestUuid: $id) { requestTitle requestDetail
        contactProfile { email firstName place { businessName corporationProfile { businessName corporationType categories data } } data } } }""",
        {"c": request_contact, "id": request_id}),
    ("list by index with total", '{ placeList(region: "north", limit: 5) { placeList { businessName region } total nextToken } }', None),
    ("second page by pageNumber", "{ contactProfileList(limit: 30, pageNumber: 2) { contactProfileList { email } pageNumber } }", None),
    ("hasMany per place", "{ placeList(limit: 3) { placeList { businessName contactProfiles(limit: 5) { contactProfileList { email } } } } }", None),
]
for name, query, variables in queries:
    a, b = gql(embedded, query, variables), gql(dynamodb, query, variables)
    assert "errors" not in a and "errors" not in b, (name, a.get("errors"), b.get("errors"))
    assert a["data"] == b["data"], f"{name}: the stores answer differently"
    calls = (a["extensions"]["cost"]["storeCalls"], b["extensions"]["cost"]["storeCalls"])
    assert calls[0] == calls[1], f"{name}: storeCalls {calls[0]} (embedded) != {calls[1]} (DynamoDB)"
    print(f"dynamodb-check: same answer, {calls[1]} store calls: {name}")

contact = gql(dynamodb, "{ contactProfileList(limit: 1) { contactProfileList { contactUuid email firstName placeUuid data } } }")
contact = contact["data"]["contactProfileList"]["contactProfileList"][0]
client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
item = client.get_item(TableName="ame-contact_profiles",
                       Key={"tenant": {"S": "dev#default"}, "contact_uuid": {"S": contact["contactUuid"]}},
                       ConsistentRead=True)["Item"]
assert item["email"] == {"S": contact["email"]} and item["first_name"] == {"S": contact["firstName"]}, item
assert item["place_uuid"] == {"S": contact["placeUuid"]} and item["endpoint_id"] == {"S": "dev"}, item
active = client.get_item(TableName="ame-attribute_values",
                         Key={"tenant": {"S": "dev#default"}, "value_key": {"S": "A#contact#" + contact["contactUuid"]}})["Item"]
assert active["values"]["M"]["source"] == {"S": contact["data"]["source"]}, active
# `data` values are stored as strings (`values: string` in the schema).
assert active["values"]["M"]["score"] == {"S": contact["data"]["score"]}, active
count = client.query(TableName="ame-contact_profiles", KeyConditionExpression="tenant = :t",
                     ExpressionAttributeValues={":t": {"S": "dev#default"}}, Select="COUNT")["Count"]
assert count == 100, count
corporation = client.query(TableName="ame-corporation_profiles", KeyConditionExpression="tenant = :t",
                           ExpressionAttributeValues={":t": {"S": "dev#default"}}, Limit=1)["Items"][0]
assert len(corporation["categories"]["L"]) == 3 and "city" in corporation["address"]["M"], corporation
print("dynamodb-check: boto3 reads the items AME wrote: entity, data and nested attributes")
PY
echo "dynamodb-check: PASS"
