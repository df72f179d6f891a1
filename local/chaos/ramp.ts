/**
 * Ramped releases under chaos. The chaos run ramps some releases only, a virtual minute per pass, which the template's
 * RampCanary action (run by npm start) would not, so the run plays it: once enable-CD
 * reported the canary live (header routing), the ramp's built bundle runs as CodePipeline would run it between
 * enable-CD and the approval — one job per pass through the same faulty Lambda service, re-invoked a (virtual) minute
 * later with its continuation token while viewers keep coming — and a failed ramp fails the release as a failed
 * action would (the run then answers the approval with a rejection, which ends the execution the same way).
 *
 * The invariant: the weight only moves up along the ladder, each move after a healthy judgement of the step before.
 * It is checked from the policy's history (every change the emulator's state showed after a policy write, with the
 * worker that wrote it) and from what the ramp logged (its `plan` lines name the step judged healthy with its
 * figures, its `state-read` lines the window judged).
 */
import { evaluateGate } from '../../shared/domain/gate.js';
import type { InvocationResult, Invokers, LogLine } from '../pipeline/lambda.js';

/** The ladder every ramped cycle climbs, and how each step is judged (StepMinutes 1 on the virtual clock). */
export const RAMP_STEPS = [1, 5, 15];
export const RAMP_MIN_STAGING_REQUESTS = 5;
export const RAMP_MAX_5XX = 5;
export const RAMP_MAX_WAIT_MINUTES = 30;
/** Fresh viewers per virtual minute between passes: about 5 reach staging at the first step (1 %). */
export const RAMP_VIEWERS_PER_MINUTE = 600;

/** The ramp's UserParameters for a cycle. */
export function rampParameters(v: {
  primaryId: string;
  stagingId: string;
  policyId: string;
  stagingEtag: string;
  probes: { baseUrl: string; version: string } | undefined;
}): Record<string, unknown> {
  return {
    // As the template passes it with RampSteps: the rollback puts the policy back on this header routing.
    RampHeader: RAMP_HEADER,
    PrimaryDistributionId: v.primaryId,
    StagingDistributionId: v.stagingId,
    ContinuousDeploymentPolicyId: v.policyId,
    ExpectedStagingETag: v.stagingEtag,
    Steps: RAMP_STEPS,
    StepMinutes: 1,
    MinStagingRequests: RAMP_MIN_STAGING_REQUESTS,
    MaxStaging5xxErrorRate: RAMP_MAX_5XX,
    MaxWaitMinutes: RAMP_MAX_WAIT_MINUTES,
    ...(v.probes
      ? { Probes: ['/', { Path: '/', Contains: `site ${v.probes.version}` }], ProbeBaseUrl: v.probes.baseUrl }
      : {}),
  };
}

/** One state of the policy as the emulator showed it: routing, and who wrote it (the worker, or `outside`). */
export interface PolicyEntry {
  /** Virtual time. */
  at: number;
  by: string;
  enabled: boolean;
  /** Percent when routing by weight; undefined for header routing. */
  percent: number | undefined;
}

/** Keeps the policy's changes: `observe` is called after every policy write and whenever the run looks. */
export class PolicyHistory {
  readonly entries: PolicyEntry[] = [];

  observe(entry: PolicyEntry): void {
    const last = this.entries[this.entries.length - 1];
    if (last && last.enabled === entry.enabled && last.percent === entry.percent) return;
    this.entries.push(entry);
  }
}

/** What a ramp's lines say it judged healthy: the step's weight, its figures' verdict, and its window's start. */
interface Judged {
  percent: number;
  healthy: boolean;
  windowStart: number | undefined;
  detail: string;
}

/** The healthy judgements the ramp logged (`plan` lines with `judged`), each with the window its pass read. */
export function judgementsOf(logs: readonly LogLine[]): Judged[] {
  const out: Judged[] = [];
  let windowStart: number | undefined;
  for (const line of logs) {
    if (line.function !== 'ramp') continue;
    if (line.event === 'state-read') {
      const w = line.window as { start?: string } | undefined;
      windowStart = w?.start ? Date.parse(w.start) : undefined;
    }
    const judged = line.event === 'plan' ? (line.judged as JudgedLine | undefined) : undefined;
    if (!judged) continue;
    const figures = { windowMinutes: judged.windowMinutes, staging: judged.staging, primary: judged.primary };
    const gate = {
      minStagingRequests: RAMP_MIN_STAGING_REQUESTS,
      maxStaging5xxErrorRate: RAMP_MAX_5XX,
      maxErrorRateIncrease: undefined,
      windowMinutes: judged.windowMinutes,
    };
    // The gate's own rules, re-applied to the figures the ramp logged: a step it moved past must pass them.
    const verdict = evaluateGate(gate, figures, { primaryId: 'primary', stagingId: 'staging', policy: undefined });
    out.push({
      percent: judged.percent,
      healthy: verdict.kind === 'pass',
      windowStart,
      detail: `${judged.staging.requests} request(s), 5xx ${judged.staging.errorRate5xx ?? 'no data'}%`,
    });
  }
  return out;
}

interface JudgedLine {
  percent: number;
  windowMinutes: number;
  staging: { requests: number; errorRate5xx: number | undefined };
  primary: { requests: number; errorRate5xx: number | undefined } | undefined;
}

/**
 * Checks one ramp run (an action execution: its passes, from header routing): every weight on the ladder, each a
 * step above the one before, written by the ramp, each step above the first after a healthy judgement of the step
 * below on a window that started once that step was written; and never a ramp write that enables a disabled policy.
 * Returns the problems found (none: the invariant held).
 */
export function checkRampRun(
  history: readonly PolicyEntry[],
  logs: readonly LogLine[],
  steps: readonly number[] = RAMP_STEPS,
): string[] {
  const problems: string[] = [];
  const judged = judgementsOf(logs);
  let index = -1;
  let setAt: number | undefined;
  let disabled = false;
  let previous: PolicyEntry | undefined;
  for (const e of history) {
    const byRamp = e.by.startsWith('ramp');
    if (!e.enabled) {
      disabled = true;
      previous = e;
      continue;
    }
    if (disabled && byRamp && previous && !previous.enabled)
      problems.push(`${e.by} enabled the policy again after it was disabled`);
    if (e.percent === undefined) {
      previous = e;
      continue;
    }
    const at = steps.indexOf(e.percent);
    if (!byRamp) problems.push(`${e.by} set the weight to ${e.percent}% while the ramp ran`);
    else if (at === -1) problems.push(`${e.by} set ${e.percent}%, which is no step of [${steps.join(', ')}]`);
    else if (at !== index + 1 && at !== index)
      problems.push(`${e.by} moved the weight from ${steps[index] ?? 'header routing'} to ${e.percent}%`);
    else if (at === index + 1 && at > 0) {
      const below = steps[at - 1] as number;
      const healthy = judged.find(
        (j) => j.percent === below && j.healthy && (j.windowStart ?? 0) >= Math.floor((setAt ?? 0) / 60_000) * 60_000,
      );
      if (!healthy) {
        const seen = judged.filter((j) => j.percent === below);
        problems.push(
          `${e.by} moved the weight up to ${e.percent}% without a healthy judgement of ${below}% on its own window ` +
            `(judgements logged for ${below}%: ${seen.length ? seen.map((j) => j.detail).join('; ') : 'none'})`,
        );
      }
    }
    if (at !== -1 && at !== index) {
      index = at;
      setAt = e.at;
    }
    previous = e;
  }
  return problems;
}

/** The header a ramped pipeline hands enable-cd (the template's `RampHeader` when RampSteps is set). */
export const RAMP_HEADER = 'aws-cf-cd-staging: true';

/**
 * The functions as a ramped pipeline runs them: while `ramping()` (the cycle in the Release stage is ramped — the stage
 * holds one execution at a time), the UserParameters of `functions` get `RampHeader`, as the template passes it with
 * RampSteps set; the other cycles run as a pipeline without a ramp (RampHeader "").
 */
export function withRampHeader(invokers: Invokers, functions: readonly string[], ramping: () => boolean): Invokers {
  const wrapped: Invokers = { ...invokers };
  for (const name of functions) {
    const fn = invokers[name];
    if (!fn) throw new Error(`no ${name} function to give RampHeader to`);
    wrapped[name] = {
      invoke: (event: unknown, timeoutMs?: number): Promise<InvocationResult> =>
        fn.invoke(ramping() ? withParameter(event, 'RampHeader', RAMP_HEADER) : event, timeoutMs),
    };
  }
  return wrapped;
}

/** A CodePipeline job event with one UserParameters key set (when it is empty or absent). */
function withParameter(event: unknown, key: string, value: string): unknown {
  const e = event as {
    'CodePipeline.job'?: { data?: { actionConfiguration?: { configuration?: { UserParameters?: string } } } };
  };
  const configuration = e['CodePipeline.job']?.data?.actionConfiguration?.configuration;
  if (!configuration?.UserParameters) return event;
  const params = JSON.parse(configuration.UserParameters) as Record<string, unknown>;
  if (params[key] !== '' && params[key] !== undefined) return event;
  const copy = structuredClone(e);
  const target = copy['CodePipeline.job']?.data?.actionConfiguration?.configuration;
  if (target) target.UserParameters = JSON.stringify({ ...params, [key]: value });
  return copy;
}
