#!/usr/bin/env bash
# Builds the AWS Lambda package of AME: a release `ame` with the Swift standard library linked
# statically, named `bootstrap` (Lambda's custom runtime runs it, and `ame` started under that name
# with AWS_LAMBDA_RUNTIME_API set serves invocations), plus the shared libraries the `provided.al2023`
# image lacks, zipped to .build/lambda/ame-lambda.zip (deploy/template.yaml's CodeUri).
#
# Build it on Linux for the function's architecture (x86_64 in deploy/template.yaml), against a
# glibc no newer than Amazon Linux 2023's (2.34): a Debian 12 or Amazon Linux 2023 machine or image.
#
# Usage: scripts/package-lambda.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/.build/lambda"
stage="$out/stage"

command -v zip > /dev/null || { echo "package-lambda: zip is needed (apt-get install zip)"; exit 1; }

echo "package-lambda: swift build -c release --static-swift-stdlib --product ame"
swift build -c release --static-swift-stdlib --product ame
bin=$(swift build -c release --show-bin-path)

rm -rf "$stage" "$out/ame-lambda.zip"
mkdir -p "$stage/lib"
cp "$bin/ame" "$stage/bootstrap"
strip "$stage/bootstrap" 2> /dev/null || true

# Lambda puts /var/task/lib on LD_LIBRARY_PATH: ship the libraries outside the C library itself
# (libsqlite3 for the embedded store's code, which `ame lambda` refuses but links).
ldd "$stage/bootstrap" | awk '$3 ~ /^\// {print $3}' | while read -r library; do
  case "$(basename "$library")" in
    libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*.so.* | libgcc_s.so.* | libstdc++.so.*) ;;
    *) cp -L "$library" "$stage/lib/" ;;
  esac
done

(cd "$stage" && zip -q -r "$out/ame-lambda.zip" bootstrap lib)
size=$(wc -c < "$out/ame-lambda.zip")
echo "package-lambda: $out/ame-lambda.zip ($((size / 1024 / 1024)) MiB): bootstrap and $(ls "$stage/lib" | wc -l) libraries"
