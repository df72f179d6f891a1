/**
 * The ramp, declared: between enable-CD and the approval, smoke probes through the primary with the staging header
 * before any viewer is routed, then a ladder of weights, each set (ETag-guarded), propagated, baked and judged on its
 * own window by the promotion gate's rules before the next. The alarms of `AlarmNames` are read on every pass at a
 * step: one in ALARM makes the step unhealthy at once. An unhealthy step takes the viewers off staging the way the
 * canary watch does (the policy disabled; with `RampHeader` also put back on header routing, in the same write) and
 * fails naming the step. The driver (shared/job/driver.ts) runs it.
 */
import { GetContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { readAlarms } from '../../shared/aws/alarms.js';
import type { PlanSteps } from '../../shared/aws/apply-plan.js';
import { awsCall } from '../../shared/aws/call.js';
import { cloudFront } from '../../shared/aws/clients/cloudfront.js';
import { readDistribution, writePolicyConfig } from '../../shared/aws/cloudfront.js';
import { readTraffic } from '../../shared/aws/metrics.js';
import { type AlarmStates, alarmLabel } from '../../shared/domain/alarms.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { step } from '../../shared/domain/errors.js';
import { judgesErrorRate } from '../../shared/domain/gate.js';
import { type PolicyState, distributionLogFields } from '../../shared/domain/resources.js';
import { routingOf } from '../../shared/domain/traffic-config.js';
import type { MetricsWindow } from '../../shared/domain/traffic-metrics.js';
import { ContinuationError } from '../../shared/job/continuation.js';
import type { ActionDefinition } from '../../shared/job/driver.js';
import type { Logger } from '../../shared/log.js';
import { type RampParams, parameterNames, parseRampParams } from './params.js';
import { PHASE, PHASES, type RampPhase } from './phases.js';
import {
  type RampChange,
  type RampMemory,
  type RampPlan,
  type RampState,
  decodeFigures,
  describeStep,
  extraReads,
  planRamp,
  routingAfterRamp,
  withRollback,
  withStepWeight,
} from './plan.js';
import { runProbes } from './probes.js';

/** A policy with its ETag and `LastModifiedTime`: no step's bake may start before the policy's last change. */
async function readPolicyAt(id: string): Promise<{ policy: PolicyState; modified: number | undefined }> {
  const resource = `continuous deployment policy ${id}`;
  const out = await awsCall('GetContinuousDeploymentPolicy', resource, () =>
    cloudFront().send(new GetContinuousDeploymentPolicyCommand({ Id: id })),
  );
  const read = out.ContinuousDeploymentPolicy;
  const config = read?.ContinuousDeploymentPolicyConfig;
  if (!out.ETag || !config) throw new Error(`GetContinuousDeploymentPolicy on ${resource} returned no ETag or config`);
  return { policy: { id, etag: out.ETag, config }, modified: read?.LastModifiedTime?.getTime() };
}

/** Primary ‖ staging (‖ the named policy), then the attached policy when none is named. */
async function readBase(params: RampParams): Promise<RampState> {
  const [primary, staging, named] = await Promise.all([
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
    params.policyId ? readPolicyAt(params.policyId) : undefined,
  ]);
  const attached = attachedPolicyId(primary.config);
  const read = named ?? (attached ? await readPolicyAt(attached) : undefined);
  return { primary, staging, policy: read?.policy, policyModified: read?.modified, now: Date.now() };
}

/** Whichever of the probes, the step's window and the alarms this pass needs, side by side. */
async function readExtras(state: RampState, params: RampParams, memory: RampMemory): Promise<RampState> {
  const needs = extraReads(state, params, memory);
  const routing = state.policy ? routingOf(state.policy.config) : undefined;
  const [probes, traffic, alarms] = await Promise.all([
    needs.probes && routing?.type === 'header'
      ? step('probe the staging through the primary', () =>
          runProbes(params.probes, params.probeBaseUrl ?? `https://${state.primary.domainName}`, {
            name: routing.header,
            value: routing.value,
          }),
        )
      : undefined,
    needs.window
      ? step("read the step's staging traffic from CloudWatch", () =>
          stepTraffic(state, params, needs.window as MetricsWindow),
        )
      : undefined,
    needs.alarms ? step('read the alarms', () => readAlarms(params.alarms)) : undefined,
  ]);
  return { ...state, ...(probes ? { probes } : {}), ...(traffic ? { traffic } : {}), ...(alarms ? { alarms } : {}) };
}

/** The alarms as read, logged on their own line; WARN when DescribeAlarms did not find one (a typo, another region). */
function logAlarms(alarms: AlarmStates | undefined, log: Logger): void {
  if (!alarms) return;
  log[alarms.missing.length ? 'warn' : 'info']('alarms-read', {
    alarms: alarms.readings.map((a) => ({ name: a.name, region: a.region ?? null, state: a.state })),
    ...(alarms.missing.length ? { missingAlarms: alarms.missing.map(alarmLabel) } : {}),
  });
}

async function stepTraffic(state: RampState, params: RampParams, window: MetricsWindow) {
  const ids = judgesErrorRate(params.gate) ? [state.staging.id, state.primary.id] : [state.staging.id];
  const [staging, primary] = await readTraffic(ids, window);
  if (!staging) throw new Error(`GetMetricData gave no figures for staging ${state.staging.id}`);
  return { figures: { windowMinutes: window.minutes, staging, primary }, window };
}

function logState(state: RampState, log: Logger): void {
  log.info('state-read', {
    primary: distributionLogFields(state.primary),
    staging: distributionLogFields(state.staging),
    policy: state.policy
      ? {
          id: state.policy.id,
          etag: state.policy.etag,
          enabled: state.policy.config.Enabled,
          routing: routingOf(state.policy.config),
          lastModified: state.policyModified ? new Date(state.policyModified).toISOString() : null,
        }
      : null,
    ...(state.probes
      ? {
          probes: state.probes.map(({ probe, url, status, error, matched }) => ({
            path: probe.path,
            url,
            status,
            error,
            matched,
          })),
        }
      : {}),
    ...(state.traffic
      ? {
          window: { start: state.traffic.window.start.toISOString(), end: state.traffic.window.end.toISOString() },
          figures: state.traffic.figures,
        }
      : {}),
  });
}

/** Makes one planned change against the state it was planned from; both are ETag-guarded policy updates. */
async function write(change: RampChange, state: RampState, log: Logger): Promise<boolean> {
  const policy = state.policy as PolicyState;
  const config =
    change.kind === 'set-weight'
      ? withStepWeight(policy.config, change.percent)
      : withRollback(policy.config, change.header);
  const etag = await writePolicyConfig(policy, config);
  log.info('write', {
    change: change.kind,
    policyId: policy.id,
    ...(change.kind === 'set-weight' ? { weightPercent: change.percent, step: change.stepIndex + 1 } : {}),
    ...(change.kind === 'disable-policy' && change.header
      ? { header: `${change.header.header}: ${change.header.value}` }
      : {}),
    ifMatch: policy.etag,
    newEtag: etag,
    reason: change.reason,
  });
  return true;
}

/** How the ramp reads, plans and writes: the job's passes and a dry run share it. */
export function rampSteps(
  params: RampParams,
  log: Logger,
  phase: RampPhase | undefined,
  memory: RampMemory,
): PlanSteps<RampState, RampPlan> {
  return {
    read: async () => {
      const state = await readExtras(await readBase(params), params, memory);
      logState(state, log);
      logAlarms(state.alarms, log);
      return state;
    },
    plan: (s) => planRamp(s, params, memory, phase),
    write: (change, s) => write(change, s, log),
    stepName: (change) =>
      change.kind === 'set-weight'
        ? `set the policy's weight to ${change.percent}% (step ${change.stepIndex + 1})`
        : change.header
          ? 'disable the continuous deployment policy on header routing (roll back the unhealthy step)'
          : 'disable the continuous deployment policy (roll back the unhealthy step)',
    describe: (plan) => ({ position: plan.position, ...(plan.judged ? { judged: plan.judged } : {}) }),
  };
}

const MEMORY_KEYS = [
  'started',
  'pinnedEtag',
  'bakeEtag',
  'bakeStart',
  'figures',
  'unhealthy',
  'alarms',
  'written',
] as const;

/** Reads the memory back strictly: unknown keys or malformed figures are a token this action did not write. */
function readMemory(phase: RampPhase, data: Record<string, string | undefined> | undefined): RampMemory {
  const memory: RampMemory = {};
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!(MEMORY_KEYS as readonly string[]).includes(key) || value === undefined)
      throw new ContinuationError((w) => `${w.token} carries ${JSON.stringify(key)}, which the ramp never writes`);
    memory[key] = value;
  }
  if (memory.figures) decodeFigures(memory.figures);
  if (phase === PHASE.rolledBack && !memory.unhealthy)
    throw new ContinuationError((w) => `${w.token} has phase ${PHASE.rolledBack} without the step it rolled back`);
  return memory;
}

function summarise(
  params: RampParams,
  state: RampState,
  plan: RampPlan,
  memory: RampMemory,
): { summary: string; outputVariables: Record<string, string> } {
  if (plan.position.kind === 'nothing-to-ramp')
    return {
      summary: `${plan.position.reason}; nothing was changed`,
      outputVariables: {
        FinalWeight: '0',
        StepsJudged: '0',
        RampFigures: 'none',
        TrafficType: state.policy?.config.TrafficConfig?.Type ?? 'none',
        HowToReachStaging: `nobody: ${plan.position.reason}`,
      },
    };
  const figures = decodeFigures(memory.figures ?? '');
  const last = params.steps[params.steps.length - 1] as number;
  const ladder = figures.map(
    (f) => `${f.percent}%: ${f.staging.requests} req, 5xx ${rateText(f.staging.errorRate5xx)}`,
  );
  const primary = figures.at(-1)?.primary;
  const alarms = params.alarms.length
    ? `; no alarm of AlarmNames was in ALARM at any step (${params.alarms.map(alarmLabel).join(', ')})`
    : '';
  return {
    summary:
      `ramped staging ${state.staging.id} to ${last}% of viewers, every step judged healthy: ` +
      figures.map(describeStep).join('; ') +
      alarms,
    outputVariables: {
      FinalWeight: String(last),
      StepsJudged: String(figures.length),
      RampFigures: ladder.join('; ') + (primary ? ` (primary 5xx ${rateText(primary.errorRate5xx)})` : ''),
      ...routingAfterRamp(state),
    },
  };
}

const rateText = (rate: number | undefined) => (rate === undefined ? 'no data' : `${Math.round(rate * 1000) / 1000}%`);

export const rampAction: ActionDefinition<RampParams, RampState, RampPlan, RampPhase, RampMemory> = {
  name: 'ramp',
  parameterNames,
  parseParams: parseRampParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: PHASES,
  readMemory,
  readStep: 'read primary, staging and policy',
  steps: ({ params, phase, memory, log }) => rampSteps(params, log, phase, memory),
  remember: ({ plan }) => plan.remember,
  summarise: ({ params, state, plan, memory }) => summarise(params, state, plan, memory),
};
