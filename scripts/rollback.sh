#!/usr/bin/env bash
# Rolls AME on AWS Lambda back to the version before the one serving now: stops a CodeDeploy
# deployment in progress (which moves the `live` alias back), or else points `live` at the
# previous published version (or at VERSION). The tables, alarms and API are not touched: to undo
# a template change, deploy the previous commit with scripts/deploy.sh.
#
# Usage: scripts/rollback.sh ENV [VERSION]   (dev, staging or prod)
set -euo pipefail

env=${1:-}
case "$env" in
  dev | staging | prod) ;;
  *) echo "usage: scripts/rollback.sh ENV [VERSION] (dev, staging or prod)"; exit 2 ;;
esac
command -v aws > /dev/null || { echo "rollback: the AWS CLI is needed"; exit 1; }
stack="ame-$env"
function="ame-$env"

resource() {
  aws cloudformation describe-stack-resource --stack-name "$stack" --logical-resource-id "$1" \
    --query StackResourceDetail.PhysicalResourceId --output text
}

application=$(resource ServerlessDeploymentApplication)
group=$(resource AmeFunctionDeploymentGroup)
in_progress=$(aws deploy list-deployments --application-name "$application" --deployment-group-name "$group" \
  --include-only-statuses Created Queued InProgress --query 'deployments[0]' --output text)
if [ -n "$in_progress" ] && [ "$in_progress" != None ]; then
  echo "rollback: stopping deployment $in_progress; CodeDeploy moves the alias back"
  aws deploy stop-deployment --deployment-id "$in_progress" --auto-rollback-enabled
  exit 0
fi

current=$(aws lambda get-alias --function-name "$function" --name live --query FunctionVersion --output text)
target=${2:-$(aws lambda list-versions-by-function --function-name "$function" \
  --query 'Versions[?Version!=`$LATEST`].Version' --output text | tr '\t' '\n' | sort -n |
  awk -v current="$current" '$1 < current' | tail -n 1)}
if [ -z "$target" ]; then
  echo "rollback: FAIL: $function has no version before $current"
  exit 1
fi
echo "rollback: $function alias live: version $current -> $target"
aws lambda update-alias --function-name "$function" --name live --function-version "$target" \
  --routing-config 'AdditionalVersionWeights={}'
aws lambda get-alias --function-name "$function" --name live --output table
