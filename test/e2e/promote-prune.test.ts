/**
 * promote's prune of old release folders (ReleaseBucket, KeepReleases), on the built bundle against the emulator:
 * after a complete promotion it deletes the old complete releases nobody serves, keeps what the primary and the
 * staging serve and the newest KeepReleases, never touches anything outside releases/, and a failed prune leaves the
 * promotion succeeded with the way to finish by hand in its report.
 */
import { randomUUID } from 'node:crypto';
import { GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../local/pipeline/lambda.js';
import { codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { headerTemplate } from '../../local/pipeline/staging-stack.js';
import { SITE_BUCKET, type StagingIds } from '../../local/pipeline/site.js';
import { manifestKey, releaseOriginPath, serializeManifest } from '../../shared/release/manifest.js';
import { type Harness, operations, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** commit(1) is the oldest release, commit(10) the newest. */
const commit = (i: number) => `${String(i).padStart(2, '0')}${'c'.repeat(38)}`;
/** The S3 calls a prune makes; nothing else in these tests calls them. */
const PRUNE_CALLS = ['ListObjectsV2', 'GetObject', 'DeleteObjects'];

async function put(key: string, body: string) {
  await h.clients.s3.send(new PutObjectCommand({ Bucket: SITE_BUCKET, Key: key, Body: body }));
}

/** Complete releases `from`..`to`, two files and the manifest each, release i created (20 - i) days ago. */
async function seedReleases(from: number, to: number) {
  for (let i = from; i <= to; i++) {
    const c = commit(i);
    await put(`releases/${c}/index.html`, `<p>site ${c}</p>`);
    await put(`releases/${c}/assets/app.js`, `console.log(${i})`);
    const createdAt = new Date(Date.now() - (20 - i) * 86_400_000).toISOString();
    await put(manifestKey(c), serializeManifest({ v: 1, commit: c, createdAt, files: [] }));
  }
}

async function keys(): Promise<string[]> {
  const out = await h.clients.s3.send(new ListObjectsV2Command({ Bucket: SITE_BUCKET }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

const releaseFolders = async () =>
  [...new Set((await keys()).filter((k) => k.startsWith('releases/')).map((k) => k.split('/')[1]))].sort();
const outsideReleases = async () => (await keys()).filter((k) => !k.startsWith('releases/'));

/** The staging serving release `i`, enabled for review: what the Release stage leaves before the approval. */
async function stageRelease(i: number): Promise<StagingIds> {
  const outputs = await h.deployStaging(headerTemplate(releaseOriginPath(commit(i))));
  const enabled = await h.job('enable-cd', h.enableCdParams(outputs));
  if (!enabled.ok) throw new Error(enabled.message);
  return outputs;
}

function promoteParams(outputs: StagingIds, extra: Record<string, unknown> = {}) {
  return {
    PrimaryDistributionId: h.site.primaryId,
    StagingDistributionId: outputs.StagingDistributionId,
    ContinuousDeploymentPolicyId: outputs.ContinuousDeploymentPolicyId,
    ...extra,
  };
}

/**
 * Runs a promote job as CodePipeline does (a new job per continuation, with the token) and keeps the event of its
 * last invocation, so that a test can deliver it again.
 */
async function promote(params: Record<string, unknown>) {
  const logs: LogLine[] = [];
  let token: string | undefined;
  for (let attempt = 1; attempt <= 50; attempt++) {
    const event = codePipelineEvent(randomUUID(), 'promote', JSON.stringify(params), token);
    const jobId = (event as { 'CodePipeline.job': { id: string } })['CodePipeline.job'].id;
    const invocation = await h.lambdas.promote!.invoke(event);
    logs.push(...invocation.logs);
    const reports = h.emulator.jobResults(jobId);
    expect(reports, JSON.stringify(invocation.error)).toHaveLength(1);
    const [report] = reports;
    if (report?.kind === 'failure') return { ok: false as const, type: report.type, message: report.message, logs };
    if (!report?.continuationToken)
      return { ok: true as const, variables: report?.outputVariables ?? {}, summary: summaryOf(logs), logs, event };
    token = report.continuationToken;
  }
  throw new Error('promote still waiting after 50 invocations');
}

const summaryOf = (logs: LogLine[]) => String(logs.filter((l) => l.event === 'job-succeeded').at(-1)?.summary ?? '');
const served = async (id: string) =>
  (
    await h.clients.cloudFront.send(new GetDistributionConfigCommand({ Id: id }))
  ).DistributionConfig?.Origins?.Items?.map((o) => o.OriginPath);

describe('end to end: promote prunes old release folders once the promotion is complete', () => {
  it('deletes the old releases nobody serves, keeps the served one and the newest KeepReleases, and not v1/', async () => {
    await seedReleases(1, 8);
    const outputs = await stageRelease(2);
    const before = await outsideReleases();
    expect(before).toContain('v1/index.html');
    h.emulator.clearRequestLog();

    const run = await promote(promoteParams(outputs, { ReleaseBucket: SITE_BUCKET, KeepReleases: '3' }));
    expect(run.ok, run.ok ? '' : run.message).toBe(true);
    if (!run.ok) return;
    expect(await served(h.site.primaryId)).toEqual([releaseOriginPath(commit(2))]);
    expect(run.variables.Pruned).toBe('deleted 4 release folders, kept 4');
    expect(run.summary).toContain(`Pruned s3://${SITE_BUCKET}/releases/: deleted 4 release folders, kept 4.`);
    expect(await releaseFolders()).toEqual([2, 6, 7, 8].map(commit));
    expect(await outsideReleases()).toEqual(before);

    // Only after the promotion, its propagation and its invalidation; and every deletion inside releases/.
    const ops = operations(h.emulator);
    const firstPruneCall = ops.findIndex((o) => PRUNE_CALLS.includes(o));
    expect(ops.lastIndexOf('UpdateDistributionWithStagingConfig')).toBeLessThan(firstPruneCall);
    expect(ops.lastIndexOf('CreateInvalidation')).toBeLessThan(firstPruneCall);
    expect(ops.filter((o) => o === 'DeleteObjects')).toHaveLength(4);

    // One log line with every folder, what became of it and why.
    const line = run.logs.find((l) => l.event === 'release-prune') as
      | { folders: { folder: string; verdict: string; reason: string }[] }
      | undefined;
    const verdicts = Object.fromEntries((line?.folders ?? []).map((f) => [f.folder, [f.verdict, f.reason]]));
    expect(Object.keys(verdicts).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map(commit));
    expect(verdicts[commit(1)]).toEqual(['deleted', expect.stringMatching(/^older than the newest 3 releases/)]);
    expect(verdicts[commit(6)]).toEqual(['kept', expect.stringMatching(/^among the newest 3 releases/)]);
    const [verdict, reason] = verdicts[commit(2)] ?? [];
    expect(verdict).toBe('kept');
    expect(reason).toContain(`in use by primary ${h.site.primaryId}`);
    expect(reason).toContain(`staging ${outputs.StagingDistributionId}`);
  });

  it('a repeated final invocation prunes again from the live state: what the primary and staging serve now', async () => {
    await seedReleases(1, 8);
    const outputs = await stageRelease(2);
    const run = await promote(promoteParams(outputs, { ReleaseBucket: SITE_BUCKET, KeepReleases: '3' }));
    if (!run.ok) throw new Error(run.message);
    expect(await releaseFolders()).toEqual([2, 6, 7, 8].map(commit));

    // The next execution ships two releases and its Deploy stage points the staging at release 6, then Lambda
    // delivers the first execution's final invocation once more.
    await seedReleases(9, 10);
    await h.deployStaging(headerTemplate(releaseOriginPath(commit(6))));
    const again = await h.lambdas.promote!.invoke(run.event);
    const line = again.logs.find((l) => l.event === 'release-prune') as
      | { deleted: number; folders: { folder: string; verdict: string; reason: string }[] }
      | undefined;
    expect(line?.deleted).toBe(1);
    expect(await releaseFolders()).toEqual([2, 6, 8, 9, 10].map(commit));
    const reasons = Object.fromEntries((line?.folders ?? []).map((f) => [f.folder, f.reason]));
    expect(reasons[commit(2)]).toMatch(new RegExp(`^in use by primary ${h.site.primaryId} origin`));
    expect(reasons[commit(6)]).toMatch(new RegExp(`^in use by staging ${outputs.StagingDistributionId} origin`));
    expect(await served(h.site.primaryId)).toEqual([releaseOriginPath(commit(2))]);
  });

  it('without ReleaseBucket (or with it empty) makes no S3 call and deletes nothing', async () => {
    await seedReleases(1, 8);
    const outputs = await stageRelease(2);
    const before = await keys();
    h.emulator.clearRequestLog();

    const run = await promote(promoteParams(outputs, { ReleaseBucket: '', KeepReleases: '' }));
    expect(run.ok, run.ok ? '' : run.message).toBe(true);
    if (!run.ok) return;
    expect(run.variables.Pruned).toBeUndefined();
    expect(run.summary).not.toMatch(/prune/i);
    expect(operations(h.emulator).filter((o) => PRUNE_CALLS.includes(o))).toEqual([]);
    expect(await keys()).toEqual(before);
  });

  it('a DeleteObjects failure leaves the promotion succeeded, with the warning and the cfcd prune command', async () => {
    await seedReleases(1, 8);
    const outputs = await stageRelease(2);
    const before = await keys();
    // More failures than the S3 client's five attempts: the prune's first deletion fails for good.
    h.emulator.injectFault({ operation: 'DeleteObjects', error: 'InternalError', times: 6 });

    const run = await promote(promoteParams(outputs, { ReleaseBucket: SITE_BUCKET, KeepReleases: '3' }));
    expect(run.ok, run.ok ? '' : run.message).toBe(true);
    if (!run.ok) return;
    const command = `cfcd prune --bucket ${SITE_BUCKET} --primary ${h.site.primaryId} --staging ${outputs.StagingDistributionId}`;
    expect(run.variables.Pruned).toBe(`failed: run ${command}`);
    expect(run.summary).toContain(`Pruning old release folders of s3://${SITE_BUCKET}/releases/ failed (`);
    expect(run.summary).toContain(`the promotion stands. Old folders may remain: run ${command}.`);
    expect(run.variables.PromotedFrom).toBe(outputs.StagingDistributionId);
    expect(await served(h.site.primaryId)).toEqual([releaseOriginPath(commit(2))]);

    const warning = run.logs.find((l) => l.event === 'prune-failed');
    expect(warning).toMatchObject({ level: 'WARN', bucket: SITE_BUCKET, error: { message: expect.any(String) } });
    expect(JSON.stringify(warning)).toMatch(/DeleteObjects/);
    expect(await keys()).toEqual(before);
  });

  it.each([
    [{ ReleaseBucket: SITE_BUCKET, KeepReleases: '0' }, 'KeepReleases: must be between 1 and 100, got 0'],
    [{ KeepReleases: '5' }, 'KeepReleases: is given without ReleaseBucket'],
    [{ ReleaseBucket: 'Site_Assets' }, 'ReleaseBucket: "Site_Assets" is not a valid S3 bucket name'],
  ])('refuses %j as a configuration error naming the field, before any AWS call', async (extra, problem) => {
    await seedReleases(1, 8);
    const outputs = await stageRelease(2);
    const before = await keys();
    h.emulator.clearRequestLog();

    const run = await promote(promoteParams(outputs, extra));
    expect(run).toMatchObject({ ok: false, type: 'ConfigurationError' });
    const expected = `promote: UserParameters.${problem}`;
    expect(run.ok ? '' : run.message.slice(0, expected.length)).toBe(expected);
    expect(operations(h.emulator)).toEqual(['PutJobFailureResult']);
    expect(await served(h.site.primaryId)).toEqual(['/v1']);
    expect(await keys()).toEqual(before);
  });
});
