#!/usr/bin/env bash
# Deploys AME to AWS Lambda as the CloudFormation stack `ame-ENV` (deploy/template.yaml, AWS SAM):
# packages `bootstrap` (scripts/package-lambda.sh), checks the template, and runs `sam deploy`.
# A new version takes traffic as DeploymentType says (default Canary10Percent5Minutes), and
# CodeDeploy moves the `live` alias back by itself when the function's error alarm fires.
#
# Needs the AWS SAM CLI and credentials for the account (AWS_PROFILE / AWS_REGION), and the
# Secrets Manager secrets ame/ENV/jwt-secret and ame/ENV/token-secret (docs/OPERATIONS.md).
# More parameters (AlarmEmail=…, RedisUrl=…, TrustedClaims=…) in AME_DEPLOY_PARAMETERS.
#
# Usage: scripts/deploy.sh ENV   (dev, staging or prod)
set -euo pipefail

env=${1:-}
case "$env" in
  dev | staging | prod) ;;
  *) echo "usage: scripts/deploy.sh ENV (dev, staging or prod)"; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
stack="ame-$env"
for tool in sam aws; do
  command -v "$tool" > /dev/null || { echo "deploy: \`$tool\` is needed (the AWS SAM CLI and the AWS CLI)"; exit 1; }
done

"$root/scripts/package-lambda.sh"

echo "deploy: checking deploy/template.yaml"
sam validate --lint --template-file "$root/deploy/template.yaml"

# shellcheck disable=SC2206 # extra overrides are NAME=VALUE words
extra=(${AME_DEPLOY_PARAMETERS:-})
echo "deploy: sam deploy $stack"
sam deploy \
  --template-file "$root/deploy/template.yaml" \
  --stack-name "$stack" \
  --resolve-s3 \
  --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset \
  --parameter-overrides \
  "Environment=$env" "TablePrefix=ame-$env-" \
  "JwtSecretName=ame/$env/jwt-secret" "TokenSecretName=ame/$env/token-secret" \
  "${extra[@]}" \
  --tags "project=ame" "environment=$env"

aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output table
