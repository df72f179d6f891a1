/**
 * At-least-once delivery on the built bundles against the emulator (whose CodePipeline refuses a second report of a
 * job, as the real one does): the same job delivered twice — after it completed, or to two Lambda workers at the same
 * moment — makes each write once, and no delivery rejects (which would earn yet another delivery from Lambda).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GetContinuousDeploymentPolicyCommand,
  UpdateContinuousDeploymentPolicyCommand,
} from '@aws-sdk/client-cloudfront';
import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { LocalLambda } from '../../local/pipeline/lambda.js';
import { codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { SITE_BUCKET } from '../../local/pipeline/site.js';
import { type Harness, operations, startHarness } from './harness.js';

let h: Harness | undefined;
const extra: LocalLambda[] = [];
afterEach(async () => {
  await Promise.all(extra.splice(0).map((l) => l.stop()));
  await h?.close();
  h = undefined;
});

/** Writes the emulator accepted (2xx) for an operation. */
const accepted = (harness: Harness, operation: string) =>
  harness.emulator.requestLog().filter((r) => r.operation === operation && r.status < 300).length;

/**
 * Delivers one job event twice: to the same worker in sequence, or to two workers at once. `continuationToken`
 * makes it the job CodePipeline starts for a continuation (a new job id, the token of the one reported before).
 */
async function deliverTwice(
  harness: Harness,
  fn: string,
  params: unknown,
  concurrently: boolean,
  continuationToken?: string,
) {
  const jobId = randomUUID();
  const event = codePipelineEvent(jobId, fn, JSON.stringify(params), continuationToken);
  const first = harness.lambdas[fn] as LocalLambda;
  if (!concurrently) return { jobId, results: [await first.invoke(event), await first.invoke(event)] };
  const second = extra.find((l) => l.name === fn) ?? (await LocalLambda.start(fn, harness.emulator.env));
  if (!extra.includes(second)) extra.push(second);
  return { jobId, results: await Promise.all([first.invoke(event), second.invoke(event)]) };
}

/** The continuation token of the one report the emulator's CodePipeline accepted for `jobId`. */
function reportedToken(harness: Harness, jobId: string): string {
  const reports = harness.emulator.jobResults(jobId);
  expect(reports).toEqual([{ kind: 'success', continuationToken: expect.any(String) }]);
  const [report] = reports;
  return report?.kind === 'success' ? (report.continuationToken as string) : '';
}

async function bucketStatements(harness: Harness): Promise<unknown[]> {
  const out = await harness.clients.s3.send(new GetBucketPolicyCommand({ Bucket: SITE_BUCKET }));
  return JSON.parse(out.Policy ?? '{"Statement":[]}').Statement;
}

const logEvents = (results: { logs: { event?: unknown; level?: unknown }[] }[]) => results.flatMap((r) => r.logs);

/** A distribution's invalidations as the emulator holds them, oldest first. */
const invalidationsOf = (harness: Harness, distributionId: string) =>
  harness.emulator.state().distributions.find((d) => d.id === distributionId)?.invalidations;

/** Invalidations complete only when the test settles them, so a test sees each one InProgress. */
const HELD = 3_600_000;

/** Disables the policy, as a stack that created it disabled, or one a promotion disabled, leaves it. */
async function disablePolicy(harness: Harness, policyId: string): Promise<void> {
  const { cloudFront } = harness.clients;
  const current = await cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  const config = current.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
  if (!config) throw new Error(`policy ${policyId} has no config`);
  await cloudFront.send(
    new UpdateContinuousDeploymentPolicyCommand({
      Id: policyId,
      IfMatch: current.ETag,
      ContinuousDeploymentPolicyConfig: { ...config, Enabled: false },
    }),
  );
}

/** Operations that are not reads: what a delivery wrote, or tried to. */
const writes = (harness: Harness) => operations(harness.emulator).filter((o) => !/^(Get|List|Head)/.test(o));

describe.each([
  ['one after the other', false],
  ['at the same moment', true],
])('end to end: one job delivered twice, %s', (_, concurrently) => {
  it('enable-CD grants, invalidates the staging, re-enables, attaches and reports once; both deliveries resolve', async () => {
    h = await startHarness({ propagationMs: 20 });
    h.emulator.setInvalidationMs(HELD);
    const outputs = await h.deployStaging();
    // The policy starts disabled: enable-CD re-enables it before routing, once, whichever delivery gets there.
    await disablePolicy(h, outputs.ContinuousDeploymentPolicyId);
    h.emulator.settle();
    h.emulator.clearRequestLog();
    const statementsBefore = await bucketStatements(h);
    const params = h.enableCdParams(outputs);
    const first = await deliverTwice(h, 'enable-cd', params, concurrently);
    expect(first.results.map((r) => r.ok)).toEqual([true, true]);
    // S3 has no ETag: two deliveries that read before either wrote both write, but the same merged document.
    const after = await bucketStatements(h);
    expect(after).toEqual(expect.arrayContaining(statementsBefore));
    expect(after).toHaveLength(statementsBefore.length + 1);
    expect(after).toContainEqual(
      expect.objectContaining({ Sid: `CloudFrontContinuousDeploymentRead${h.site.primaryId}` }),
    );
    // Two CreateInvalidation calls with the same CallerReference make one invalidation (CloudFront returns the first).
    const staging = invalidationsOf(h, outputs.StagingDistributionId);
    expect(staging).toEqual([expect.objectContaining({ paths: ['/*'], status: 'InProgress' })]);
    expect(invalidationsOf(h, h.site.primaryId)).toEqual([]);
    // No viewer is routed to the staging before its invalidation completed: no enable, no attach, not even tried.
    expect(operations(h.emulator)).not.toContain('UpdateContinuousDeploymentPolicy');
    expect(operations(h.emulator)).not.toContain('UpdateDistribution');
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);

    // The continuation (delivered twice too) routes viewers to the staging once the invalidation is Completed; a
    // duplicate delivered after the first one finished may already have done it: either way each write is made once.
    h.emulator.settle();
    const second = await deliverTwice(h, 'enable-cd', params, concurrently, reportedToken(h, first.jobId));
    expect(second.results.map((r) => r.ok)).toEqual([true, true]);
    expect(accepted(h, 'UpdateContinuousDeploymentPolicy')).toBe(1);
    expect(accepted(h, 'UpdateDistribution')).toBe(1);
    expect(invalidationsOf(h, outputs.StagingDistributionId)).toEqual(
      staging?.map((i) => ({ ...i, status: 'Completed' })),
    );
    expect(await bucketStatements(h)).toEqual(after);
    for (const { results } of [first, second]) {
      expect(logEvents(results).filter((l) => l.event === 'job-already-reported')).toEqual([
        expect.objectContaining({ level: 'WARN' }),
      ]);
      expect(logEvents(results).some((l) => l.level === 'ERROR')).toBe(false);
    }
    expect(await h.attachedPolicy()).toBe(outputs.ContinuousDeploymentPolicyId);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(true);
  });

  it('promote promotes once', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    const params = { PrimaryDistributionId: h.site.primaryId, StagingDistributionId: outputs.StagingDistributionId };
    const { results } = await deliverTwice(h, 'promote', params, concurrently);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(accepted(h, 'UpdateDistributionWithStagingConfig')).toBe(1);
    expect(logEvents(results).some((l) => l.level === 'ERROR')).toBe(false);
    expect(await h.viewer()).toBe('v2');
  });

  it("promote's continuation, once the primary is Deployed, invalidates the primary once", async () => {
    h = await startHarness({ propagationMs: 20 });
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    h.emulator.setInvalidationMs(HELD);
    const params = { PrimaryDistributionId: h.site.primaryId, StagingDistributionId: outputs.StagingDistributionId };
    const jobId = randomUUID();
    const promoted = await (h.lambdas.promote as LocalLambda).invoke(
      codePipelineEvent(jobId, 'promote', JSON.stringify(params)),
    );
    expect(promoted.ok).toBe(true);
    // The primary is InProgress with the promoted config: the first pass waits, and invalidates nothing yet.
    expect(invalidationsOf(h, h.site.primaryId)).toEqual([]);
    const stagingInvalidations = invalidationsOf(h, outputs.StagingDistributionId);
    h.emulator.settle();
    h.emulator.clearRequestLog();
    const { results } = await deliverTwice(h, 'promote', params, concurrently, reportedToken(h, jobId));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(operations(h.emulator)).not.toContain('UpdateDistributionWithStagingConfig');
    expect(invalidationsOf(h, h.site.primaryId)).toEqual([
      expect.objectContaining({ paths: ['/*'], status: 'InProgress' }),
    ]);
    expect(invalidationsOf(h, outputs.StagingDistributionId)).toEqual(stagingInvalidations);
    expect(logEvents(results).filter((l) => l.event === 'job-already-reported')).toHaveLength(1);
    expect(logEvents(results).some((l) => l.level === 'ERROR')).toBe(false);
  });

  it('abort disables once', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    const before = accepted(h, 'UpdateContinuousDeploymentPolicy');
    const { results } = await deliverTwice(
      h,
      'abort',
      { PrimaryDistributionId: h.site.primaryId, Mode: 'disable' },
      concurrently,
    );
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(accepted(h, 'UpdateContinuousDeploymentPolicy') - before).toBe(1);
    expect(logEvents(results).some((l) => l.level === 'ERROR')).toBe(false);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);
  });
});

describe('end to end: a repeated delivery after the job completed', () => {
  it('enable-CD finds everything in place and writes nothing', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    const params = JSON.stringify(h.enableCdParams(outputs));
    const enableCd = h.lambdas['enable-cd'] as LocalLambda;
    // The job run to its end as CodePipeline runs it, keeping the event of its last invocation.
    let lastJobId = randomUUID();
    let last = codePipelineEvent(lastJobId, 'enable-cd', params);
    for (let invocation = 1; ; invocation++) {
      expect((await enableCd.invoke(last)).ok).toBe(true);
      const [report, ...more] = h.emulator.jobResults(lastJobId);
      expect(more).toEqual([]);
      if (report?.kind !== 'success') throw new Error(`enable-cd failed: ${JSON.stringify(report)}`);
      if (!report.continuationToken) break;
      expect(invocation).toBeLessThan(10);
      h.emulator.settle();
      lastJobId = randomUUID();
      last = codePipelineEvent(lastJobId, 'enable-cd', params, report.continuationToken);
    }
    expect(await h.attachedPolicy()).toBe(outputs.ContinuousDeploymentPolicyId);
    h.emulator.settle();
    h.emulator.clearRequestLog();

    const again = await enableCd.invoke(last);
    expect(again.ok).toBe(true);
    // Reads, and the report CodePipeline refuses: the job was reported already.
    expect(writes(h)).toEqual(['PutJobSuccessResult']);
    expect(again.logs.filter((l) => l.event === 'job-already-reported')).toHaveLength(1);
    expect(h.emulator.jobResults(lastJobId)).toHaveLength(1);
  });
});

describe('end to end: a late delivery of enable-CD after the promotion (chaos run: seed 3, cycle 40)', () => {
  it('leaves the policy the promotion disabled alone, and says nothing is under review', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    const params = h.enableCdParams(outputs);
    expect(await h.job('enable-cd', params)).toMatchObject({ ok: true });
    expect(
      await h.job('promote', {
        PrimaryDistributionId: h.site.primaryId,
        StagingDistributionId: outputs.StagingDistributionId,
      }),
    ).toMatchObject({ ok: true });
    h.emulator.settle();
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);
    h.emulator.clearRequestLog();

    const jobId = randomUUID();
    const late = await (h.lambdas['enable-cd'] as LocalLambda).invoke(
      codePipelineEvent(jobId, 'enable-cd', JSON.stringify(params)),
    );
    expect(late.ok).toBe(true);
    const ops = operations(h.emulator);
    for (const op of [
      'GetInvalidation',
      'CreateInvalidation',
      'UpdateContinuousDeploymentPolicy',
      'UpdateDistribution',
    ])
      expect(ops, op).not.toContain(op);
    expect(writes(h)).toEqual(['PutJobSuccessResult']);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);
    expect(h.emulator.jobResults(jobId)).toEqual([
      expect.objectContaining({
        kind: 'success',
        outputVariables: expect.objectContaining({ PolicyEnabled: 'false' }),
      }),
    ]);
  });
});
