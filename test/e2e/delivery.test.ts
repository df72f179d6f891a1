/**
 * At-least-once delivery on the built bundles against the emulator (whose CodePipeline refuses a second report of a
 * job, as the real one does): the same job delivered twice — after it completed, or to two Lambda workers at the same
 * moment — makes each write once, and no delivery rejects (which would earn yet another delivery from Lambda).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { LocalLambda } from '../../local/pipeline/lambda.js';
import { codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { SITE_BUCKET } from '../../local/pipeline/site.js';
import { type Harness, startHarness } from './harness.js';

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

describe.each([
  ['one after the other', false],
  ['at the same moment', true],
])('end to end: one job delivered twice, %s', (_, concurrently) => {
  it('enable-CD grants, invalidates the staging, attaches and reports once; both deliveries resolve', async () => {
    h = await startHarness({ propagationMs: 20 });
    const outputs = await h.deployStaging();
    h.emulator.settle();
    const statementsBefore = await bucketStatements(h);
    const params = h.enableCdParams(outputs);
    const first = await deliverTwice(h, 'enable-cd', params, concurrently);
    expect(first.results.map((r) => r.ok)).toEqual([true, true]);
    // S3 has no ETag: two deliveries that read before either wrote both write, but the same merged document.
    const after = await bucketStatements(h);
    expect(after).toEqual(expect.arrayContaining(statementsBefore));
    expect(after).toHaveLength(statementsBefore.length + 1);
    // Two CreateInvalidation calls with the same CallerReference make one invalidation (CloudFront returns the first).
    const staging = h.emulator.state().distributions.find((d) => d.id === outputs.StagingDistributionId);
    expect(staging?.invalidations).toHaveLength(1);

    // The continuation (delivered twice too) routes viewers to the staging once the invalidation is Completed; a
    // duplicate delivered after the first one finished may already have done it: either way the attach is made once.
    h.emulator.settle();
    const second = await deliverTwice(h, 'enable-cd', params, concurrently, reportedToken(h, first.jobId));
    expect(second.results.map((r) => r.ok)).toEqual([true, true]);
    expect(accepted(h, 'UpdateDistribution')).toBe(1);
    expect(h.emulator.state().distributions.find((d) => d.id === outputs.StagingDistributionId)?.invalidations).toEqual(
      staging?.invalidations,
    );
    for (const { results } of [first, second]) {
      expect(logEvents(results).filter((l) => l.event === 'job-already-reported')).toHaveLength(1);
      expect(logEvents(results).some((l) => l.level === 'ERROR')).toBe(false);
    }
    expect(await h.attachedPolicy()).toBe(outputs.ContinuousDeploymentPolicyId);
  });

  it('promote promotes once', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    const params = { PrimaryDistributionId: h.site.primaryId, StagingDistributionId: outputs.StagingDistributionId };
    const { results } = await deliverTwice(h, 'promote', params, concurrently);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(accepted(h, 'UpdateDistributionWithStagingConfig')).toBe(1);
    expect(await h.viewer()).toBe('v2');
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
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);
  });
});
