/**
 * The ramp end to end: the built ramp bundle against the emulator, whose data plane routes viewers by the policy's
 * weight and whose CloudWatch counts what it served. Time is virtual (the emulator's clock and the function's run
 * ahead together), so that propagation takes minutes and each step's window holds whole minutes, as in AWS.
 */
import { randomUUID } from 'node:crypto';
import { GetContinuousDeploymentPolicyCommand, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobResult, codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { PHASE } from '../../functions/ramp/phases.js';
import { decodeContinuation } from '../../shared/job/continuation.js';
import { HEADER_TEMPLATE, type Harness, operations, startHarness } from './harness.js';

const MIN = 60_000;
const PROPAGATION_MS = 2 * MIN;

let h: Harness;
let offset = 0;
let stagingId: string;
let policyId: string;
let stagingEtag: string;

beforeEach(async () => {
  offset = 0;
  h = await startHarness({ now: () => Date.now() + offset });
  const outputs = await h.deployStaging(HEADER_TEMPLATE);
  stagingId = outputs.StagingDistributionId;
  policyId = outputs.ContinuousDeploymentPolicyId;
  const enabled = await h.job('enable-cd', h.enableCdParams(outputs));
  if (!enabled.ok) throw new Error(`enable-cd failed: ${enabled.message}`);
  stagingEtag = enabled.variables.StagingETag as string;
  h.emulator.setPropagationMs(PROPAGATION_MS);
  h.emulator.clearRequestLog();
});
afterEach(async () => {
  await h.close();
});

const rampParams = (extra: Record<string, unknown> = {}) => ({
  PrimaryDistributionId: h.site.primaryId,
  StagingDistributionId: stagingId,
  ContinuousDeploymentPolicyId: policyId,
  ExpectedStagingETag: stagingEtag,
  Steps: [1, 5, 15],
  StepMinutes: 1,
  MinStagingRequests: 5,
  MaxStaging5xxErrorRate: 5,
  MaxWaitMinutes: 60,
  ...extra,
});

/** One ramp invocation at the virtual time, as CodePipeline makes it; returns the single report. */
async function pass(params: Record<string, unknown>, token?: string): Promise<JobResult> {
  const jobId = randomUUID();
  await h.lambdas.ramp!.invoke(codePipelineEvent(jobId, 'ramp', JSON.stringify(params), token), 60_000, {
    clockOffsetMs: offset,
  });
  const reports = h.emulator.jobResults(jobId);
  expect(reports).toHaveLength(1);
  return reports[0]!;
}
const tokenOf = (r: JobResult) => (r.kind === 'success' ? r.continuationToken : undefined);
const phaseOf = (r: JobResult) => {
  const token = tokenOf(r);
  return token ? decodeContinuation(token).phase : r.kind;
};

async function weight(): Promise<string> {
  const out = await h.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  const config = out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
  if (config?.Enabled !== true) return 'disabled';
  const traffic = config.TrafficConfig;
  return traffic?.Type === 'SingleHeader' ? 'header' : `${(traffic?.SingleWeightConfig?.Weight ?? 0) * 100}%`;
}
async function primaryStatus(): Promise<string | undefined> {
  return (await h.clients.cloudFront.send(new GetDistributionCommand({ Id: h.site.primaryId }))).Distribution?.Status;
}
const policyWrites = () => operations(h.emulator).filter((op) => op === 'UpdateContinuousDeploymentPolicy').length;

/** `n` viewers without the header; returns how many staging served. */
async function viewers(n: number): Promise<number> {
  let staging = 0;
  for (let i = 0; i < n; i++) {
    const r = await h.emulator.viewer(h.site.primaryDomain, '/');
    if (r.servedBy === stagingId) staging++;
  }
  return staging;
}

describe('the ramp (built bundle against the emulator)', () => {
  it('probes, then climbs 1 → 5 → 15, each step moved up only once Deployed, baked and judged healthy', async () => {
    const params = rampParams({ Probes: ['/', { Path: '/', Contains: 'site v2' }], ProbeBaseUrl: probeBase() });
    let r = await pass(params);
    expect(phaseOf(r)).toBe(PHASE.propagating);
    expect(await weight()).toBe('1%');
    expect(await primaryStatus()).toBe('InProgress');

    const ladder: string[] = [];
    for (const percent of ['1%', '5%', '15%']) {
      // Still propagating: another pass writes nothing.
      const writes = policyWrites();
      r = await pass(params, tokenOf(r));
      expect(phaseOf(r)).toBe(PHASE.propagating);
      expect(policyWrites()).toBe(writes);

      offset += PROPAGATION_MS;
      r = await pass(params, tokenOf(r));
      expect(phaseOf(r)).toBe(PHASE.baking); // Deployed: the bake starts now
      expect(await weight()).toBe(percent);

      offset += MIN + 1_000;
      expect(await viewers(600)).toBeGreaterThan(0);
      r = await pass(params, tokenOf(r));
      ladder.push(await weight());
    }
    expect(ladder).toEqual(['5%', '15%', '15%']);
    expect(r).toEqual({
      kind: 'success',
      outputVariables: expect.objectContaining({ FinalWeight: '15', StepsJudged: '3' }),
    });
    const figures = r.kind === 'success' ? (r.outputVariables?.RampFigures ?? '') : '';
    expect(figures).toMatch(/^1%: \d+ req, 5xx 0%; 5%: \d+ req, 5xx 0%; 15%: \d+ req, 5xx 0% \(primary 5xx 0%\)$/);
    expect(policyWrites()).toBe(3);
  });

  it('fails a broken release at the probes, with no viewer routed and nothing written', async () => {
    h.emulator.setReleaseFailure('/v2', 1, 503);
    const r = await pass(rampParams({ Probes: ['/'], ProbeBaseUrl: probeBase() }));
    expect(r.kind).toBe('failure');
    const message = r.kind === 'failure' ? r.message : '';
    expect(message).toContain('smoke probes failed');
    expect(message).toContain('/: HTTP 503, expected 200');
    expect(message).toContain('No viewer was routed');
    expect(policyWrites()).toBe(0);
    expect(await weight()).toBe('header');
    expect(await h.viewer()).toBe('v1');
  });

  it('rolls back a release broken only under real traffic at its first step, naming the step and its figures', async () => {
    const params = rampParams();
    let r = await pass(params);
    offset += PROPAGATION_MS;
    r = await pass(params, tokenOf(r));
    expect(phaseOf(r)).toBe(PHASE.baking);

    h.emulator.setReleaseFailure('/v2', 0.5, 503);
    offset += MIN + 1_000;
    await viewers(1000);
    r = await pass(params, tokenOf(r));
    expect(phaseOf(r)).toBe(PHASE.rolledBack);
    expect(await weight()).toBe('disabled');
    expect(await h.viewer()).toBe('v1');

    r = await pass(params, tokenOf(r));
    expect(r.kind).toBe('failure');
    const message = r.kind === 'failure' ? r.message : '';
    expect(message).toContain('ramp step 1 of 3 (1% of viewers) was unhealthy');
    expect(message).toMatch(/staging served \d+ request\(s\) in 1 minute\(s\), 5xx error rate [\d.]+%/);
    expect(message).toContain(`policy ${policyId} was disabled`);
    // Set to 1 %, then disabled: never advanced.
    expect(policyWrites()).toBe(2);
  });

  it('keeps a step with too little traffic baking, then fails at MaxWaitMinutes without advancing', async () => {
    const params = rampParams({ MaxWaitMinutes: 10 });
    let r = await pass(params);
    offset += PROPAGATION_MS;
    r = await pass(params, tokenOf(r));
    offset += 3 * MIN;
    r = await pass(params, tokenOf(r));
    expect(phaseOf(r)).toBe(PHASE.baking);
    expect(await weight()).toBe('1%');

    offset += 6 * MIN;
    r = await pass(params, tokenOf(r));
    expect(r.kind).toBe('failure');
    const message = r.kind === 'failure' ? r.message : '';
    expect(message).toContain('MaxWaitMinutes=10');
    expect(message).toContain('step 1 of 3 (1% of viewers) to serve at least 5 staging request(s)');
    expect(message).toContain(`staging ${stagingId} served 0 request(s)`);
    expect(await weight()).toBe('1%');
    expect(policyWrites()).toBe(1);
  });

  it('refuses bad Steps as a configuration error before any AWS call', async () => {
    for (const steps of [[], [5, 1], [1, 20], ['1']]) {
      const r = await pass(rampParams({ Steps: steps }));
      expect(r).toMatchObject({ kind: 'failure', type: 'ConfigurationError' });
      expect(r.kind === 'failure' && r.message).toContain('UserParameters.Steps:');
    }
    expect(operations(h.emulator).filter((op) => op !== 'PutJobFailureResult')).toEqual([]);
    expect(await weight()).toBe('header');
  });
});

/** The local data plane's address for the primary: what the probes request instead of https://<domain>. */
function probeBase(): string {
  return `${h.emulator.url}/_viewer/${h.site.primaryDomain}`;
}
