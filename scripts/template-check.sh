#!/usr/bin/env bash
# deploy/template.yaml cannot drift from the schema:
#   - its block between `# BEGIN ame tables template` and `# END ame tables template` is exactly
#     what `ame tables template` prints (`--write` puts the command's output there instead);
#   - the tables it declares (keys, attributes, indexes, billing) are the ones `ame tables create`
#     makes, compared through boto3 on a real DynamoDB-API server (moto_server);
#   - cfn-lint passes.
#
# Usage: scripts/template-check.sh [--write] [AME_BINARY]   (default: the debug build's `ame`)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
write=false
if [ "${1:-}" = "--write" ]; then write=true; shift; fi
ame=${1:-$(cd "$root" && swift build --show-bin-path)/ame}
template="$root/deploy/template.yaml"
work=$(mktemp -d "${TMPDIR:-/tmp}/ame-template.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The command prints `Resources:` and the resources; the template holds the resources.
"$ame" tables template | tail -n +2 > "$work/generated.yaml"
awk '/^  # BEGIN ame tables template$/ {inside=1; next} /^  # END ame tables template$/ {inside=0} inside' \
  "$template" > "$work/committed.yaml"
if ! diff -u "$work/committed.yaml" "$work/generated.yaml" > "$work/diff.txt"; then
  if $write; then
    awk -v generated="$work/generated.yaml" '
      /^  # BEGIN ame tables template$/ {print; while ((getline line < generated) > 0) print line; skip=1; next}
      /^  # END ame tables template$/ {skip=0}
      !skip' "$template" > "$work/template.yaml"
    cp "$work/template.yaml" "$template"
    echo "template-check: deploy/template.yaml's tables rewritten from \`ame tables template\`"
  else
    cat "$work/diff.txt"
    echo "template-check: FAIL: deploy/template.yaml's tables differ from \`ame tables template\` (run scripts/template-check.sh --write)"
    exit 1
  fi
fi
echo "template-check: the template's tables are \`ame tables template\`'s"

moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
pids+=($!)
wait_for_port "$moto_port"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
prefix=ame-check-
AME_STORE=dynamodb AME_TABLE_PREFIX=$prefix "$ame" tables create > /dev/null

python3 - "$template" "$AWS_ENDPOINT_URL_DYNAMODB" "$prefix" <<'PY'
import sys
import boto3
import yaml

template_path, endpoint, prefix = sys.argv[1:4]


class CloudFormationLoader(yaml.SafeLoader):
    pass


def tag(loader, suffix, node):
    # !Sub "${TablePrefix}name" and the other short forms: keep the scalar, drop the tag.
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


CloudFormationLoader.add_multi_constructor("!", tag)
with open(template_path) as handle:
    template = yaml.load(handle, Loader=CloudFormationLoader)

declared = {}
for name, resource in template["Resources"].items():
    if resource["Type"] == "AWS::DynamoDB::Table":
        properties = resource["Properties"]
        declared[properties["TableName"].replace("${TablePrefix}", prefix)] = properties

client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
created = [name for name in client.list_tables()["TableNames"] if name.startswith(prefix)]
problems = []
if sorted(created) != sorted(declared):
    problems.append(f"tables: template {sorted(declared)}, ame tables create {sorted(created)}")


def indexes(entries):
    return sorted(
        (entry["IndexName"], [(key["AttributeName"], key["KeyType"]) for key in entry["KeySchema"]],
         entry["Projection"]["ProjectionType"], sorted(entry["Projection"].get("NonKeyAttributes", [])))
        for entry in entries or []
    )


for name in sorted(set(created) & set(declared)):
    table = client.describe_table(TableName=name)["Table"]
    mine = declared[name]
    pairs = [
        ("KeySchema", [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]],
         [(k["AttributeName"], k["KeyType"]) for k in mine["KeySchema"]]),
        ("AttributeDefinitions", sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]),
         sorted((a["AttributeName"], a["AttributeType"]) for a in mine["AttributeDefinitions"])),
        ("LocalSecondaryIndexes", indexes(table.get("LocalSecondaryIndexes")), indexes(mine.get("LocalSecondaryIndexes"))),
        ("GlobalSecondaryIndexes", indexes(table.get("GlobalSecondaryIndexes")), indexes(mine.get("GlobalSecondaryIndexes"))),
        ("BillingMode", table.get("BillingModeSummary", {}).get("BillingMode"), mine["BillingMode"]),
    ]
    for what, made, written in pairs:
        if made != written:
            problems.append(f"{name} {what}: ame tables create {made}, template {written}")

if problems:
    print("template-check: FAIL:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"template-check: {len(created)} tables: the template declares what `ame tables create` makes")
PY

if command -v cfn-lint > /dev/null; then
  cfn-lint "$template"
  echo "template-check: cfn-lint passes"
elif [ "${CI:-}" = true ]; then
  echo "template-check: FAIL: cfn-lint is not installed (pip install cfn-lint)"; exit 1
else
  echo "template-check: cfn-lint skipped: not installed (pip install cfn-lint)"
fi
