/**
 * Two ramped releases in a row (issue 25, the gap found adding npm start's ramp cycles): the built bundles of
 * enable-cd, the ramp and promote against the emulator, on virtual minutes as CodePipeline would run them (a pass a
 * minute, each minute's viewers between passes). The first release ramps to 15 % and is promoted: the promotion
 * disables the policy and keeps its 15 %. The second release's staging stack is unchanged, so CloudFormation leaves the
 * policy as it is. Without RampHeader, enable-cd switched that 15 % back on for the second release before its probes
 * and first step, and the ramp then refused to probe. With it, the second release is probed on header routing and its
 * viewers never see more than the first step before the ramp judged it.
 */
import { randomUUID } from 'node:crypto';
import { GetContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codePipelineEvent, type JobResult } from '../../local/pipeline/local-codepipeline.js';
import { headerTemplate } from '../../local/pipeline/staging-stack.js';
import { type Harness, startHarness } from './harness.js';

const MIN = 60_000;
const PROPAGATION_MS = 2 * MIN;
/** Fresh viewers each virtual minute: at 1 % about 6 reach the staging, at 15 % about 90. */
const VIEWERS_PER_MINUTE = 600;
const RAMP_HEADER = 'aws-cf-cd-staging: true';

let h: Harness;
let offset = 0;

beforeEach(async () => {
  offset = 0;
  h = await startHarness({ now: () => Date.now() + offset, propagationMs: PROPAGATION_MS });
});
afterEach(async () => {
  await h.close();
});

/** What one virtual minute held: the policy's routing when it began, and how many viewers the staging served. */
interface Minute {
  job: string;
  routing: string;
  staging: number;
}

async function routing(policyId: string): Promise<string> {
  const out = await h.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  const config = out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
  if (config?.Enabled !== true) return 'disabled';
  const traffic = config.TrafficConfig;
  if (traffic?.Type === 'SingleHeader') return 'header';
  return `${Math.round((traffic?.SingleWeightConfig?.Weight ?? 0) * 100_000) / 1000}%`;
}

/**
 * Runs one CodePipeline job of the built bundle `fn` to its report, a pass each virtual minute, each minute's viewers
 * (and the policy's routing) recorded in `minutes` before the pass. Returns the final report and the passes' logs.
 */
async function job(
  fn: string,
  params: Record<string, unknown>,
  policyId: string,
  minutes: Minute[],
): Promise<{ result: JobResult; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  let token: string | undefined;
  for (let n = 0; n < 60; n++) {
    const jobId = randomUUID();
    const out = await h.lambdas[fn]!.invoke(codePipelineEvent(jobId, fn, JSON.stringify(params), token), 60_000, {
      clockOffsetMs: offset,
    });
    logs.push(...(out.logs as unknown as Record<string, unknown>[]));
    const reports = h.emulator.jobResults(jobId);
    expect(reports).toHaveLength(1);
    const result = reports[0]!;
    if (result.kind !== 'success' || !result.continuationToken) return { result, logs };
    token = result.continuationToken;
    offset += MIN;
    const now = await routing(policyId);
    let staging = 0;
    for (let i = 0; i < VIEWERS_PER_MINUTE; i++)
      if ((await h.emulator.viewer(h.site.primaryDomain, '/')).servedBy !== h.site.primaryId) staging++;
    minutes.push({ job: fn, routing: now, staging });
  }
  throw new Error(`${fn} did not finish in 60 passes`);
}

/** One release as the pipeline runs it with RampSteps [1, 5, 15] and probes: deploy, enable-cd, ramp, promote. */
async function release(version: string, minutes: Minute[]) {
  const ids = await h.deployStaging(headerTemplate(`/${version}`));
  const policyId = ids.ContinuousDeploymentPolicyId;
  const common = {
    PrimaryDistributionId: h.site.primaryId,
    StagingDistributionId: ids.StagingDistributionId,
    ContinuousDeploymentPolicyId: policyId,
  };
  const afterDeploy = await routing(policyId);
  const enable = await job('enable-cd', { ...h.enableCdParams(ids), RampHeader: RAMP_HEADER }, policyId, minutes);
  expect(enable.result.kind, JSON.stringify(enable.result)).toBe('success');
  const enabled = enable.result.kind === 'success' ? (enable.result.outputVariables ?? {}) : {};
  const afterEnable = await routing(policyId);
  const rampStart = minutes.length;
  const ramp = await job(
    'ramp',
    {
      ...common,
      ExpectedStagingETag: enabled.StagingETag,
      Steps: [1, 5, 15],
      StepMinutes: 1,
      MinStagingRequests: 3,
      MaxStaging5xxErrorRate: 5,
      Probes: ['/', { Path: '/', Contains: `site ${version}` }],
      ProbeBaseUrl: `${h.emulator.url}/_viewer/${h.site.primaryDomain}`,
      MaxWaitMinutes: 60,
    },
    policyId,
    minutes,
  );
  expect(ramp.result.kind, JSON.stringify(ramp.result)).toBe('success');
  const rampOutputs = ramp.result.kind === 'success' ? (ramp.result.outputVariables ?? {}) : {};
  const promote = await job('promote', { ...common, ExpectedStagingETag: enabled.StagingETag }, policyId, minutes);
  expect(promote.result.kind, JSON.stringify(promote.result)).toBe('success');
  return { policyId, enable, enabled, afterDeploy, afterEnable, ramp, rampOutputs, rampStart };
}

/** The ramp's pass (0 = its first) that made its first healthy judgement: the one that set the second step. */
function firstJudgement(logs: Record<string, unknown>[]): number {
  let pass = -1;
  for (const line of logs) {
    if (line.event === 'job-started') pass++;
    if (line.event === 'write' && line.change === 'set-weight' && line.weightPercent === 5) return pass;
  }
  return -1;
}

describe('two ramped releases in a row (built bundles against the emulator)', () => {
  it('never exposes the second release beyond its first step before the ramp judged it, and probes it first', async () => {
    const first: Minute[] = [];
    const one = await release('v2', first);
    expect(one.rampOutputs).toMatchObject({ FinalWeight: '15', StepsJudged: '3', TrafficType: 'SingleWeight' });
    expect(await h.viewer()).toBe('v2');
    // What the promotion leaves: the policy disabled at the last step's weight.
    const left = await h.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: one.policyId }));
    const config = left.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
    expect(config?.Enabled).toBe(false);
    expect(config?.TrafficConfig?.SingleWeightConfig?.Weight).toBe(0.15);

    const second: Minute[] = [];
    const two = await release('v3', second);
    // The unchanged staging stack left the policy disabled at 15 %; enable-cd put it on header routing instead.
    expect(two.afterDeploy).toBe('disabled');
    expect(two.afterEnable).toBe('header');
    const writes = two.enable.logs.filter((l) => l.event === 'write').map((l) => l.change);
    expect(writes).toContain('route-by-header');
    expect(writes).not.toContain('enable-policy');
    expect(two.enabled.HowToReachStaging).toContain(`curl -H '${RAMP_HEADER}'`);

    // The probes ran, on header routing, before the ramp's first weight.
    const rampLogs = two.ramp.logs;
    const probed = rampLogs.find((l) => l.event === 'state-read' && Array.isArray(l.probes));
    expect(probed?.probes).toEqual([
      expect.objectContaining({ path: '/', status: 200 }),
      expect.objectContaining({ path: '/', status: 200, matched: true }),
    ]);
    const firstWrite = rampLogs.find((l) => l.event === 'write');
    expect(firstWrite).toMatchObject({ change: 'set-weight', weightPercent: 1, step: 1 });
    expect(rampLogs.indexOf(firstWrite!)).toBeGreaterThan(rampLogs.indexOf(probed!));

    // Every minute before the first judgement (the ramp's pass p follows minute rampStart + p - 1): no weight above
    // the first step, no viewer without the header while on header routing, and about 1 % of viewers at most.
    const judgedPass = firstJudgement(rampLogs);
    expect(judgedPass).toBeGreaterThan(0);
    const judged = two.rampStart + judgedPass;
    const before = second.slice(0, judged);
    expect(new Set(before.map((m) => m.routing))).toEqual(new Set(['disabled', 'header', '1%']));
    expect(before.filter((m) => m.routing !== '1%').every((m) => m.staging === 0)).toBe(true);
    const atFirstStep = before.filter((m) => m.routing === '1%').map((m) => m.staging);
    expect(atFirstStep.some((n) => n > 0)).toBe(true);
    expect(Math.max(...atFirstStep)).toBeLessThan(VIEWERS_PER_MINUTE * 0.04);
    // ...and the ladder then went on as before: 5 %, then 15 %, every step judged.
    expect(second.slice(judged).map((m) => m.routing)).toEqual(expect.arrayContaining(['5%', '15%']));
    expect(two.rampOutputs).toMatchObject({ FinalWeight: '15', StepsJudged: '3', TrafficType: 'SingleWeight' });
    expect(two.rampOutputs.HowToReachStaging).toMatch(/^about 15% of viewers of .* by weight; no request header/);
    expect(await h.viewer()).toBe('v3');
  });
});

/**
 * Issues 25/26: a ramp's weights end with its release. The ramp's rollback and promote after a ramped promotion
 * (both told RampHeader, as the pipeline does) leave the policy disabled on header routing. A following release with
 * the ramp turned off (enable-cd told no RampHeader) is then switched on on header routing, for a header review: no
 * viewer is routed to it by weight. Before, enable-cd re-enabled the last ramp's weight.
 */
describe("a ramp's weights end with its release (the next release without a ramp is reviewed by header)", () => {
  const HEADER = { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' } };

  async function policyConfig(policyId: string) {
    const out = await h.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
    return out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
  }

  /** A ramped release up to the ramp's report: enable-cd and the ramp told RampHeader, no probes. */
  async function ramped(version: string, minutes: Minute[]) {
    const ids = await h.deployStaging(headerTemplate(`/${version}`));
    const policyId = ids.ContinuousDeploymentPolicyId;
    const common = {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: ids.StagingDistributionId,
      ContinuousDeploymentPolicyId: policyId,
    };
    const enable = await job('enable-cd', { ...h.enableCdParams(ids), RampHeader: RAMP_HEADER }, policyId, minutes);
    expect(enable.result.kind, JSON.stringify(enable.result)).toBe('success');
    const etag = enable.result.kind === 'success' ? enable.result.outputVariables?.StagingETag : undefined;
    const ramp = await job(
      'ramp',
      {
        ...common,
        ExpectedStagingETag: etag,
        Steps: [1, 5, 15],
        StepMinutes: 1,
        MinStagingRequests: 3,
        MaxStaging5xxErrorRate: 5,
        MaxWaitMinutes: 60,
        RampHeader: RAMP_HEADER,
      },
      policyId,
      minutes,
    );
    return { policyId, common, etag, ramp };
  }

  /** The next release with the ramp off: enable-cd without RampHeader, each minute's viewers recorded. */
  async function unrampedEnable(version: string) {
    const ids = await h.deployStaging(headerTemplate(`/${version}`));
    const policyId = ids.ContinuousDeploymentPolicyId;
    const minutes: Minute[] = [];
    const enable = await job('enable-cd', { ...h.enableCdParams(ids), RampHeader: '' }, policyId, minutes);
    expect(enable.result.kind, JSON.stringify(enable.result)).toBe('success');
    const variables = enable.result.kind === 'success' ? (enable.result.outputVariables ?? {}) : {};
    const writes = enable.logs.filter((l) => l.event === 'write').map((l) => l.change);
    return { policyId, minutes, variables, writes };
  }

  /** Reviewed on header routing: enabled by header, no viewer without it routed to staging, the header reaches it. */
  async function expectHeaderReview(next: Awaited<ReturnType<typeof unrampedEnable>>, version: string, live: string) {
    expect(await routing(next.policyId)).toBe('header');
    expect(next.writes).toContain('enable-policy');
    expect(next.writes).not.toContain('route-by-header');
    expect(next.variables.TrafficType).toBe('SingleHeader');
    expect(next.minutes.length).toBeGreaterThan(0);
    expect(next.minutes.filter((m) => m.routing.endsWith('%'))).toEqual([]);
    expect(next.minutes.map((m) => m.staging)).toEqual(next.minutes.map(() => 0));
    expect(await h.viewer()).toBe(live);
    expect(await h.viewer({ 'aws-cf-cd-staging': 'true' })).toBe(version);
  }

  it('after a ramped promotion the policy is disabled on header routing, and the next release is reviewed by header', async () => {
    const minutes: Minute[] = [];
    const one = await ramped('v2', minutes);
    expect(one.ramp.result.kind, JSON.stringify(one.ramp.result)).toBe('success');
    expect(await routing(one.policyId)).toBe('15%');
    const promote = await job(
      'promote',
      { ...one.common, ExpectedStagingETag: one.etag, RampHeader: RAMP_HEADER },
      one.policyId,
      minutes,
    );
    expect(promote.result.kind, JSON.stringify(promote.result)).toBe('success');
    expect(await h.viewer()).toBe('v2');
    const restore = promote.logs.filter((l) => l.event === 'write' && l.change === 'restore-header-routing');
    expect(restore).toEqual([expect.objectContaining({ enabled: false, replacesWeight: 0.15 })]);
    const left = await policyConfig(one.policyId);
    expect(left?.Enabled).toBe(false);
    expect(left?.TrafficConfig).toEqual(HEADER);

    // A repeated final delivery of promote finds it done: nothing more is written to the policy.
    const again = await job(
      'promote',
      { ...one.common, ExpectedStagingETag: one.etag, RampHeader: RAMP_HEADER },
      one.policyId,
      [],
    );
    expect(again.result.kind).toBe('success');
    expect(again.logs.filter((l) => l.event === 'write' && l.change === 'restore-header-routing')).toEqual([]);

    // The ramp turned off (RampHeader ""): the next release is switched on on header routing, not at 15 %.
    const next = await unrampedEnable('v3');
    expect(next.policyId).toBe(one.policyId);
    await expectHeaderReview(next, 'v3', 'v2');
  });

  it('after a ramp stopped at an unhealthy step the policy is disabled on header routing, and so is the next review', async () => {
    h.emulator.setReleaseFailure('/v2', 0.5, 503);
    const minutes: Minute[] = [];
    const one = await ramped('v2', minutes);
    expect(one.ramp.result.kind).toBe('failure');
    const message = one.ramp.result.kind === 'failure' ? one.ramp.result.message : '';
    expect(message).toContain('ramp step 1 of 3 (1% of viewers) was unhealthy');
    expect(message).toContain('was disabled and put back on header routing (aws-cf-cd-staging: true)');
    const writes = one.ramp.logs.filter((l) => l.event === 'write');
    expect(writes).toEqual([
      expect.objectContaining({ change: 'set-weight', weightPercent: 1 }),
      expect.objectContaining({ change: 'disable-policy', header: RAMP_HEADER }),
    ]);
    const left = await policyConfig(one.policyId);
    expect(left?.Enabled).toBe(false);
    expect(left?.TrafficConfig).toEqual(HEADER);
    expect(await h.viewer()).toBe('v1');

    const next = await unrampedEnable('v3');
    expect(next.policyId).toBe(one.policyId);
    await expectHeaderReview(next, 'v3', 'v1');
  });
});
