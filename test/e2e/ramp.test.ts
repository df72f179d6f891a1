/**
 * The ramp end to end: the built ramp bundle against the emulator, whose data plane routes viewers by the policy's
 * weight and whose CloudWatch counts what it served. Time is virtual (the emulator's clock and the function's run
 * ahead together), so that propagation takes minutes and each step's window holds whole minutes, as in AWS. The
 * alarms are answered by alarm-proxy.ts (the emulator has none), in front of the emulator's CloudWatch.
 */
import { randomUUID } from 'node:crypto';
import { GetContinuousDeploymentPolicyCommand, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalLambda, LocalLambda as Lambda } from '../../local/pipeline/lambda.js';
import { type JobResult, codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { PHASE } from '../../functions/ramp/phases.js';
import { decodeContinuation } from '../../shared/job/continuation.js';
import { type EmulatorProxy, startEmulatorProxy } from './alarm-proxy.js';
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

/** The log lines of the passes made so far (the ones that judged alarms among them). */
let passLogs: Record<string, unknown>[] = [];

/** One ramp invocation at the virtual time, as CodePipeline makes it; returns the single report. */
async function pass(params: Record<string, unknown>, token?: string, ramp = h.lambdas.ramp!): Promise<JobResult> {
  const jobId = randomUUID();
  const result = await ramp.invoke(codePipelineEvent(jobId, 'ramp', JSON.stringify(params), token), 60_000, {
    clockOffsetMs: offset,
  });
  passLogs.push(...(result.logs as Record<string, unknown>[]));
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

  it('refuses bad Steps and AlarmNames as a configuration error before any AWS call', async () => {
    for (const steps of [[], [5, 1], [1, 20], ['1']]) {
      const r = await pass(rampParams({ Steps: steps }));
      expect(r).toMatchObject({ kind: 'failure', type: 'ConfigurationError' });
      expect(r.kind === 'failure' && r.message).toContain('UserParameters.Steps:');
    }
    const alarms = await pass(rampParams({ AlarmNames: 'arn:aws:cloudwatch:us-east-1:alarm:site-5xx' }));
    expect(alarms).toMatchObject({ kind: 'failure', type: 'ConfigurationError' });
    expect(alarms.kind === 'failure' && alarms.message).toContain('UserParameters.AlarmNames:');
    expect(operations(h.emulator).filter((op) => op !== 'PutJobFailureResult')).toEqual([]);
    expect(await weight()).toBe('header');
  });
});

describe("the ramp judges the canary's alarms (AlarmNames)", () => {
  const ALARM = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx';
  let proxy: EmulatorProxy;
  let ramp: LocalLambda;
  beforeEach(async () => {
    passLogs = [];
    proxy = await startEmulatorProxy(h.emulator.url);
    ramp = await Lambda.start('ramp', { ...h.emulator.env, AWS_ENDPOINT_URL_CLOUDWATCH: proxy.url });
  });
  afterEach(async () => {
    await ramp.stop();
    await proxy.close();
  });

  it('rolls the ramp back at step 2 as soon as an alarm goes into ALARM there, naming the step and the alarm', async () => {
    // A bake of 3 minutes at each step: the alarm rings inside step 2's bake, before its window is judged.
    const params = rampParams({ AlarmNames: ALARM, StepMinutes: 3 });
    proxy.alarms.set('site-5xx', 'OK');
    let r = await pass(params, undefined, ramp);
    expect(await weight()).toBe('1%');
    offset += PROPAGATION_MS;
    r = await pass(params, tokenOf(r), ramp);
    expect(phaseOf(r)).toBe(PHASE.baking);
    offset += 3 * MIN + 1_000;
    await viewers(600);
    r = await pass(params, tokenOf(r), ramp);
    expect(await weight()).toBe('5%'); // step 1 healthy, its alarm OK
    offset += PROPAGATION_MS;
    r = await pass(params, tokenOf(r), ramp);
    expect(phaseOf(r)).toBe(PHASE.baking);

    proxy.alarms.set('site-5xx', 'ALARM');
    offset += 30_000;
    r = await pass(params, tokenOf(r), ramp);
    expect(phaseOf(r)).toBe(PHASE.rolledBack);
    expect(await weight()).toBe('disabled');
    expect(await h.viewer()).toBe('v1');

    r = await pass(params, tokenOf(r), ramp);
    expect(r.kind).toBe('failure');
    const message = r.kind === 'failure' ? r.message : '';
    expect(message).toContain(
      'ramp step 2 of 3 (5% of viewers) was unhealthy: alarm site-5xx (us-east-1) is in ALARM; ' +
        `policy ${policyId} was disabled`,
    );
    // 1 %, 5 %, then disabled: never advanced past the step the alarm failed.
    expect(policyWrites()).toBe(3);
    // Read on every pass that stood at a step or was about to set the first weight, in the alarm's own region.
    const states = passLogs
      .filter((l) => l.event === 'alarms-read')
      .map((l) => (l.alarms as { state: string }[]).map((a) => a.state).join());
    expect(states).toEqual(['OK', 'OK', 'OK', 'OK', 'ALARM']);
    expect(new Set(proxy.describeAlarmsRegions)).toEqual(new Set(['us-east-1']));
  });

  it('climbs with the alarm OK, and goes on (with a WARN) past an alarm DescribeAlarms does not find', async () => {
    const missing = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:typo-5xx';
    const params = rampParams({ AlarmNames: `${ALARM},${missing}`, Steps: [1, 5] });
    proxy.alarms.set('site-5xx', 'OK');
    let r = await pass(params, undefined, ramp);
    for (let step = 0; step < 2; step++) {
      offset += PROPAGATION_MS;
      r = await pass(params, tokenOf(r), ramp);
      offset += MIN + 1_000;
      await viewers(600);
      r = await pass(params, tokenOf(r), ramp);
    }
    expect(r).toMatchObject({ kind: 'success', outputVariables: { FinalWeight: '5', StepsJudged: '2' } });
    expect(await weight()).toBe('5%');
    const warned = passLogs.filter((l) => l.event === 'alarms-read' && l.level === 'WARN');
    expect(warned.length).toBeGreaterThan(0);
    expect(warned[0]).toMatchObject({ missingAlarms: ['typo-5xx (us-east-1)'] });
  });
});

/** The local data plane's address for the primary: what the probes request instead of https://<domain>. */
function probeBase(): string {
  return `${h.emulator.url}/_viewer/${h.site.primaryDomain}`;
}
