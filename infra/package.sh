#!/usr/bin/env bash
# Uploads the built Lambda bundles (dist/<name>/, from `npm run build`) and rewrites infra/pipeline.yml's local Code
# paths to S3 locations. Called by `npm run package`, which builds first.
set -euo pipefail

if [[ -z "${ARTIFACT_UPLOAD_BUCKET:-}" ]]; then
  cat >&2 <<'USAGE'
usage: ARTIFACT_UPLOAD_BUCKET=<bucket> npm run package

ARTIFACT_UPLOAD_BUCKET is an S3 bucket you own, in the region you deploy the pipeline to, that receives the
Lambda bundles. The packaged template is written to .infra-build/pipeline.packaged.yml.
USAGE
  exit 64
fi

cd "$(dirname "$0")/.."
# The functions are the ones the build bundles: function-names.mjs lists every functions/<name>/handler.ts.
names=$(node --input-type=module -e "import { FUNCTION_NAMES } from './function-names.mjs'; console.log(FUNCTION_NAMES.join(' '))")
if [[ -z "$names" ]]; then
  echo "no functions/<name>/handler.ts found" >&2
  exit 1
fi
for name in $names; do
  if [[ ! -f "dist/$name/index.mjs" ]]; then
    echo "dist/$name/index.mjs is missing: run npm run build (npm run package does it for you)" >&2
    exit 1
  fi
done

mkdir -p .infra-build
aws cloudformation package \
  --template-file infra/pipeline.yml \
  --s3-bucket "$ARTIFACT_UPLOAD_BUCKET" \
  --output-template-file .infra-build/pipeline.packaged.yml
echo "packaged: .infra-build/pipeline.packaged.yml"
