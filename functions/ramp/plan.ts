/**
 * The ramp's pure core. Where the ramp stands is read from the live policy, never taken from the token: header routing
 * (or a weight off the ladder, before this job wrote one) is the start, and a weight on the ladder is that step. A
 * weight only rises in a pass that has just judged the step below it healthy on its own window, so a forged or stale
 * token can make the ramp wait or fail, never skip a judgement. No I/O here: the plan is unit-tested without mocks.
 */
import { type AlarmReading, type AlarmStates, alarmLabel, alarmsInAlarm } from '../../shared/domain/alarms.js';
import { checkIsPrimary, checkIsStaging, checkPolicyRoutesTo } from '../../shared/domain/checks.js';
import { carriesSameConfig } from '../../shared/domain/config-diff.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { StateCheckError } from '../../shared/domain/errors.js';
import {
  type GateFigures,
  type GateParams,
  describeFigures,
  evaluateGate,
  formatRate,
  requiredStagingRequests,
} from '../../shared/domain/gate.js';
import { DONE, type Plan, waitFor } from '../../shared/domain/plan.js';
import { type DistributionState, type PolicyState, isDeployed } from '../../shared/domain/resources.js';
import { routingOf } from '../../shared/domain/traffic-config.js';
import type { MetricsWindow, TrafficFigures } from '../../shared/domain/traffic-metrics.js';
import { ContinuationError } from '../../shared/job/continuation.js';
import type { Memory } from '../../shared/job/driver.js';
import { type AbortChange, planDisable } from '../../shared/rollback/plan.js';
import { type StagingHeader, withHeaderRouting } from '../../shared/domain/ramp-header.js';
import type { Probe, RampParams } from './params.js';
import { PHASE, type RampPhase } from './phases.js';

const MINUTE_MS = 60_000;

/** What one probe got: the status, or the error that stopped the request; `matched` when Contains was checked. */
export interface ProbeResult {
  probe: Probe;
  url: string;
  status?: number;
  error?: string;
  matched?: boolean;
}

/** What a step's window held: its figures and the window itself. */
export interface StepTraffic {
  figures: GateFigures;
  window: MetricsWindow;
}

/** Everything the ramp reads before deciding. */
export interface RampState {
  primary: DistributionState;
  staging: DistributionState;
  /** The policy attached to the primary; undefined when none is. */
  policy: PolicyState | undefined;
  /** The policy's `LastModifiedTime` (ms): no step's bake starts before it. */
  policyModified: number | undefined;
  /** When this pass read (ms): the plan's clock. */
  now: number;
  /** The probes' results, made only at the start of the ladder with the policy on header routing. */
  probes?: ProbeResult[];
  /** The step's window, read only once its bake is over. */
  traffic?: StepTraffic;
  /**
   * The alarms of `AlarmNames`, read on every pass at a step (and before the first weight): one in ALARM makes the
   * current step unhealthy at once, whatever its bake or traffic.
   */
  alarms?: AlarmStates;
}

/** What the ramp keeps between its invocations (strings only: they travel in the continuation token). */
export interface RampMemory extends Memory {
  /** 'true' once this job wrote a weight or found one of its ladder's: a weight off the ladder is then not ours. */
  started?: string;
  /** The staging ETag the first pass read, when ExpectedStagingETag was not given: the release cannot change. */
  pinnedEtag?: string;
  /** The policy ETag at which the current step's bake started, and when (ms). */
  bakeEtag?: string;
  bakeStart?: string;
  /** The figures of each step judged healthy, {@link encodeFigures}. */
  figures?: string;
  /** The step judged unhealthy, for the failure the next pass reports: `<index>|<its figures, when read>`. */
  unhealthy?: string;
  /** The alarms in ALARM that made it unhealthy, as the failure names them ({@link ringingPhrase}). */
  alarms?: string;
}

/** One step's figures, as remembered and reported. */
export interface StepFigures {
  percent: number;
  windowMinutes: number;
  staging: TrafficFigures;
  primary: TrafficFigures | undefined;
}

/** Where the ramp stands, read from the live state. */
export type Position =
  | { kind: 'nothing-to-ramp'; reason: string }
  | { kind: 'start'; from: string }
  | { kind: 'step'; index: number };

/**
 * A step's weight, or the rollback of an unhealthy step: the policy disabled and, with `RampHeader`, put back on
 * header routing in the same write (`header`), so that the next release's enable-CD finds no weight of this ramp.
 */
export type RampChange =
  | { kind: 'set-weight'; policyId: string; percent: number; stepIndex: number; reason: string }
  | (Extract<AbortChange, { kind: 'disable-policy' }> & { header?: StagingHeader });

export interface RampPlan extends Plan<RampChange, RampPhase> {
  position: Position;
  /** What this pass leaves for the next (besides the driver's written changes). */
  remember: Partial<RampMemory>;
  /** The figures of the step judged healthy in this pass. */
  judged?: StepFigures;
}

/** A percent as CloudFront's weight (0–0.15) and back, rounded so that 5 is never 4.999999. */
export const weightOf = (percent: number) => Math.round(percent * 1000) / 100_000;
export const percentOf = (weight: number) => Math.round(weight * 100_000) / 1000;

const stepName = (params: Pick<RampParams, 'steps'>, index: number) =>
  `step ${index + 1} of ${params.steps.length} (${params.steps[index]}% of viewers)`;

/** The ETag the staging must still carry: the parameter, or what the token pinned. A token can only add the check. */
export function expectedEtag(params: Pick<RampParams, 'expectedStagingEtag'>, memory: RampMemory): string | undefined {
  const pinned = memory.pinnedEtag;
  if (pinned && params.expectedStagingEtag && pinned !== params.expectedStagingEtag)
    throw new ContinuationError(
      (w) =>
        `${w.token} is pinned to staging ETag ${pinned}, but ${w.param('ExpectedStagingETag')} is ` +
        `${params.expectedStagingEtag}: the token belongs to another release. Nothing was changed; ` +
        `${w.rerun} without the token.`,
    );
  return params.expectedStagingEtag ?? pinned;
}

const RAMP_FIX =
  'check the staging stack outputs passed to the ramp (StagingDistributionId, ContinuousDeploymentPolicyId).';

/**
 * Checks the live state and says where the ramp stands. Refuses, with nothing written: a staging that is no longer
 * the release reviewed, no policy (or another) attached, a disabled policy (the watch or an abort took the canary off
 * the air: the ramp never switches it back on), and a weight it did not set once it has started.
 */
export function locate(state: RampState, params: RampParams, memory: RampMemory): Position {
  const { primary, staging, policy } = state;
  checkIsPrimary(primary, 'it must be the production distribution that keeps the aliases.');
  checkIsStaging(staging, RAMP_FIX);
  const expected = expectedEtag(params, memory);
  if (expected && staging.etag !== expected)
    throw new StateCheckError(
      (w) =>
        `staging ${staging.id} now carries ETag ${staging.etag}, not ${w.param('ExpectedStagingETag', expected)}: ` +
        'it is no longer the release enable-CD put up, so no weight was changed. ' +
        'Run the pipeline again for the new one.',
    );
  if (carriesSameConfig(primary.config, staging.config))
    return {
      kind: 'nothing-to-ramp',
      reason: `staging ${staging.id} serves the same config as primary ${primary.id}: there is no canary to ramp`,
    };
  const attached = attachedPolicyId(primary.config);
  if (!policy || !attached)
    throw new StateCheckError(
      `no continuous deployment policy is attached to primary ${primary.id}: run enable-CD before the ramp. ` +
        'Nothing was changed.',
    );
  if (params.policyId && attached !== params.policyId)
    throw new StateCheckError(
      (w) =>
        `primary ${primary.id} has policy ${attached} attached, not ${w.param('ContinuousDeploymentPolicyId')} ` +
        `${params.policyId}. Nothing was changed.`,
    );
  checkPolicyRoutesTo(policy, staging, RAMP_FIX, primary.id);
  if (policy.config.Enabled !== true)
    throw new StateCheckError(
      `continuous deployment policy ${policy.id} is disabled: the canary was taken off the air (by the canary ` +
        'watch, an abort or a promotion), so the ramp stops here and does not switch it back on. Nothing was changed.',
    );
  const routing = routingOf(policy.config);
  if (routing.type === 'header' && memory.started === 'true')
    // Only another writer puts a policy this ramp moved to a weight back on header routing (a late enable-CD after a
    // rollback, a person): starting the ladder again would re-expose a release the watch or the ramp took off the air.
    throw new StateCheckError(
      `policy ${policy.id} is back on header routing (${routing.header}) after the ramp had set a weight: ` +
        'another writer changed it while the ramp ran, so the ramp stops here and does not start its ladder again. ' +
        'Nothing was changed.',
    );
  if (routing.type === 'header') return { kind: 'start', from: `header routing (${routing.header})` };
  if (routing.type !== 'weight')
    throw new StateCheckError(`policy ${policy.id} has traffic type ${routing.trafficType}, which the ramp cannot set`);
  const percent = percentOf(routing.weight);
  const index = params.steps.indexOf(percent);
  if (memory.started === 'true') {
    if (index === -1)
      throw new StateCheckError(
        `policy ${policy.id} routes ${percent}% of viewers, which is no step of the ladder ` +
          `[${params.steps.join(', ')}]: another writer changed it while the ramp ran, so the ramp stops here. ` +
          'Nothing was changed.',
      );
    return { kind: 'step', index };
  }
  if (index === 0) return { kind: 'step', index };
  if (params.probes.length)
    throw new StateCheckError(
      `policy ${policy.id} already routes ${percent}% of viewers by weight: the probes must run before any viewer ` +
        'is routed, with the policy on header routing. Give the staging stack a SingleHeader TrafficConfig ' +
        '(the ramp sets the weights), or leave Probes out. Nothing was changed.',
    );
  return { kind: 'start', from: `a weight of ${percent}% set before the ramp` };
}

/** When the current step's bake started: remembered for this policy ETag, never before the policy's last change. */
export function bakeStartOf(state: Pick<RampState, 'policy' | 'policyModified' | 'now'>, memory: RampMemory): number {
  const remembered = Number(memory.bakeStart);
  const valid =
    memory.bakeEtag !== undefined &&
    memory.bakeEtag === state.policy?.etag &&
    Number.isFinite(remembered) &&
    remembered <= state.now &&
    remembered >= (state.policyModified ?? Number.NEGATIVE_INFINITY);
  return valid ? remembered : state.now;
}

/**
 * A step's own window: whole minutes from the first minute that starts at or after the bake start (traffic of the
 * step below never counts), to the end of the current minute; at least one minute, possibly still ahead.
 */
export function stepWindow(bakeStart: number, now: number): MetricsWindow {
  const start = Math.ceil(bakeStart / MINUTE_MS) * MINUTE_MS;
  const end = Math.max(Math.ceil(now / MINUTE_MS) * MINUTE_MS, start + MINUTE_MS);
  return { start: new Date(start), end: new Date(end), minutes: (end - start) / MINUTE_MS };
}

/**
 * What the read must add to the distributions and policy: the probes, a step's window once its bake is over, and the
 * alarms (when named) on every pass at a step — propagating, baking or judged — and before the first weight.
 */
export function extraReads(
  state: RampState,
  params: RampParams,
  memory: RampMemory,
): { probes: boolean; alarms: boolean; window?: MetricsWindow } {
  let position: Position;
  try {
    position = locate(state, params, memory);
  } catch {
    return { probes: false, alarms: false }; // the plan refuses with the same error, from the same state
  }
  const alarms = params.alarms.length > 0;
  const deployed = isDeployed(state.primary) && isDeployed(state.staging);
  if (position.kind === 'nothing-to-ramp') return { probes: false, alarms: false };
  if (!deployed) return { probes: false, alarms: alarms && position.kind === 'step' };
  if (position.kind === 'start')
    return { probes: params.probes.length > 0 && position.from.startsWith('header'), alarms };
  const bakeStart = bakeStartOf(state, memory);
  if (state.now < bakeStart + params.stepMinutes * MINUTE_MS) return { probes: false, alarms };
  return { probes: false, alarms, window: stepWindow(bakeStart, state.now) };
}

/** The alarms in ALARM a failure names; it counts the others. */
const NAMED_ALARMS = 3;
/** The longest alarm phrase kept in the token (2048 characters in all, the ladder's figures among them). */
const MAX_ALARM_PHRASE = 600;

/** The alarms in ALARM in one phrase, e.g. `alarm site-5xx (us-east-1) is in ALARM`, for the failure and the token. */
export function ringingPhrase(ringing: readonly AlarmReading[]): string {
  const names = ringing.slice(0, NAMED_ALARMS).map(alarmLabel).join(', ');
  const more = ringing.length > NAMED_ALARMS ? ` and ${ringing.length - NAMED_ALARMS} more` : '';
  const phrase = ringing.length === 1 ? `alarm ${names} is in ALARM` : `alarms ${names}${more} are in ALARM`;
  return phrase.length > MAX_ALARM_PHRASE ? `${phrase.slice(0, MAX_ALARM_PHRASE - 1)}…` : phrase;
}

/** What the alarms add to a healthy judgement: the ones judged, and the ones DescribeAlarms did not find. */
function alarmsNote(alarms: AlarmStates | undefined): string {
  if (!alarms) return '';
  const judged = alarms.readings.length ? `; no alarm in ALARM (${alarms.readings.map(alarmLabel).join(', ')})` : '';
  const missing = alarms.missing.length
    ? `; alarm(s) ${alarms.missing.map(alarmLabel).join(', ')} not found by DescribeAlarms, not judged`
    : '';
  return `${judged}${missing}`;
}

/** The alarms of `AlarmNames` in ALARM in this pass; a pass that should have read them and did not is a defect. */
function ringingAlarms(state: RampState, params: RampParams): AlarmReading[] {
  if (!params.alarms.length) return [];
  if (!state.alarms) throw new Error('ramp: the alarms were not read');
  return alarmsInAlarm(state.alarms.readings);
}

const setWeight = (policy: PolicyState, params: RampParams, index: number, reason: string): RampChange => ({
  kind: 'set-weight',
  policyId: policy.id,
  percent: params.steps[index] as number,
  stepIndex: index,
  reason,
});

/** The probes that did not answer as expected, one phrase each. */
export function failedProbes(results: readonly ProbeResult[]): string[] {
  return results.flatMap((r) => {
    if (r.error) return [`${r.probe.path}: ${r.error}`];
    if (r.status !== r.probe.status) return [`${r.probe.path}: HTTP ${r.status}, expected ${r.probe.status}`];
    if (r.matched === false) return [`${r.probe.path}: the body does not contain ${JSON.stringify(r.probe.contains)}`];
    return [];
  });
}

/** The gate's thresholds, as the failure names them. */
function thresholds(gate: GateParams): string {
  const parts = [`MinStagingRequests ${gate.minStagingRequests ?? requiredStagingRequests(gate)}`];
  if (gate.maxStaging5xxErrorRate !== undefined) parts.push(`MaxStaging5xxErrorRate ${gate.maxStaging5xxErrorRate}%`);
  if (gate.maxErrorRateIncrease !== undefined) parts.push(`MaxErrorRateIncrease ${gate.maxErrorRateIncrease}`);
  return parts.join(', ');
}

const propagating = (state: RampState, reason: string) =>
  waitFor(
    PHASE.propagating,
    reason,
    [state.primary, state.staging].filter((d) => !isDeployed(d)).map((d) => d.id),
  );

/** Checks the state and plans this pass: the probes and the first weight, a step's judgement, or a wait. */
export function planRamp(state: RampState, params: RampParams, memory: RampMemory, phase?: RampPhase): RampPlan {
  if (phase === PHASE.rolledBack) throw rollbackFailure(state, params, memory);
  const position = locate(state, params, memory);
  const pin = !params.expectedStagingEtag && !memory.pinnedEtag ? { pinnedEtag: state.staging.etag } : {};
  const base = { position, remember: { ...pin } };
  if (position.kind === 'nothing-to-ramp') return { ...base, changes: [], next: DONE };
  const policy = state.policy as PolicyState;
  const deployed = isDeployed(state.primary) && isDeployed(state.staging);
  if (position.kind === 'start') {
    if (!deployed)
      return { ...base, changes: [], next: propagating(state, 'primary and staging to be Deployed before the ramp') };
    if (params.probes.length && position.from.startsWith('header')) {
      if (!state.probes) throw new Error('ramp: the probes were not made');
      const failed = failedProbes(state.probes);
      if (failed.length)
        throw new StateCheckError(
          `smoke probes failed through primary ${state.primary.id} with the staging header: ${failed.join('; ')}. ` +
            `No viewer was routed to staging ${state.staging.id} (policy ${policy.id} is still on header routing) ` +
            'and nothing was changed. Fix the release and run the pipeline again.',
        );
    }
    const ringing = ringingAlarms(state, params);
    if (ringing.length)
      // Before any step there is nothing of the ramp's to roll back; the watch judges the same alarms.
      throw new StateCheckError(
        `${ringingPhrase(ringing)} before the ramp's first step: no weight was set (policy ${policy.id} still ` +
          `routes as before, from ${position.from}) and nothing was changed. Fix the release, or wait for the ` +
          'alarm to return to OK, and run the pipeline again.',
      );
    const probed = params.probes.length ? `; ${params.probes.length} probe(s) passed` : '';
    return {
      ...base,
      remember: { ...base.remember, started: 'true' },
      changes: [
        setWeight(policy, params, 0, `the ladder starts at ${params.steps[0]}% (from ${position.from}${probed})`),
      ],
      next: waitFor(PHASE.propagating, `primary ${state.primary.id} to be Deployed at ${stepName(params, 0)}`, [
        state.primary.id,
      ]),
    };
  }
  const { index } = position;
  const started = { ...base.remember, started: 'true' };
  const ringing = ringingAlarms(state, params);
  // An alarm in ALARM is the user's own judgement: the step is unhealthy at once, propagating, baking or judged.
  if (ringing.length)
    return rollBack(state, params, { ...base, remember: started }, index, judgedOf(state, params, index), ringing);
  if (!deployed)
    return {
      ...base,
      remember: started,
      changes: [],
      next: propagating(state, `primary ${state.primary.id} to be Deployed at ${stepName(params, index)}`),
    };
  const bakeStart = bakeStartOf(state, memory);
  const remember = { ...started, bakeEtag: policy.etag, bakeStart: String(bakeStart) };
  const bakedMs = state.now - bakeStart;
  if (bakedMs < params.stepMinutes * MINUTE_MS) {
    const baked = Math.floor(bakedMs / MINUTE_MS);
    const brief = `${stepName(params, index)}: baking, ${baked} of ${params.stepMinutes} minute(s)`;
    return {
      ...base,
      remember,
      changes: [],
      next: waitFor(PHASE.baking, `${stepName(params, index)} to bake ${params.stepMinutes} minute(s)`, [], brief),
    };
  }
  if (!state.traffic) throw new Error('ramp: the step window was not read');
  const { figures } = state.traffic;
  const gate = { ...params.gate, windowMinutes: figures.windowMinutes };
  const subject = { primaryId: state.primary.id, stagingId: state.staging.id, policy };
  const verdict = evaluateGate(gate, figures, subject);
  const judged = judgedOf(state, params, index) as StepFigures;
  if (verdict.kind === 'wait') {
    const needed = requiredStagingRequests(gate);
    return {
      ...base,
      remember,
      changes: [],
      next: waitFor(
        PHASE.baking,
        `${stepName(params, index)} to serve at least ${needed} staging request(s) since it took effect, ` +
          `never advancing on no evidence (${describeFigures(subject, figures)})`,
        [],
        `${stepName(params, index)}: ${figures.staging.requests} of ${needed} staging request(s) since it took effect`,
      ),
    };
  }
  if (verdict.kind === 'refuse') return rollBack(state, params, { ...base, remember }, index, judged, []);
  const passed = { ...remember, figures: appendFigures(memory.figures, judged) };
  const last = index === params.steps.length - 1;
  if (last) return { ...base, remember: passed, judged, changes: [], next: DONE };
  return {
    ...base,
    remember: passed,
    judged,
    changes: [
      setWeight(
        policy,
        params,
        index + 1,
        `${stepName(params, index)} was healthy (${describeFigures(subject, figures)})${alarmsNote(state.alarms)}`,
      ),
    ],
    next: waitFor(PHASE.propagating, `primary ${state.primary.id} to be Deployed at ${stepName(params, index + 1)}`, [
      state.primary.id,
    ]),
  };
}

/** The step's figures, when this pass read its window. */
function judgedOf(state: RampState, params: RampParams, index: number): StepFigures | undefined {
  if (!state.traffic) return undefined;
  const { figures } = state.traffic;
  return {
    percent: params.steps[index] as number,
    windowMinutes: figures.windowMinutes,
    staging: figures.staging,
    primary: figures.primary,
  };
}

/**
 * Takes the viewers off an unhealthy step the way the watch does (the policy disabled) and, with `RampHeader`, puts
 * the policy back on header routing in the same ETag-guarded write: a ramp's weights end with its release. The next
 * pass fails naming the step, its weight, and its figures (when its window was read) or the alarms in ALARM.
 */
function rollBack(
  state: RampState,
  params: RampParams,
  base: Pick<RampPlan, 'position' | 'remember'>,
  index: number,
  judged: StepFigures | undefined,
  ringing: readonly AlarmReading[],
): RampPlan {
  const disable = planDisable(state.primary, state.policy);
  if (!disable) throw new Error('ramp: an enabled attached policy has nothing to disable');
  const why = ringing.length ? `${ringingPhrase(ringing)}; ` : '';
  const header = params.rampHeader;
  const restore = header
    ? `, and put back on header routing (${header.header}: ${header.value}) in the same write, so that the next ` +
      "release's enable-CD finds no weight of this ramp to switch back on"
    : '';
  return {
    ...base,
    remember: {
      ...base.remember,
      unhealthy: `${index}|${judged ? encodeFigures([judged]) : ''}`,
      ...(ringing.length ? { alarms: ringingPhrase(ringing) } : {}),
    },
    changes: [
      {
        ...disable,
        ...(header ? { header } : {}),
        reason: `${stepName(params, index)} is unhealthy: ${why}${disable.reason}${restore}`,
      },
    ],
    next: waitFor(PHASE.rolledBack, `primary ${state.primary.id} to take the viewers back from staging`, [
      state.primary.id,
    ]),
  };
}

/**
 * How viewers reach the staging once the ramp is done, for the approval's CustomData (which then shows these instead
 * of enable-CD's, written while the policy was still on header routing): by weight only, the header no longer does.
 */
export function routingAfterRamp(state: Pick<RampState, 'primary' | 'policy'>): Record<string, string> {
  const routing = state.policy ? routingOf(state.policy.config) : undefined;
  const type = state.policy?.config.TrafficConfig?.Type ?? 'none';
  if (routing?.type !== 'weight')
    return { TrafficType: type, HowToReachStaging: `policy ${state.policy?.id ?? '(none)'} routes by ${type}` };
  const ttl = routing.stickiness;
  const sticky = ttl
    ? ', each viewer kept on it by the x-amz-continuous-deployment-state cookie ' +
      `(idle ${ttl.idleTTL}s, max ${ttl.maximumTTL}s)`
    : '';
  return {
    TrafficType: 'SingleWeight',
    HowToReachStaging:
      `about ${Math.round(routing.weight * 100_000) / 1000}% of viewers of https://${state.primary.domainName}/ ` +
      `are routed to staging by weight${sticky}; no request header selects it since the ramp's first step`,
  };
}

/** The failure reported the pass after a rollback, naming the step, its weight and its figures. */
export function rollbackFailure(state: RampState, params: RampParams, memory: RampMemory): StateCheckError {
  const [indexText, encoded] = (memory.unhealthy ?? '').split('|');
  const index = Number(indexText);
  const figures = encoded ? decodeFigures(encoded)[0] : undefined;
  const alarms = memory.alarms || undefined;
  if ((!figures && !alarms) || indexText === '' || !Number.isInteger(index) || params.steps[index] === undefined)
    throw new ContinuationError((w) => `${w.token} has phase ${PHASE.rolledBack} without the step it rolled back`);
  const policy = state.policy;
  const where =
    policy && policy.config.Enabled === true
      ? `policy ${policy.id} is enabled again (another writer): run the abort action to take viewers off staging`
      : `policy ${policy?.id ?? '(detached)'} was disabled${onHeader(policy)}: all traffic goes back to primary ` +
        `${state.primary.id} as it propagates (the rollback the canary watch makes)`;
  const why = [
    ...(alarms ? [alarms] : []),
    ...(figures ? [`${describeStep(figures)} (thresholds: ${thresholds(params.gate)})`] : []),
  ];
  return new StateCheckError(
    `ramp ${stepName(params, index)} was unhealthy: ${why.join('; ')}; ${where}. ` +
      'Fix the release and run the pipeline again.',
  );
}

/** `and put back on header routing (…)` when the rolled-back policy routes by header, as `RampHeader` leaves it. */
function onHeader(policy: PolicyState | undefined): string {
  const routing = policy ? routingOf(policy.config) : undefined;
  return routing?.type === 'header' ? ` and put back on header routing (${routing.header}: ${routing.value})` : '';
}

/**
 * The config of a rolled-back step: disabled, and with `header` (`RampHeader`) on header routing, in one write. The
 * disable is what takes viewers off the staging; the header routing is what the next release's enable-CD finds.
 */
export function withRollback(config: PolicyState['config'], header: StagingHeader | undefined): PolicyState['config'] {
  return { ...(header ? withHeaderRouting(config, header) : config), Enabled: false };
}

/** One step's figures in a phrase: requests and 5xx rate, against the primary. */
export function describeStep(f: StepFigures): string {
  const primary = f.primary
    ? `; primary served ${f.primary.requests} request(s), 5xx error rate ${rate(f.primary)}`
    : '';
  return (
    `at ${f.percent}%, staging served ${f.staging.requests} request(s) in ${f.windowMinutes} minute(s), ` +
    `5xx error rate ${rate(f.staging)}${primary}`
  );
}

const rate = (t: TrafficFigures) => (t.errorRate5xx === undefined ? 'no data' : `${formatRate(t.errorRate5xx)}%`);

/** The steps' figures as the token carries them: `percent:minutes:requests:rate:primaryRequests:primaryRate`, ','. */
export function encodeFigures(list: readonly StepFigures[]): string {
  const n = (x: number | undefined) => (x === undefined ? '-' : formatRate(x));
  return list
    .map((f) =>
      [f.percent, f.windowMinutes, f.staging.requests, n(f.staging.errorRate5xx), n(f.primary?.requests)]
        .concat(n(f.primary?.errorRate5xx))
        .join(':'),
    )
    .join(',');
}

const NUMBER = /^\d+(\.\d+)?$/;

/** Reads figures written by {@link encodeFigures}; a malformed entry is a token this version did not write. */
export function decodeFigures(text: string): StepFigures[] {
  if (text === '') return [];
  return text.split(',').map((entry) => {
    const parts = entry.split(':');
    const ok = parts.length === 6 && parts.every((p, i) => NUMBER.test(p) || (i >= 3 && p === '-'));
    if (!ok) throw new ContinuationError((w) => `${w.token} carries step figures this action did not write`);
    const num = (p: string | undefined) => (p === '-' || p === undefined ? undefined : Number(p));
    const [percent, minutes, requests, stagingRate, primaryRequests, primaryRate] = parts;
    const primary = num(primaryRequests);
    return {
      percent: Number(percent),
      windowMinutes: Number(minutes),
      staging: { requests: Number(requests), errorRate5xx: num(stagingRate) },
      primary: primary === undefined ? undefined : { requests: primary, errorRate5xx: num(primaryRate) },
    };
  });
}

function appendFigures(earlier: string | undefined, judged: StepFigures): string {
  const kept = decodeFigures(earlier ?? '').filter((f) => f.percent !== judged.percent);
  return encodeFigures([...kept, judged]);
}

/**
 * The policy's config at a step's weight. Session stickiness is kept as configured (on a weighted policy); from
 * header routing there is none to keep. Updates replace the whole config, so everything else is sent as read.
 */
export function withStepWeight(config: PolicyState['config'], percent: number): PolicyState['config'] {
  const traffic = config.TrafficConfig;
  const sticky = traffic?.Type === 'SingleWeight' ? traffic.SingleWeightConfig?.SessionStickinessConfig : undefined;
  return {
    ...config,
    TrafficConfig: {
      Type: 'SingleWeight',
      SingleWeightConfig: { Weight: weightOf(percent), ...(sticky ? { SessionStickinessConfig: sticky } : {}) },
    },
  };
}
