/**
 * `cfcd revert` on the built cfcd against the emulator (issue 26): after a promotion made by `cfcd promote
 * --record-bucket`, it puts production back on the previous release — viewers get it after the invalidation —; a
 * newer promotion makes it refuse with exit 3 and no write; `--dry-run` writes nothing; bad flags exit 2 with no AWS
 * call; a repeated run after completion finds nothing to do.
 */
import {
  DeleteDistributionCommand,
  GetDistributionConfigCommand,
  ListInvalidationsCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { spawn, spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { type LocalSite, SITE_BUCKET } from '../../local/pipeline/site.js';
import { CFCD_NODE, CLI, runCfcd } from './cfcd-process.js';
import { cfcdWorld } from './cfcd-world.js';

const ARTIFACTS = 'pipeline-artifacts';
const WRITES = ['UpdateDistribution', 'UpdateDistributionWithStagingConfig', 'CreateInvalidation'];

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;

const cfcd = (...args: string[]) => runCfcd(args, { env: emulator.env });
const operations = () => emulator.requestLog().map((r) => r.operation);
const writes = () => emulator.requestLog().filter((r) => WRITES.includes(r.operation) || r.operation === 'PutObject');

/** What a viewer of the primary gets: the content version, or the status. */
async function viewer(): Promise<string> {
  const r = await emulator.viewer(site.primaryDomain, '/');
  return r.status === 200 ? (/site (v\d+)/.exec(r.body)?.[1] ?? r.body) : `HTTP ${r.status}`;
}

const originPath = async (id: string) =>
  (await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: id }))).DistributionConfig?.Origins?.Items?.[0]
    ?.OriginPath;

const invalidationCount = async (id: string) =>
  (await clients.cloudFront.send(new ListInvalidationsCommand({ DistributionId: id }))).InvalidationList?.Items
    ?.length ?? 0;

async function records(): Promise<string[]> {
  const out = await clients.s3.send(new ListObjectsV2Command({ Bucket: ARTIFACTS, Prefix: 'cfcd-revert/' }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

/** Points the staging's origin at `path`, as the next release's staging deploy does. */
async function stageRelease(path: string): Promise<void> {
  const read = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: stagingId }));
  const config = read.DistributionConfig!;
  const items = config.Origins!.Items!.map((o) => ({ ...o, OriginPath: path }));
  await clients.cloudFront.send(
    new UpdateDistributionCommand({
      Id: stagingId,
      IfMatch: read.ETag,
      DistributionConfig: { ...config, Origins: { Quantity: items.length, Items: items } },
    }),
  );
}

/** enable-cd then promote, both by cfcd; with `record`, promote records what it replaces. */
async function release(record: boolean): Promise<void> {
  const ids = ['--primary', site.primaryId, '--staging', stagingId];
  const enabled = await cfcd('enable-cd', ...ids, '--policy', policyId, '--bucket', SITE_BUCKET, '--yes');
  expect(enabled.code, enabled.stderr).toBe(0);
  const promoted = await cfcd('promote', ...ids, ...(record ? ['--record-bucket', ARTIFACTS] : []), '--yes');
  expect(promoted.code, promoted.stderr).toBe(0);
}

beforeEach(async () => {
  ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(26));
  await clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACTS }));
  // v2 promoted over v1 by cfcd, with the record of v1.
  await release(true);
  expect(await viewer()).toBe('v2');
  emulator.clearRequestLog();
});
afterEach(async () => {
  await emulator.close();
});

const revert = (...more: string[]) =>
  cfcd('revert', '--primary', site.primaryId, '--record-bucket', ARTIFACTS, ...more);

describe('cfcd revert', () => {
  it('puts production back on the previous release; viewers get it after the invalidation; a re-run has nothing to do', async () => {
    const [key] = await records();
    const before = await invalidationCount(site.primaryId);
    const run = await revert('--yes', '--json');
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      result: 'reverted',
      record: key,
      release: 'origin path "/v1"',
      standing: 'promoted',
      revertChanges: ['origin site-bucket: origin path "/v2" → "/v1"'],
      writes: ['stage-recorded-config', 'promote-recorded-config', 'invalidate-cache'],
      outputVariables: { Release: 'origin path "/v1"', RevertRecord: `s3://${ARTIFACTS}/${key}` },
    });
    expect(out.summary).toMatch(/^production is back on origin path "\/v1": primary \w+ serves the config recorded/);
    expect(out.summary).toContain('its edge caches were invalidated (');
    // What the person confirmed (shown on stderr under --json) names the release and the change.
    expect(run.stderr).toContain('origin site-bucket: origin path "/v2" → "/v1"');

    expect(await originPath(site.primaryId)).toBe('/v1');
    expect(await originPath(stagingId)).toBe('/v1');
    expect(await invalidationCount(site.primaryId)).toBe(before + 1);
    expect(await viewer()).toBe('v1');
    // The steps in order, and the policy never written.
    expect(writes().map((r) => r.operation)).toEqual([
      'UpdateDistribution',
      'UpdateDistributionWithStagingConfig',
      'CreateInvalidation',
    ]);
    expect(operations().filter((op) => /Policy/.test(op) && !op.startsWith('Get'))).toEqual([]);

    emulator.clearRequestLog();
    const again = await revert('--yes');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do: production already serves origin path "/v1"');
    expect(writes()).toEqual([]);
  });

  it('text output shows the record, the release, the change, the steps and the outcome', async () => {
    const run = await revert('--yes');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('cfcd revert: the plan');
    expect(lines[1]).toMatch(
      new RegExp(`^Record    s3://${ARTIFACTS}/cfcd-revert/${site.primaryId}/.+\\.json \\(recorded `),
    );
    expect(lines[2]).toBe('Back to   origin path "/v1"');
    expect(lines[3]).toBe(
      `Now       primary ${site.primaryId} still carries the promotion this record names: a revert would go back to ` +
        'origin path "/v1"',
    );
    expect(run.stdout).toContain('  - origin site-bucket: origin path "/v2" → "/v1"');
    expect(run.stdout).toContain(`  1. stage-recorded-config: primary ${site.primaryId} still carries the promotion`);
    expect(run.stdout).toContain('✓ stage-recorded-config');
    expect(run.stdout).toContain('✓ promote-recorded-config');
    expect(run.stdout).toMatch(/✓ revert done in \d+s: production is back on origin path "\/v1"/);
  });

  it('refuses with exit 3 and no write when a newer promotion (without a record) replaced the recorded one', async () => {
    await stageRelease('/v3');
    emulator.settle();
    await release(false);
    expect(await viewer()).toBe('v3');
    emulator.clearRequestLog();
    const run = await revert('--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('refused');
    expect(run.stderr).toContain('a newer promotion or a hand change; nothing to revert to safely');
    expect(run.stderr).toContain('older records are what earlier promotions replaced');
    expect(writes()).toEqual([]);
    expect(await viewer()).toBe('v3');
  });

  it('goes back by the newest record only: a named older one is refused, the newest goes back one release', async () => {
    const [older] = await records();
    await stageRelease('/v3');
    emulator.settle();
    await release(true);
    expect(await records()).toHaveLength(2);
    emulator.clearRequestLog();
    const refused = await revert('--record', older!, '--yes');
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain('is not the newest revert record of primary');
    expect(writes()).toEqual([]);

    const run = await revert('--yes', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).release).toBe('origin path "/v2"');
    expect(await viewer()).toBe('v2');
  });

  it('--dry-run shows what production would go back to and writes nothing', async () => {
    const run = await revert('--dry-run', '--json');
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ result: 'dry-run', dryRun: true, standing: 'promoted', release: 'origin path "/v1"' });
    expect(out.plan.changes.map((c: { kind: string }) => c.kind)).toEqual(['stage-recorded-config']);
    expect(writes()).toEqual([]);
    expect(await viewer()).toBe('v2');
  });

  it('refuses, with no write, when the previous release is gone from the site bucket (--bucket)', async () => {
    await clients.s3.send(new DeleteObjectCommand({ Bucket: SITE_BUCKET, Key: 'v1/index.html' }));
    emulator.clearRequestLog();
    const run = await revert('--bucket', SITE_BUCKET, '--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`s3://${SITE_BUCKET}/v1/index.html does not exist`);
    expect(writes()).toEqual([]);
  });

  it("checks the previous release's content by default, in the bucket of the record's S3 origin", async () => {
    const dry = await revert('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      `the previous release's content is checked at s3://${SITE_BUCKET}/v1/index.html (the record's S3 origin)`,
    );
    await clients.s3.send(new DeleteObjectCommand({ Bucket: SITE_BUCKET, Key: 'v1/index.html' }));
    emulator.clearRequestLog();
    const run = await revert('--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`s3://${SITE_BUCKET}/v1/index.html does not exist`);
    expect(writes()).toEqual([]);
    expect(await viewer()).toBe('v2');
  });

  it("refuses (exit 3), naming --staging, when the record's staging no longer exists", async () => {
    const read = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: stagingId }));
    await clients.cloudFront.send(
      new UpdateDistributionCommand({
        Id: stagingId,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, Enabled: false },
      }),
    );
    emulator.settle();
    const disabled = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: stagingId }));
    await clients.cloudFront.send(new DeleteDistributionCommand({ Id: stagingId, IfMatch: disabled.ETag }));
    emulator.clearRequestLog();
    const run = await revert('--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`the record's staging ${stagingId} no longer exists; pass --staging <id>`);
    expect(run.stderr).not.toContain('NoSuchDistribution');
    expect(writes()).toEqual([]);
  });

  it.each([
    [['--primary', 'E123'], '--primary: "E123" is not a valid CloudFront distribution id'],
    [['--primary', 'E2QWRUHAPOMQZL'], '--record-bucket is required'],
    [
      ['--primary', 'E2QWRUHAPOMQZL', '--record-bucket', 'Bad_Bucket'],
      '--record-bucket: "Bad_Bucket" is not a valid S3 bucket name',
    ],
    [
      ['--primary', 'E2QWRUHAPOMQZL', '--record-bucket', ARTIFACTS, '--record', 'cfcd-revert/E9OTHER000009/x.json'],
      '--record: "cfcd-revert/E9OTHER000009/x.json" is not a revert record key of primary E2QWRUHAPOMQZL',
    ],
    [
      ['--primary', 'E2QWRUHAPOMQZL', '--record-bucket', ARTIFACTS, '--max-wait-minutes', '0'],
      '--max-wait-minutes must be between 1',
    ],
    [['--primary', 'E2QWRUHAPOMQZL', '--record-bucket', ARTIFACTS], 'stdin is not a terminal'],
  ])('%j exits 2 naming the flag, with no AWS call', async (args, message) => {
    const run = await cfcd('revert', ...args);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(message);
    expect(operations()).toEqual([]);
  });
});

/** util-linux `script` runs cfcd on a pseudo-terminal, as for a person (see cfcd-pty.test.ts); skipped without it. */
const utilLinuxScript = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '');

/** Runs cfcd on a pty; at the question, runs `meanwhile`, then types `answer`. */
function onTerminal(args: string[], answer: string, meanwhile?: () => Promise<void>) {
  return new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
    const child = spawn('script', ['-qefc', [CFCD_NODE, CLI, ...args].map(quote).join(' '), '/dev/null'], {
      env: { ...process.env, ...emulator.env, TERM: 'xterm', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let asked = false;
    child.stdout.on('data', async (d) => {
      screen += d;
      if (asked || !screen.includes('[y/N]')) return;
      asked = true;
      await meanwhile?.();
      child.stdin.write(`${answer}\r`);
    });
    child.stderr.on('data', (d) => {
      screen += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, screen: screen.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replaceAll('\r', '') }),
    );
  });
}

describe.skipIf(!utilLinuxScript)('cfcd revert asks on a terminal', () => {
  const args = () => ['revert', '--primary', site.primaryId, '--record-bucket', ARTIFACTS];

  it('answering no changes nothing (exit 1); yes reverts (exit 0)', async () => {
    const no = await onTerminal(args(), 'n');
    expect(no.code, no.screen).toBe(1);
    expect(no.screen).toMatch(/Put production back on origin path "\/v1"\? \[y\/N\] n/);
    expect(no.screen).toContain('cfcd revert: you answered no; nothing was changed');
    expect(writes()).toEqual([]);

    const yes = await onTerminal(args(), 'y');
    expect(yes.code, yes.screen).toBe(0);
    expect(await viewer()).toBe('v1');
  });

  it('refuses (exit 3), writing nothing, when production is changed between the plan shown and the answer', async () => {
    const run = await onTerminal(args(), 'y', async () => {
      const read = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: site.primaryId }));
      await clients.cloudFront.send(
        new UpdateDistributionCommand({
          Id: site.primaryId,
          IfMatch: read.ETag,
          DistributionConfig: { ...read.DistributionConfig!, Comment: 'changed by hand' },
        }),
      );
      emulator.clearRequestLog();
    });
    expect(run.code, run.screen).toBe(3);
    expect(run.screen).toContain('a newer promotion or a change by hand happened since');
    expect(writes()).toEqual([]);
  });
});
