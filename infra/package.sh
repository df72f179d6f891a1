#!/usr/bin/env bash
# Uploads the built Lambda bundles (dist/<name>/index.mjs, from `npm run build`) and rewrites infra/pipeline.yml's
# local Code paths to S3 locations. Called by `npm run package`, which builds first:
#
#   ARTIFACT_UPLOAD_BUCKET=<bucket> npm run package -- --region <region>
#
# Each function's zip holds index.mjs and VERSION (the package version the build stamped into it): the build's source
# map (index.mjs.map) and metafile (meta.json) stay in dist/ — the function never reads them. docs/deploy.md
# ("Readable stack traces") says how to map a stack trace back to the sources with the map of the same build. The
# packaged template's Version output says the same version (package.json's), so a stack tells which release it runs.
# The operator CLI's bundle (dist/cli/cfcd.mjs), which the Ship stage's upload runs in CodeBuild, is uploaded as
# cfcd/<version>/<content hash>/cfcd.mjs, and the template's Mappings CfcdBundle gets that bucket and key.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: ARTIFACT_UPLOAD_BUCKET=<bucket> npm run package -- --region <region>

ARTIFACT_UPLOAD_BUCKET is an S3 bucket you own, in the region you deploy the pipeline to (Lambda reads its code from
a bucket in its own region), that receives the Lambda bundles. --region is that region (default: the AWS CLI's
configured region). Needs the AWS CLI with credentials that may write to the bucket. The packaged template is
written to .infra-build/pipeline.packaged.yml.
USAGE
}

region=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --region)
      if [[ $# -lt 2 || -z "$2" ]]; then
        echo "package: --region needs a region, e.g. --region us-east-1" >&2
        usage
        exit 64
      fi
      region="$2"
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "package: unknown argument $1" >&2
      usage
      exit 64
      ;;
  esac
done

if [[ -z "${ARTIFACT_UPLOAD_BUCKET:-}" ]]; then
  echo "package: ARTIFACT_UPLOAD_BUCKET is not set" >&2
  usage
  exit 64
fi
if ! command -v aws >/dev/null 2>&1; then
  echo "package: the AWS CLI (aws) is not on PATH; install AWS CLI v2 and configure credentials (aws configure)" >&2
  exit 69
fi

cd "$(dirname "$0")/.."
# The functions are the ones the build bundles: infra/bundles.mjs lists every functions/<name>/handler.ts.
names=$(node --input-type=module -e "import { FUNCTION_NAMES } from './infra/bundles.mjs'; console.log(FUNCTION_NAMES.join(' '))")
if [[ -z "$names" ]]; then
  echo "no functions/<name>/handler.ts found" >&2
  exit 1
fi
version=$(node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('package.json', 'utf8')).version))")
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
  echo "package: package.json's version \"$version\" is not a semantic version such as 1.2.3" >&2
  exit 1
fi
for name in $names; do
  if [[ ! -f "dist/$name/index.mjs" ]]; then
    echo "dist/$name/index.mjs is missing: run npm run build (npm run package does it for you)" >&2
    exit 1
  fi
  # The build writes the version it stamped into the bundle next to it: a bundle of another version is a stale build.
  built=$(cat "dist/$name/VERSION" 2>/dev/null || echo "an unknown version")
  if [[ "$built" != "$version" ]]; then
    echo "dist/$name was built from $built, package.json says $version: run npm run build (npm run package does it for you)" >&2
    exit 1
  fi
done

# The Ship stage (SitePath) runs cfcd upload in CodeBuild: its bundle goes to the bucket too, and the template's
# Mappings CfcdBundle names it.
cfcd_bundle=dist/cli/cfcd.mjs
if [[ ! -f "$cfcd_bundle" ]]; then
  echo "$cfcd_bundle is missing: run npm run build (npm run package does it for you)" >&2
  exit 1
fi

region_args=()
if [[ -n "$region" ]]; then
  region_args=(--region "$region")
  # Lambda refuses code from a bucket in another region, but only at deploy time: say it now.
  location=$(aws s3api get-bucket-location --bucket "$ARTIFACT_UPLOAD_BUCKET" --query LocationConstraint --output text ${region_args[@]+"${region_args[@]}"})
  # Buckets in us-east-1 report no LocationConstraint.
  if [[ "$location" == "None" || "$location" == "null" || -z "$location" ]]; then location="us-east-1"; fi
  if [[ "$location" != "$region" ]]; then
    echo "package: bucket $ARTIFACT_UPLOAD_BUCKET is in $location, not $region: Lambda reads its code from a bucket in its own region; use a bucket in $region" >&2
    exit 1
  fi
fi

# What each zip holds: the CloudFormation CLI zips the folder a Code path names. A copy of the template one folder
# deep in .infra-build/ resolves the same "../dist/<name>" to .infra-build/dist/<name>, which holds index.mjs and
# VERSION. The copy's Version output gets the package version in place of the repository's placeholder.
placeholder="0.0.0-unpackaged"
if [[ $(grep -c "^    Value: $placeholder\$" infra/pipeline.yml) != 1 ]]; then
  echo "package: infra/pipeline.yml has no Version output saying $placeholder to write the version $version over" >&2
  exit 1
fi
build=.infra-build
rm -rf "$build/dist" "$build/template"
mkdir -p "$build/template"
# cfcd's key names its version and content: a new build never replaces the file a deployed stack's builds download.
cfcd_hash=$(node -e "process.stdout.write(require('crypto').createHash('sha256').update(require('fs').readFileSync('$cfcd_bundle')).digest('hex').slice(0, 16))")
cfcd_key="cfcd/$version/$cfcd_hash/cfcd.mjs"
for line in "      Bucket: unpackaged" "      Key: ../dist/cli/cfcd.mjs"; do
  if [[ $(grep -c "^$line\$" infra/pipeline.yml) != 1 ]]; then
    echo "package: infra/pipeline.yml has no Mappings CfcdBundle line \"$line\" to write the cfcd location over" >&2
    exit 1
  fi
done
sed -e "s/^    Value: $placeholder\$/    Value: $version/" \
  -e "s|^      Bucket: unpackaged\$|      Bucket: $ARTIFACT_UPLOAD_BUCKET|" \
  -e "s|^      Key: ../dist/cli/cfcd.mjs\$|      Key: $cfcd_key|" \
  infra/pipeline.yml >"$build/template/pipeline.yml"
for name in $names; do
  mkdir -p "$build/dist/$name"
  cp "dist/$name/index.mjs" "$build/dist/$name/index.mjs"
  cp "dist/$name/VERSION" "$build/dist/$name/VERSION"
done

aws s3 cp "$cfcd_bundle" "s3://$ARTIFACT_UPLOAD_BUCKET/$cfcd_key" --only-show-errors ${region_args[@]+"${region_args[@]}"}
aws cloudformation package \
  --template-file "$build/template/pipeline.yml" \
  --s3-bucket "$ARTIFACT_UPLOAD_BUCKET" \
  ${region_args[@]+"${region_args[@]}"} \
  --output-template-file "$build/pipeline.packaged.yml"
echo "packaged: $build/pipeline.packaged.yml (version $version)"
