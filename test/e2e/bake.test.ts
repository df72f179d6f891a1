/**
 * The bake and its revert on the built bundles against the emulator: promote records what it replaces; a release
 * that passes its canary but fails at full traffic (a path-limited failure) is reverted — viewers get the previous
 * release after the invalidation and the job fails with the figures; a healthy bake succeeds with no write; a newer
 * promotion during the bake makes the revert refuse with no write; a re-run after each revert step (the report of
 * the pass that wrote lost) converges on the same end state; bad input writes nothing. An alarm going into ALARM
 * during the bake reverts with the alarm named (alarm-proxy.ts answers DescribeAlarms); one staying OK passes.
 */
import { randomUUID } from 'node:crypto';
import {
  GetDistributionConfigCommand,
  ListInvalidationsCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Invoker, LocalLambda, type LogLine } from '../../local/pipeline/lambda.js';
import { codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { headerTemplate } from '../../local/pipeline/staging-stack.js';
import { SITE_BUCKET, type StagingIds } from '../../local/pipeline/site.js';
import { manifestKey, releaseOriginPath, serializeManifest } from '../../shared/release/manifest.js';
import { type EmulatorProxy, startEmulatorProxy } from './alarm-proxy.js';
import { type Harness, operations, startHarness } from './harness.js';

const ARTIFACTS = 'pipeline-artifacts';
/** The writes a bake may make; a healthy bake and a refused revert make none of them. */
const WRITES = ['UpdateDistribution', 'UpdateDistributionWithStagingConfig', 'CreateInvalidation', 'PutObject'];

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACTS }));
});
afterEach(async () => {
  await h.close();
});

type Report =
  | { ok: true; variables: Record<string, string>; logs: LogLine[] }
  | { ok: false; type: string; message: string; logs: LogLine[] };

/**
 * Runs a job as CodePipeline does: a new job per continuation, with the token. `between` runs before each invocation
 * (viewer traffic, a newer promotion); with `rerunWrites`, an invocation that wrote is run once more from the same
 * token as a new job, and that one's report is the one that counts: a crash after the write lost the first.
 */
async function run(
  fn: string,
  params: Record<string, unknown>,
  opts: { between?: (i: number) => Promise<void>; rerunWrites?: boolean; lambda?: Invoker } = {},
): Promise<Report & { reruns: number }> {
  const lambda = opts.lambda ?? h.lambdas[fn]!;
  const logs: LogLine[] = [];
  let token: string | undefined;
  let reruns = 0;
  for (let i = 0; i < 40; i++) {
    await opts.between?.(i);
    const before = writesAccepted().length;
    let report = await invokeOnce(lambda, fn, params, token, logs);
    // Each run that wrote is followed by another from the same token, until one writes nothing.
    let wrote = writesAccepted().length > before;
    while (opts.rerunWrites && wrote) {
      reruns++;
      const at = writesAccepted().length;
      report = await invokeOnce(lambda, fn, params, token, logs);
      wrote = writesAccepted().length > at;
    }
    if (report.kind === 'failure') return { ok: false, type: report.type, message: report.message, logs, reruns };
    if (!report.continuationToken) return { ok: true, variables: report.outputVariables ?? {}, logs, reruns };
    token = report.continuationToken;
  }
  throw new Error(`${fn} still waiting after 40 invocations`);
}

async function invokeOnce(
  lambda: Invoker,
  fn: string,
  params: Record<string, unknown>,
  token: string | undefined,
  logs: LogLine[],
) {
  const event = codePipelineEvent(randomUUID(), fn, JSON.stringify(params), token);
  const jobId = (event as { 'CodePipeline.job': { id: string } })['CodePipeline.job'].id;
  const invocation = await lambda.invoke(event);
  logs.push(...invocation.logs);
  const reports = h.emulator.jobResults(jobId);
  expect(reports, JSON.stringify(invocation.error)).toHaveLength(1);
  return reports[0]!;
}

const writesAccepted = () => h.emulator.requestLog().filter((r) => WRITES.includes(r.operation) && r.status < 300);

const servedPaths = async (id: string) =>
  (
    await h.clients.cloudFront.send(new GetDistributionConfigCommand({ Id: id }))
  ).DistributionConfig?.Origins?.Items?.map((o) => o.OriginPath);

const invalidations = async (id: string) =>
  (await h.clients.cloudFront.send(new ListInvalidationsCommand({ DistributionId: id }))).InvalidationList?.Items ?? [];

/** Stages `/v2` for review and promotes it with a revert record: what the Release stage leaves before the bake. */
async function promoteV2(
  originPath = '/v2',
  extra: Record<string, unknown> = {},
): Promise<{ outputs: StagingIds; record: string; logs: LogLine[] }> {
  const outputs = await h.deployStaging(headerTemplate(originPath));
  const enabled = await h.job('enable-cd', h.enableCdParams(outputs));
  if (!enabled.ok) throw new Error(enabled.message);
  const promoted = await run('promote', {
    PrimaryDistributionId: h.site.primaryId,
    StagingDistributionId: outputs.StagingDistributionId,
    ContinuousDeploymentPolicyId: outputs.ContinuousDeploymentPolicyId,
    RevertRecordBucket: ARTIFACTS,
    ...extra,
  });
  if (!promoted.ok) throw new Error(promoted.message);
  return { outputs, record: promoted.variables.RevertRecord ?? '', logs: promoted.logs };
}

function bakeParams(outputs: StagingIds, record: string, extra: Record<string, unknown> = {}) {
  return {
    PrimaryDistributionId: h.site.primaryId,
    StagingDistributionId: outputs.StagingDistributionId,
    ContinuousDeploymentPolicyId: outputs.ContinuousDeploymentPolicyId,
    RevertRecordBucket: ARTIFACTS,
    RevertRecord: record,
    BakeMinutes: '0',
    MaxErrorRateIncrease: '5',
    MinRequests: '20',
    StaticResourceBucketName: SITE_BUCKET,
    ...extra,
  };
}

/** Viewers at full traffic: most on the home page, some deeper in the site. */
async function traffic(home = 10, deep = 10) {
  for (let i = 0; i < home; i++) await h.emulator.viewer(h.site.primaryDomain, '/');
  for (let i = 0; i < deep; i++) await h.emulator.viewer(h.site.primaryDomain, `/deep/page-${i}.html`);
}

describe('end to end: promote records what it replaces', () => {
  it('writes the record before the promotion, keyed by primary and promotion, and names it in RevertRecord', async () => {
    h.emulator.clearRequestLog();
    const { outputs, record } = await promoteV2();
    expect(record).toMatch(new RegExp(`^cfcd-revert/${h.site.primaryId}/\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z-\\w+\\.json$`));
    const ops = operations(h.emulator);
    expect(ops.indexOf('PutObject')).toBeGreaterThan(-1);
    expect(ops.indexOf('PutObject')).toBeLessThan(ops.indexOf('UpdateDistributionWithStagingConfig'));
    const text = await (
      await h.clients.s3.send(new GetObjectCommand({ Bucket: ARTIFACTS, Key: record }))
    ).Body?.transformToString();
    const parsed = JSON.parse(text ?? '{}');
    expect(parsed).toMatchObject({
      v: 1,
      primaryId: h.site.primaryId,
      stagingId: outputs.StagingDistributionId,
      replaced: { originPaths: [{ originPath: '/v1' }] },
      promoted: { configHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(parsed.replaced.config.Origins.Items[0].OriginPath).toBe('/v1');
  });

  it('without RevertRecordBucket writes no record and reports no RevertRecord, as before', async () => {
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await h.job('enable-cd', h.enableCdParams(outputs));
    h.emulator.clearRequestLog();
    const promoted = await run('promote', {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: outputs.StagingDistributionId,
      RevertRecordBucket: '',
    });
    expect(promoted.ok).toBe(true);
    if (promoted.ok) expect(promoted.variables.RevertRecord).toBeUndefined();
    expect(operations(h.emulator)).not.toContain('PutObject');
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v2']);
  });

  it('refuses to promote, with no write, when the record cannot be written', async () => {
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await h.job('enable-cd', h.enableCdParams(outputs));
    h.emulator.clearRequestLog();
    const promoted = await run('promote', {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: outputs.StagingDistributionId,
      RevertRecordBucket: 'no-such-artifact-bucket',
    });
    expect(promoted.ok).toBe(false);
    if (promoted.ok) return;
    expect(promoted.type).toBe('JobFailed');
    expect(promoted.message).toContain('could not write the revert record s3://no-such-artifact-bucket/cfcd-revert/');
    expect(promoted.message).toContain('nothing was promoted');
    expect(operations(h.emulator)).not.toContain('UpdateDistributionWithStagingConfig');
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v1']);
  });
});

describe("end to end: promote's prune keeps the revert target", () => {
  const commit = (i: number) => `${String(i).padStart(2, '0')}${'c'.repeat(38)}`;
  const put = (key: string, body: string) =>
    h.clients.s3.send(new PutObjectCommand({ Bucket: SITE_BUCKET, Key: key, Body: body }));

  it('keeps the release folder the record goes back to, however old, and prunes the others beyond KeepReleases', async () => {
    for (let i = 1; i <= 6; i++) {
      await put(`releases/${commit(i)}/index.html`, `<p>site ${commit(i)}</p>`);
      const createdAt = new Date(Date.now() - (20 - i) * 86_400_000).toISOString();
      await put(manifestKey(commit(i)), serializeManifest({ v: 1, commit: commit(i), createdAt, files: [] }));
    }
    // Production serves the oldest release; the newest is promoted over it with a prune keeping 2.
    await promoteV2(releaseOriginPath(commit(1)));
    const { record, logs } = await promoteV2(releaseOriginPath(commit(6)), {
      ReleaseBucket: SITE_BUCKET,
      KeepReleases: '2',
    });
    const text = await (
      await h.clients.s3.send(new GetObjectCommand({ Bucket: ARTIFACTS, Key: record }))
    ).Body?.transformToString();
    expect(JSON.parse(text ?? '{}').replaced.originPaths).toEqual([
      { originId: expect.any(String), originPath: releaseOriginPath(commit(1)), commit: commit(1) },
    ]);
    const line = logs.find((l) => l.event === 'release-prune') as
      | { folders: { folder: string; verdict: string; reason: string }[] }
      | undefined;
    const verdicts = Object.fromEntries((line?.folders ?? []).map((f) => [f.folder, [f.verdict, f.reason]]));
    expect(verdicts[commit(1)]).toEqual(['kept', 'protected']);
    for (const i of [2, 3, 4]) expect(verdicts[commit(i)]?.[0]).toBe('deleted');
    for (const i of [5, 6]) expect(verdicts[commit(i)]?.[0]).toBe('kept');
  });

  /** Six releases, production on the oldest, the newest promoted over it (no prune yet): the record names 1. */
  async function promotedOverOldest() {
    for (let i = 1; i <= 6; i++) {
      await put(`releases/${commit(i)}/index.html`, `<p>site ${commit(i)}</p>`);
      const createdAt = new Date(Date.now() - (20 - i) * 86_400_000).toISOString();
      await put(manifestKey(commit(i)), serializeManifest({ v: 1, commit: commit(i), createdAt, files: [] }));
    }
    await promoteV2(releaseOriginPath(commit(1)));
    return promoteV2(releaseOriginPath(commit(6)));
  }

  const rerun = (outputs: StagingIds, recordBucket: string) =>
    run('promote', {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: outputs.StagingDistributionId,
      ContinuousDeploymentPolicyId: outputs.ContinuousDeploymentPolicyId,
      RevertRecordBucket: recordBucket,
      ReleaseBucket: SITE_BUCKET,
      KeepReleases: '1',
    });

  const folders = async () =>
    [
      ...new Set(
        (
          (await h.clients.s3.send(new ListObjectsV2Command({ Bucket: SITE_BUCKET, Prefix: 'releases/' }))).Contents ??
          []
        ).map((o) => o.Key?.split('/')[1] ?? ''),
      ),
    ].sort();

  it('a re-run (RevertRecord none) with KeepReleases 1 keeps the folder of the newest record it did not write', async () => {
    const { outputs, record } = await promotedOverOldest();
    const again = await rerun(outputs, ARTIFACTS);
    expect(again.ok && again.variables.RevertRecord).toBe('none');
    expect(again.ok && again.variables.Pruned).toBe('deleted 4 release folders, kept 2');
    expect(again.logs.find((l) => l.event === 'prune-protects-revert-target')).toMatchObject({
      record,
      commits: [commit(1)],
    });
    expect(await folders()).toEqual([commit(1), commit(6)]);
  });

  it('a re-run whose record bucket cannot be read skips the prune, deleting nothing; the promotion stands', async () => {
    const { outputs } = await promotedOverOldest();
    const again = await rerun(outputs, 'no-such-artifact-bucket');
    expect(again.ok).toBe(true);
    expect(again.ok && again.variables.Pruned).toMatch(/^skipped: run cfcd prune .* --record-bucket no-such-/);
    expect(again.logs.find((l) => l.event === 'prune-skipped')).toMatchObject({ level: 'WARN' });
    expect(await folders()).toHaveLength(6);
  });
});

describe('end to end: the bake', () => {
  it('reverts a release that passed its canary but fails at full traffic; viewers get the previous one', async () => {
    const { outputs, record } = await promoteV2();
    // Only the deep pages fail: the canary's reviewers looked at the home page.
    h.emulator.setReleaseFailure('/v2', 1, 500, ['/deep/']);
    expect(await h.viewer()).toBe('v2');
    h.emulator.clearRequestLog();
    const before = (await invalidations(h.site.primaryId)).length;

    const bake = await run('bake', bakeParams(outputs, record), { between: () => traffic() });
    expect(bake.ok).toBe(false);
    if (bake.ok) return;
    expect(bake.type).toBe('JobFailed');
    expect(bake.message).toMatch(/^bake: production is back on origin path "\/v1": primary /);
    expect(bake.message).toContain('is Deployed, and its edge caches were invalidated (');
    expect(bake.message).toMatch(
      /5xx error rate [\d.]+% exceeds its rate before the promotion 0% by [\d.]+ percentage point\(s\), more than MaxErrorRateIncrease 5/,
    );
    expect(bake.message).toMatch(/served \d+ request\(s\) in the \d+ minute\(s\) since the bake started/);

    expect(await servedPaths(h.site.primaryId)).toEqual(['/v1']);
    expect(await servedPaths(outputs.StagingDistributionId)).toEqual(['/v1']);
    expect(await h.viewer()).toBe('v1');
    expect((await h.emulator.viewer(h.site.primaryDomain, '/deep/page-1.html')).status).not.toBe(500);
    // The steps in order: staging, promotion back, then the invalidation; the policy is never written.
    const ops = operations(h.emulator).filter((o) => WRITES.includes(o) || o.includes('Policy'));
    expect(ops.filter((o) => o !== 'GetContinuousDeploymentPolicy')).toEqual([
      'UpdateDistribution',
      'UpdateDistributionWithStagingConfig',
      'CreateInvalidation',
    ]);
    expect((await invalidations(h.site.primaryId)).length).toBe(before + 1);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);
    expect(await h.attachedPolicy()).toBe(outputs.ContinuousDeploymentPolicyId);
  });

  it('resumes to the same end state when the report of each revert step is lost and the step runs again', async () => {
    const { outputs, record } = await promoteV2();
    h.emulator.setReleaseFailure('/v2', 1, 500, ['/deep/']);
    h.emulator.clearRequestLog();
    const before = (await invalidations(h.site.primaryId)).length;

    const bake = await run('bake', bakeParams(outputs, record), { between: () => traffic(), rerunWrites: true });
    expect(bake.ok).toBe(false);
    if (bake.ok) return;
    expect(bake.reruns).toBe(3);
    expect(bake.message).toMatch(/^bake: production is back on origin path "\/v1"/);
    // The pass that judged was lost; a later one says why from the figures since the promotion.
    expect(bake.message).toMatch(/Reverted because .*primary \w+ served \d+ request\(s\) .* 5xx error rate [1-9]/);
    const accepted = writesAccepted().map((r) => r.operation);
    expect(accepted).toEqual(['UpdateDistribution', 'UpdateDistributionWithStagingConfig', 'CreateInvalidation']);
    expect((await invalidations(h.site.primaryId)).length).toBe(before + 1);
    expect(await h.viewer()).toBe('v1');

    // A repeated delivery of the final pass fails the same way, writing nothing.
    h.emulator.clearRequestLog();
    const again = await run('bake', bakeParams(outputs, record), { between: () => traffic() });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.message).toMatch(/^bake: production is back on origin path "\/v1"/);
    expect(writesAccepted()).toEqual([]);
  });

  it('succeeds with no write when production stays healthy', async () => {
    const { outputs, record } = await promoteV2();
    h.emulator.clearRequestLog();
    const bake = await run('bake', bakeParams(outputs, record), { between: () => traffic() });
    expect(bake.ok, bake.ok ? '' : bake.message).toBe(true);
    if (!bake.ok) return;
    expect(bake.variables.BakeResult).toBe('healthy');
    expect(writesAccepted()).toEqual([]);
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v2']);
    expect(bake.logs.find((l) => l.event === 'job-succeeded')?.summary).toMatch(
      /^bake passed: production stayed healthy for 0 minute\(s\) \(primary \w+ served \d+ request/,
    );
  });

  it('with RevertRecord none (promote re-run after it promoted), finds the record production carries and bakes it', async () => {
    const { outputs, record } = await promoteV2();
    // promote run again: the primary already carries the staging config, so it promotes nothing and says none.
    const again = await run('promote', {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: outputs.StagingDistributionId,
      ContinuousDeploymentPolicyId: outputs.ContinuousDeploymentPolicyId,
      RevertRecordBucket: ARTIFACTS,
    });
    expect(again.ok && again.variables.RevertRecord).toBe('none');
    h.emulator.setReleaseFailure('/v2', 1, 500, ['/deep/']);
    const bake = await run('bake', bakeParams(outputs, 'none'), { between: () => traffic() });
    expect(bake.ok).toBe(false);
    if (bake.ok) return;
    expect(bake.message).toContain(record);
    expect(bake.message).toMatch(/production is back on /);
    expect(bake.logs.find((l) => l.event === 'record-lookup')).toMatchObject({ found: record, standing: 'promoted' });
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v1']);
  });

  it('with RevertRecord none and no record production carries, bakes nothing and writes nothing', async () => {
    const { outputs } = await promoteV2();
    // A hand change after the promotion: the newest record no longer names what production carries.
    const read = await h.clients.cloudFront.send(new GetDistributionConfigCommand({ Id: h.site.primaryId }));
    await h.clients.cloudFront.send(
      new UpdateDistributionCommand({
        Id: h.site.primaryId,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, Comment: 'changed by hand' },
      }),
    );
    h.emulator.clearRequestLog();
    const bake = await run('bake', bakeParams(outputs, 'none'));
    expect(bake.ok && bake.variables.BakeResult).toBe('skipped');
    expect(writesAccepted()).toEqual([]);
  });

  it('refuses to revert, with no write, over a newer promotion made during the bake', async () => {
    const { outputs, record } = await promoteV2();
    h.emulator.setReleaseFailure('/v2', 1, 500, ['/deep/']);
    h.emulator.setReleaseFailure('/v3', 1, 500, ['/deep/']);
    let writesBefore = 0;
    const bake = await run('bake', bakeParams(outputs, record, { MinRequests: '1000' }), {
      between: async (i) => {
        if (i === 1) {
          // While the bake waits for traffic, the next release is promoted by hand.
          await promoteV2('/v3');
          writesBefore = writesAccepted().length;
        }
        await traffic();
      },
    });
    expect(bake.ok).toBe(false);
    if (bake.ok) return;
    expect(bake.type).toBe('JobFailed');
    expect(bake.message).toContain(`primary ${h.site.primaryId} no longer carries the promotion recorded in`);
    expect(bake.message).toContain('A revert never crosses it: nothing was written.');
    expect(writesAccepted().length).toBe(writesBefore);
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v3']);
  });

  it('refuses to revert, with no write, when the previous release is gone from the bucket', async () => {
    const { outputs, record } = await promoteV2();
    h.emulator.setReleaseFailure('/v2', 1, 500, ['/deep/']);
    h.emulator.clearRequestLog();
    // Retention failed: the previous release's folder was deleted since the promotion.
    await h.clients.s3.send(new DeleteObjectCommand({ Bucket: SITE_BUCKET, Key: 'v1/index.html' }));
    h.emulator.clearRequestLog();
    const bake = await run('bake', bakeParams(outputs, record), { between: () => traffic() });
    expect(bake.ok).toBe(false);
    if (bake.ok) return;
    expect(bake.type).toBe('JobFailed');
    expect(bake.message).toContain(
      `the previous release's content is gone: s3://${SITE_BUCKET}/v1/index.html does not exist`,
    );
    expect(writesAccepted()).toEqual([]);
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v2']);
  });

  it('fails naming the record, with no write, when it does not parse', async () => {
    const { outputs, record } = await promoteV2();
    await h.clients.s3.send(new PutObjectCommand({ Bucket: ARTIFACTS, Key: record, Body: '{"v":1}' }));
    h.emulator.setReleaseFailure('/v2', 1, 500, ['/deep/']);
    h.emulator.clearRequestLog();
    const bake = await run('bake', bakeParams(outputs, record), { between: () => traffic() });
    expect(bake.ok).toBe(false);
    if (bake.ok) return;
    expect(bake.type).toBe('JobFailed');
    expect(bake.message).toContain(`revert record s3://${ARTIFACTS}/${record} does not parse`);
    expect(writesAccepted()).toEqual([]);
  });

  it.each([
    [{ BakeMinutes: '-1' }, 'UserParameters.BakeMinutes: must be between 0 and 240, got -1'],
    [{ BakeMinutes: '100000' }, 'UserParameters.BakeMinutes: must be between 0 and 240'],
    [{ MaxErrorRateIncrease: '150' }, 'UserParameters.MaxErrorRateIncrease: must be between 0 and 100'],
    [
      { MaxErrorRateIncrease: '' },
      'UserParameters.MaxErrorRateIncrease: or MaxPrimary5xxErrorRate or AlarmNames is required',
    ],
    [
      { AlarmNames: 'arn:aws:cloudwatch:eu-west-1:alarm:checkout-errors' },
      'UserParameters.AlarmNames: "arn:aws:cloudwatch:eu-west-1:alarm:checkout-errors" is not a CloudWatch alarm ARN',
    ],
    [{ MinRequests: '0' }, 'UserParameters.MinRequests: must be between 1'],
    [{ RevertRecord: 'cfcd-revert/E9OTHER000009/x.json' }, 'UserParameters.RevertRecord: "cfcd-revert/E9OTHER'],
    [{ InconclusiveBake: 'maybe' }, 'UserParameters.InconclusiveBake: must be one of succeed, fail'],
  ])('refuses %j as a configuration error, with no AWS call', async (extra, message) => {
    const ids = { StagingDistributionId: 'E2STAGING00002', ContinuousDeploymentPolicyId: '' } as StagingIds;
    const record = `cfcd-revert/${h.site.primaryId}/2026-12-07T10-00-00-000Z-E1.json`;
    h.emulator.clearRequestLog();
    const bake = await run('bake', bakeParams(ids, record, extra));
    expect(bake.ok).toBe(false);
    if (bake.ok) return;
    expect(bake.type).toBe('ConfigurationError');
    expect(bake.message).toContain(message);
    expect(operations(h.emulator)).toEqual(['PutJobFailureResult']);
  });
});

describe('end to end: the bake judges alarms', () => {
  const ALARM = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-errors';
  let proxy: EmulatorProxy;
  let bake: LocalLambda;
  beforeEach(async () => {
    proxy = await startEmulatorProxy(h.emulator.url);
    bake = await LocalLambda.start('bake', { ...h.emulator.env, AWS_ENDPOINT_URL_CLOUDWATCH: proxy.url });
  });
  afterEach(async () => {
    await bake.stop();
    await proxy.close();
  });

  it('reverts when an alarm goes into ALARM during the bake, the failure naming the alarm', async () => {
    const { outputs, record } = await promoteV2();
    proxy.alarms.set('checkout-errors', 'OK');
    h.emulator.clearRequestLog();
    // MinRequests out of reach: the rate alone would keep baking; the alarm is what fails production.
    const params = bakeParams(outputs, record, { MinRequests: '1000', AlarmNames: ALARM });
    const result = await run('bake', params, {
      lambda: bake,
      between: async (i) => {
        if (i === 2) proxy.alarms.set('checkout-errors', 'ALARM');
        await traffic();
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.type).toBe('JobFailed');
    expect(result.message).toMatch(/^bake: production is back on origin path "\/v1": primary /);
    expect(result.message).toMatch(
      /Reverted because alarm checkout-errors \(eu-west-1\) is in ALARM \(primary \w+ served \d+ request\(s\)/,
    );
    // The passes before the alarm rang read it OK and kept baking, writing nothing.
    const reads = result.logs.filter((l) => l.event === 'alarms-read') as unknown as { alarms: { state: string }[] }[];
    expect(reads.map((l) => l.alarms.map((a) => a.state))).toEqual([['OK'], ['OK'], ['ALARM']]);
    expect(new Set(proxy.describeAlarmsRegions)).toEqual(new Set(['eu-west-1']));
    expect(writesAccepted().map((r) => r.operation)).toEqual([
      'UpdateDistribution',
      'UpdateDistributionWithStagingConfig',
      'CreateInvalidation',
    ]);
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v1']);
    expect(await h.viewer()).toBe('v1');
  });

  it('succeeds with no write when production stays healthy and the alarm stays OK', async () => {
    const { outputs, record } = await promoteV2();
    proxy.alarms.set('checkout-errors', 'OK');
    h.emulator.clearRequestLog();
    const result = await run('bake', bakeParams(outputs, record, { AlarmNames: ALARM }), {
      lambda: bake,
      between: () => traffic(),
    });
    expect(result.ok, result.ok ? '' : result.message).toBe(true);
    if (!result.ok) return;
    expect(result.variables.BakeResult).toBe('healthy');
    expect(writesAccepted()).toEqual([]);
    expect(await servedPaths(h.site.primaryId)).toEqual(['/v2']);
    expect(proxy.describeAlarmsRegions.length).toBeGreaterThan(0);
    expect(result.logs.find((l) => l.event === 'job-succeeded')?.summary).toMatch(
      /^bake passed: production stayed healthy .*; no alarm in ALARM \(checkout-errors \(eu-west-1\)\); nothing was written$/,
    );
  });
});
