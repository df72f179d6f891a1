/**
 * `cfcd status --record-bucket` shows the revert target (issue 26): the built cfcd against the emulator, after a
 * promotion made by `cfcd promote --record-bucket`. It says what a revert would go back to while the primary carries
 * the recorded promotion, that a revert is under way (one stopped by Ctrl-C half-way), that it is done, or that
 * production changed since — reading only.
 */
import { GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { type LocalSite, SITE_BUCKET } from '../../local/pipeline/site.js';
import { runCfcd } from './cfcd-process.js';
import { cfcdWorld } from './cfcd-world.js';

const ARTIFACTS = 'pipeline-artifacts';

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;

const cfcd = (...args: string[]) => runCfcd(args, { env: emulator.env });
const readOnly = () => emulator.requestLog().every((r) => /^(Get|List|Head|Describe)/.test(r.operation));
const status = async () => {
  const run = await cfcd('status', '--primary', site.primaryId, '--record-bucket', ARTIFACTS, '--json');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};

beforeEach(async () => {
  ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(27));
  await clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACTS }));
  const ids = ['--primary', site.primaryId, '--staging', stagingId];
  const enabled = await cfcd('enable-cd', ...ids, '--policy', policyId, '--bucket', SITE_BUCKET, '--yes');
  expect(enabled.code, enabled.stderr).toBe(0);
  const promoted = await cfcd('promote', ...ids, '--record-bucket', ARTIFACTS, '--yes');
  expect(promoted.code, promoted.stderr).toBe(0);
  emulator.clearRequestLog();
});
afterEach(async () => {
  await emulator.close();
});

describe('cfcd status --record-bucket: the revert target', () => {
  it('says what a revert would go back to and what it would change, reading only', async () => {
    const run = await cfcd('status', '--primary', site.primaryId, '--record-bucket', ARTIFACTS);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Revert'));
    expect(lines[at]).toBe(
      `Revert   possible: primary ${site.primaryId} still carries the promotion this record names: a revert would ` +
        'go back to origin path "/v1"',
    );
    expect(lines[at + 1]).toMatch(
      new RegExp(`^  record s3://${ARTIFACTS}/cfcd-revert/${site.primaryId}/[\\w-]+\\.json \\(recorded \\d{4}-`),
    );
    expect(lines[at + 2]).toBe('           - origin site-bucket: origin path "/v2" → "/v1"');
    expect(readOnly()).toBe(true);
    expect(emulator.requestLog().map((r) => r.operation)).toContain('ListObjectsV2');

    const report = await status();
    expect(report.revert).toMatchObject({
      recordBucket: ARTIFACTS,
      target: {
        standing: 'promoted',
        underWay: false,
        release: 'origin path "/v1"',
        changes: ['origin site-bucket: origin path "/v2" → "/v1"'],
      },
    });
  });

  it('says a revert is under way once one stopped half-way, and done once it finished', async () => {
    let pressed = false;
    const stopped = await runCfcd(['revert', '--primary', site.primaryId, '--record-bucket', ARTIFACTS, '--yes'], {
      env: emulator.env,
      onStderr: (stderr, child) => {
        if (!pressed && stderr.includes('waiting for staging')) {
          pressed = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    const report = await status();
    expect(report.revert.target).toMatchObject({ standing: 'promoted', underWay: true });
    expect(report.revert.summary).toContain('a revert to origin path "/v1" is under way');
    const text = await cfcd('status', '--primary', site.primaryId, '--record-bucket', ARTIFACTS);
    expect(text.stdout).toMatch(/^Revert {3}under way: staging \w+ carries the recorded config/m);

    // The command Ctrl-C printed carries on to the end.
    const carryOn = /To carry on: cfcd (.+)$/m.exec(stopped.stderr)?.[1];
    expect(carryOn).toContain('--record cfcd-revert/');
    const resumed = await cfcd(...(carryOn ?? '').split(' '));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await emulator.viewer(site.primaryDomain, '/')).body).toContain('site v1');
    expect((await status()).revert.target).toMatchObject({ standing: 'reverted', changes: [] });
  });

  it('says production changed since the newest record after a change by hand, and that no revert is safe', async () => {
    const read = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: site.primaryId }));
    const config = read.DistributionConfig!;
    await clients.cloudFront.send(
      new UpdateDistributionCommand({
        Id: site.primaryId,
        IfMatch: read.ETag,
        DistributionConfig: { ...config, Comment: 'changed by hand' },
      }),
    );
    emulator.clearRequestLog();
    const run = await cfcd('status', '--primary', site.primaryId, '--record-bucket', ARTIFACTS);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'Revert   none safe: production changed since the promotion this record names: a newer promotion or a hand ' +
        'change; nothing to revert to safely',
    );
    expect(readOnly()).toBe(true);
  });

  it('says there is no record in an empty bucket, and leaves the revert out (no S3 call) without --record-bucket', async () => {
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'empty-artifacts' }));
    const empty = await cfcd('status', '--primary', site.primaryId, '--record-bucket', 'empty-artifacts', '--json');
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout).revert).toEqual({
      recordBucket: 'empty-artifacts',
      target: null,
      summary: `no revert record in s3://empty-artifacts/cfcd-revert/${site.primaryId}/: nothing to revert to`,
    });

    emulator.clearRequestLog();
    const without = await cfcd('status', '--primary', site.primaryId, '--json');
    expect(without.code, without.stderr).toBe(0);
    expect(JSON.parse(without.stdout).revert).toBeUndefined();
    expect(emulator.requestLog().filter((r) => /Object/.test(r.operation))).toEqual([]);
  });

  it('warns, and still reports, when the records cannot be read', async () => {
    const report = JSON.parse(
      (await cfcd('status', '--primary', site.primaryId, '--record-bucket', 'no-such-bucket', '--json')).stdout,
    );
    expect(report.revert).toMatchObject({ target: null, summary: 'not known (the records could not be read)' });
    expect(report.warnings.join('\n')).toContain(
      `could not read the revert records in s3://no-such-bucket/cfcd-revert/${site.primaryId}/`,
    );
  });
});
