/**
 * infra/package.sh run in a scratch copy of the repository, with a fake `aws` on PATH that records its arguments: what
 * each Lambda zip would hold is the folder the staged template's Code path names, since `aws cloudformation package`
 * zips exactly that folder; the staged template is what it uploads. No AWS call is made.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/bundles.mjs';
import { parseTemplate } from './template.js';

const repo = resolve(new URL('../..', import.meta.url).pathname);
const VERSION = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

/** The fake CLI: one line per call (arguments separated by tabs), and the answers package.sh needs. */
const FAKE_AWS = `#!/usr/bin/env bash
printf '%s\\t' "$@" >> "$FAKE_AWS_LOG"
printf '\\n' >> "$FAKE_AWS_LOG"
if [[ "$1 $2" == "s3api get-bucket-location" ]]; then echo "$FAKE_BUCKET_REGION"; fi
if [[ "$1 $2" == "cloudformation package" ]]; then
  while [[ $# -gt 0 ]]; do
    if [[ "$1" == "--output-template-file" ]]; then echo "packaged" > "$2"; fi
    shift
  done
fi
`;

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'package-sh-'));
  mkdirSync(join(root, 'infra'));
  cpSync(join(repo, 'infra', 'package.sh'), join(root, 'infra', 'package.sh'));
  cpSync(join(repo, 'infra', 'pipeline.yml'), join(root, 'infra', 'pipeline.yml'));
  cpSync(join(repo, 'infra', 'bundles.mjs'), join(root, 'infra', 'bundles.mjs'));
  cpSync(join(repo, 'package.json'), join(root, 'package.json'));
  for (const name of FUNCTION_NAMES) {
    mkdirSync(join(root, 'functions', name), { recursive: true });
    writeFileSync(join(root, 'functions', name, 'handler.ts'), '');
    // What `npm run build` leaves in dist/<name>/: the bundle, its source map, esbuild's metafile and the version.
    mkdirSync(join(root, 'dist', name), { recursive: true });
    writeFileSync(join(root, 'dist', name, 'index.mjs'), `export const handler = () => '${name}';\n`);
    writeFileSync(join(root, 'dist', name, 'index.mjs.map'), '{"version":3}');
    writeFileSync(join(root, 'dist', name, 'meta.json'), '{}');
    writeFileSync(join(root, 'dist', name, 'VERSION'), `${VERSION}\n`);
  }
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'cfcd.mjs'), '#!/usr/bin/env node\nconsole.log("cfcd");\n');
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'bin', 'aws'), FAKE_AWS);
  chmodSync(join(root, 'bin', 'aws'), 0o755);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function runPackage(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync('bash', [join(root, 'infra', 'package.sh'), ...args], {
    encoding: 'utf8',
    env: {
      PATH: `${join(root, 'bin')}:${process.env.PATH}`,
      HOME: root,
      FAKE_AWS_LOG: join(root, 'aws.log'),
      FAKE_BUCKET_REGION: 'None',
      ARTIFACT_UPLOAD_BUCKET: 'my-deploy-bucket',
      ...env,
    },
  });
  let calls: string[][] = [];
  try {
    calls = readFileSync(join(root, 'aws.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t').filter(Boolean));
  } catch {
    // No call was made.
  }
  return { status: run.status, stderr: run.stderr, stdout: run.stdout, calls };
}

/** Where package.sh puts the scratch cfcd bundle: its version and the first 16 hex digits of its SHA-256. */
const CFCD_KEY = `cfcd/${VERSION}/${createHash('sha256').update('#!/usr/bin/env node\nconsole.log("cfcd");\n').digest('hex').slice(0, 16)}/cfcd.mjs`;

describe('infra/package.sh', () => {
  it("uploads cfcd for the Ship stage under its version and content hash, and writes where into the template's Mappings", () => {
    const run = runPackage(['--region', 'us-east-1']);
    expect(run.status).toBe(0);
    expect(run.calls).toContainEqual([
      's3',
      'cp',
      'dist/cli/cfcd.mjs',
      `s3://my-deploy-bucket/${CFCD_KEY}`,
      '--only-show-errors',
      '--region',
      'us-east-1',
    ]);
    const staged = parseTemplate(readFileSync(join(root, '.infra-build', 'template', 'pipeline.yml'), 'utf8'));
    expect(staged.Mappings).toEqual({ CfcdBundle: { Location: { Bucket: 'my-deploy-bucket', Key: CFCD_KEY } } });
  });

  it('says to build when the cfcd bundle is missing, before uploading anything', () => {
    rmSync(join(root, 'dist', 'cli'), { recursive: true });
    const run = runPackage(['--region', 'us-east-1']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('dist/cli/cfcd.mjs is missing: run npm run build');
    expect(run.calls).toEqual([]);
  });

  it('zips index.mjs and VERSION for each function: no source map, no metafile', () => {
    const run = runPackage(['--region', 'us-east-1']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const staged = join(root, '.infra-build', 'template', 'pipeline.yml');
    const template = parseTemplate(readFileSync(staged, 'utf8'));
    const lambdas = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(lambdas).toHaveLength(FUNCTION_NAMES.length);
    for (const lambda of lambdas) {
      // The folder the CloudFormation CLI zips: the Code path, relative to the template it packages.
      const folder = resolve(dirname(staged), String(lambda.Properties!.Code));
      expect(folder.startsWith(join(root, '.infra-build', 'dist'))).toBe(true);
      expect(readdirSync(folder).sort()).toEqual(['VERSION', 'index.mjs']);
      expect(readFileSync(join(folder, 'VERSION'), 'utf8')).toBe(`${VERSION}\n`);
      expect(readFileSync(join(folder, 'index.mjs'), 'utf8')).toBe(
        readFileSync(join(root, 'dist', folder.split('/').at(-1)!, 'index.mjs'), 'utf8'),
      );
    }
  });

  it("writes package.json's version into the template's Version output, over the repository's placeholder", () => {
    const source = parseTemplate(readFileSync(join(repo, 'infra', 'pipeline.yml'), 'utf8'));
    expect(source.Outputs?.Version?.Value).toBe('0.0.0-unpackaged');
    const run = runPackage(['--region', 'us-east-1']);
    expect(run.status).toBe(0);
    const staged = readFileSync(join(root, '.infra-build', 'template', 'pipeline.yml'), 'utf8');
    expect(parseTemplate(staged).Outputs?.Version?.Value).toBe(VERSION);
    // Nothing else of the template changes but the cfcd bundle's location (the next test).
    expect(staged).toBe(
      readFileSync(join(repo, 'infra', 'pipeline.yml'), 'utf8')
        .replace('0.0.0-unpackaged', VERSION)
        .replace('      Bucket: unpackaged\n', '      Bucket: my-deploy-bucket\n')
        .replace('      Key: ../dist/cli/cfcd.mjs\n', `      Key: ${CFCD_KEY}\n`),
    );
    expect(run.stdout).toContain(`(version ${VERSION})`);
  });

  it('refuses a build of another version than package.json, before uploading anything', () => {
    const name = FUNCTION_NAMES[0]!;
    writeFileSync(join(root, 'dist', name, 'VERSION'), '0.0.1\n');
    const stale = runPackage(['--region', 'us-east-1']);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toBe(
      `dist/${name} was built from 0.0.1, package.json says ${VERSION}: run npm run build ` +
        '(npm run package does it for you)\n',
    );
    rmSync(join(root, 'dist', name, 'VERSION'));
    const unknown = runPackage(['--region', 'us-east-1']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain(`dist/${name} was built from an unknown version, package.json says ${VERSION}`);
    expect([...stale.calls, ...unknown.calls]).toEqual([]);
  });

  it('packages the staged template into the bucket, in the region given, after checking the bucket is there', () => {
    const run = runPackage(['--region', 'us-east-1']);
    expect(run.calls).toEqual([
      [
        's3api',
        'get-bucket-location',
        '--bucket',
        'my-deploy-bucket',
        '--query',
        'LocationConstraint',
        '--output',
        'text',
        '--region',
        'us-east-1',
      ],
      [
        's3',
        'cp',
        'dist/cli/cfcd.mjs',
        `s3://my-deploy-bucket/${CFCD_KEY}`,
        '--only-show-errors',
        '--region',
        'us-east-1',
      ],
      [
        'cloudformation',
        'package',
        '--template-file',
        '.infra-build/template/pipeline.yml',
        '--s3-bucket',
        'my-deploy-bucket',
        '--region',
        'us-east-1',
        '--output-template-file',
        '.infra-build/pipeline.packaged.yml',
      ],
    ]);
    expect(run.stdout).toContain('packaged: .infra-build/pipeline.packaged.yml');
  });

  it('refuses an upload bucket in another region than the stack, before uploading anything', () => {
    const run = runPackage(['--region', 'eu-west-1'], { FAKE_BUCKET_REGION: 'us-west-2' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('bucket my-deploy-bucket is in us-west-2, not eu-west-1');
    expect(run.calls.map((c) => c.slice(0, 2).join(' '))).toEqual(['s3api get-bucket-location']);
  });

  it('without --region, uses the CLI configured region and checks nothing', () => {
    const run = runPackage([]);
    expect(run.status).toBe(0);
    expect(run.calls.map((c) => c.slice(0, 2).join(' '))).toEqual(['s3 cp', 'cloudformation package']);
    expect(run.calls.flat()).not.toContain('--region');
  });

  it('answers usage errors with one message and exit 64, calling no AWS', () => {
    const noBucket = runPackage(['--region', 'us-east-1'], { ARTIFACT_UPLOAD_BUCKET: '' });
    expect(noBucket.status).toBe(64);
    expect(noBucket.stderr).toMatch(/^package: ARTIFACT_UPLOAD_BUCKET is not set\nusage: /);
    const bogus = runPackage(['--bogus']);
    expect(bogus.status).toBe(64);
    expect(bogus.stderr).toMatch(/^package: unknown argument --bogus\nusage: /);
    expect([...noBucket.calls, ...bogus.calls]).toEqual([]);
  });

  it('says to build when a bundle is missing', () => {
    rmSync(join(root, 'dist', FUNCTION_NAMES[0]!), { recursive: true });
    const run = runPackage(['--region', 'us-east-1']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`dist/${FUNCTION_NAMES[0]}/index.mjs is missing: run npm run build`);
    expect(run.calls).toEqual([]);
  });
});
