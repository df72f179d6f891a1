/**
 * Release identity across overlapping pipeline executions, on the built bundles against the emulator: while release A
 * waits in Approval, release B redeploys staging. Approving A must not promote B's config (nobody reviewed it), and
 * rejecting A must not roll back B's canary.
 */
import { GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { headerTemplate } from '../../local/pipeline/staging-stack.js';
import { type Harness, operations, startHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HEADER = { 'aws-cf-cd-staging': 'true' };

/** The AWS writes made after the first `from` requests, besides reporting the job to CodePipeline. */
const writesSince = (harness: Harness, from: number) =>
  operations(harness.emulator)
    .slice(from)
    .filter((op) => !/^(Get|List|Head|PutJob)/.test(op));
const PIPELINE = 'site-release';

/** Release A is up for review, then release B's Deploy and enable-CD run while A waits in Approval. */
async function overlappingReleases() {
  const harness = await startHarness({ propagationMs: 20 });
  const outputsA = await harness.deployStaging(headerTemplate('/v2'));
  const enableA = await harness.job('enable-cd', harness.enableCdParams(outputsA));
  if (!enableA.ok) throw new Error(enableA.message);
  const outputsB = await harness.deployStaging(headerTemplate('/v3'));
  const enableB = await harness.job('enable-cd', harness.enableCdParams(outputsB));
  if (!enableB.ok) throw new Error(enableB.message);
  return { h: harness, a: enableA.variables, b: enableB.variables, outputs: outputsB };
}

function promoteParams(harness: Harness, stagingId: string, expected: string) {
  return {
    PrimaryDistributionId: harness.site.primaryId,
    StagingDistributionId: stagingId,
    ExpectedStagingETag: expected,
  };
}

describe('end to end: promote the config the reviewer saw, or nothing', () => {
  it("refuses to promote A's approval once B redeployed staging, with no write; B promotes; a repeat still succeeds", async () => {
    const r = await overlappingReleases();
    h = r.h;
    // Each release reported the ETag of the staging config it put up for review: B's is the one staging carries now.
    expect(r.a.StagingETag).toMatch(/^E[A-Z0-9]+$/);
    const stagingNow = await h.clients.cloudFront.send(
      new GetDistributionCommand({ Id: r.outputs.StagingDistributionId }),
    );
    expect(r.b.StagingETag).toBe(stagingNow.ETag);
    expect(r.b.StagingETag).not.toBe(r.a.StagingETag);
    expect(await h.viewer(HEADER)).toBe('v3');

    const before = operations(h.emulator).length;
    const approvedA = await h.job(
      'promote',
      promoteParams(h, r.outputs.StagingDistributionId, r.a.StagingETag as string),
    );
    expect(approvedA).toMatchObject({ ok: false, message: expect.stringContaining('changed after it was reviewed') });
    expect(approvedA.ok === false && approvedA.message).toContain(
      `has ETag ${r.b.StagingETag}, but the config the reviewer approved had ETag ${r.a.StagingETag}`,
    );
    expect(writesSince(h, before)).toEqual([]);
    expect(await h.viewer()).toBe('v1');

    const approvedB = await h.job(
      'promote',
      promoteParams(h, r.outputs.StagingDistributionId, r.b.StagingETag as string),
    );
    expect(approvedB).toMatchObject({ ok: true, variables: { PromotedFrom: r.outputs.StagingDistributionId } });
    expect(await h.viewer()).toBe('v3');

    // A repeat finds B promoted and the primary's caches invalidated since: it writes nothing, not even an invalidation.
    const beforeRepeat = operations(h.emulator).length;
    const repeat = await h.job('promote', promoteParams(h, r.outputs.StagingDistributionId, r.b.StagingETag as string));
    expect(repeat).toMatchObject({ ok: true });
    expect(writesSince(h, beforeRepeat)).toEqual([]);
  });

  it("rejecting A leaves B's canary live; rejecting B rolls it back", async () => {
    const r = await overlappingReleases();
    h = r.h;
    h.emulator.pipelines.define({
      name: PIPELINE,
      stages: [
        {
          name: 'EnableCd',
          actions: [
            { name: 'EnableCd', kind: 'invoke', namespace: 'EnableCd', configuration: { FunctionName: 'enable-cd' } },
          ],
        },
      ],
    });
    const runA = h.emulator.pipelines.startExecution(PIPELINE);
    runA.startAction('EnableCd', 'EnableCd').succeed({ outputVariables: r.a });
    const runB = h.emulator.pipelines.startExecution(PIPELINE);
    runB.startAction('EnableCd', 'EnableCd').succeed({ outputVariables: r.b });
    const abortFor = (executionId: string) =>
      h!.lambdas.abort!.invoke({
        PrimaryDistributionId: h!.site.primaryId,
        Mode: 'disable',
        PipelineName: PIPELINE,
        PipelineExecutionId: executionId,
      });

    const rejectedA = await abortFor(runA.pipelineExecutionId);
    expect(rejectedA).toMatchObject({
      ok: true,
      result: { outcome: 'no-op', summary: expect.stringContaining('a newer release owns the canary') },
    });
    expect(await h.policyEnabled(r.outputs.ContinuousDeploymentPolicyId)).toBe(true);
    expect(await h.viewer(HEADER)).toBe('v3');

    const rejectedB = await abortFor(runB.pipelineExecutionId);
    expect(rejectedB).toMatchObject({ ok: true, result: { outcome: 'applied', changes: ['disable-policy'] } });
    expect(await h.viewer(HEADER)).toBe('v1');
  });
});
