/**
 * The ramp's UserParameters: the ladder of weights, the bake per step, the gate's thresholds and the alarms each step
 * is judged by, and the smoke probes made before any viewer is routed. Every problem is an {@link InputError} naming
 * the field, raised before the ramp makes any AWS call.
 */
import { type AlarmRef, parseAlarmNames } from '../../shared/domain/alarms.js';
import { InputError } from '../../shared/domain/errors.js';
import { type GateParams, judgesErrorRate, parseGate } from '../../shared/domain/gate.js';
import { ParamReader, describe, jsonKind, parseUserParametersJson, present } from '../../shared/domain/params.js';
import { type StagingHeader, parseRampHeader } from '../../shared/domain/ramp-header.js';

/** Every UserParameters key the ramp accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'ContinuousDeploymentPolicyId',
  'ExpectedStagingETag',
  'Steps',
  'StepMinutes',
  'MinStagingRequests',
  'MaxStaging5xxErrorRate',
  'MaxErrorRateIncrease',
  'AlarmNames',
  'Probes',
  'ProbeBaseUrl',
  'MaxWaitMinutes',
  'RampHeader',
] as const;

/** CloudFront's ceiling for weighted routing: 15 % of viewers (`Weight` 0.15). */
export const MAX_STEP_PERCENT = 15;
/** One step per whole percent is already more than anyone bakes through; 15 also bounds the token's figures. */
export const MAX_STEPS = 15;
/** The bake per step when `StepMinutes` is not given. */
export const DEFAULT_STEP_MINUTES = 5;
/**
 * What each step may wait beyond its bake, when `MaxWaitMinutes` is not given: the policy change's propagation
 * (minutes; weighted routing was observed to start about 10 minutes after a change) and CloudWatch's lag.
 */
export const DEFAULT_WAIT_PER_STEP_MINUTES = 30;
/** The requests a step must serve when `MinStagingRequests` is not given: a step with no traffic proves nothing. */
export const DEFAULT_RAMP_MIN_STAGING_REQUESTS = 100;
export const MAX_PROBES = 20;
const MAX_CONTAINS = 200;
const DAY_MINUTES = 24 * 60;

/** One smoke probe: a path requested through the primary with the staging header, and what it must answer. */
export interface Probe {
  path: string;
  /** The HTTP status expected (no redirect is followed: a 301 from a misrouted behaviour is seen as such). */
  status: number;
  /** A substring the body must contain; undefined: any body. */
  contains: string | undefined;
}

export interface RampParams {
  primaryId: string;
  stagingId: string;
  /** The policy that must be attached to the primary; undefined: the one attached. */
  policyId: string | undefined;
  /** The staging's ETag enable-CD reported; undefined: the first pass pins the one it reads. */
  expectedStagingEtag: string | undefined;
  /** The ladder, in percent: each above 0, at most 15, strictly increasing. */
  steps: number[];
  stepMinutes: number;
  /** The gate each step is judged by; always judges an error rate and needs some requests. */
  gate: GateParams;
  /**
   * Alarms (the canary's, as the watch judges them) whose ALARM state makes the current step unhealthy at once;
   * empty when none is named. They only ever fail a step: a step advances on its own traffic's figures, never on
   * alarms alone.
   */
  alarms: AlarmRef[];
  probes: Probe[];
  /** Where the probes are sent (the primary's `https://<domain>` when undefined); the local data plane sets it. */
  probeBaseUrl: string | undefined;
  maxWaitMinutes: number;
  /**
   * `RampHeader` (enable-CD's, the same value): the header routing an unhealthy step's rollback puts the policy back
   * on, disabled, in the same write, so that no weight of this ramp outlives its release. Undefined: the rollback only
   * disables (the weight stays, as the watch's does).
   */
  rampHeader: StagingHeader | undefined;
}

/** A JSON array given as such, or as a string holding one (pipeline variables and cfcd flags pass strings). */
function jsonArray(raw: unknown, field: string, example: string): unknown[] {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InputError(field, `must be a JSON array such as ${example}, got ${describe(raw)}`);
    }
  }
  if (!Array.isArray(value))
    throw new InputError(field, `must be a JSON array such as ${example}, got ${jsonKind(value)} ${describe(value)}`);
  return value;
}

/** `Steps`: percentages, each above 0 and at most 15, strictly increasing, at most {@link MAX_STEPS}. */
export function parseSteps(raw: unknown, field = 'Steps'): number[] {
  if (!present(raw)) throw new InputError(field, 'is required (the weight ladder in percent, such as [1, 5, 15])');
  const value = jsonArray(raw, field, '[1, 5, 15]');
  if (value.length === 0) throw new InputError(field, 'is empty; give at least one step, such as [1, 5, 15]');
  if (value.length > MAX_STEPS) throw new InputError(field, `has ${value.length} steps; at most ${MAX_STEPS}`);
  const steps: number[] = [];
  for (const [i, item] of value.entries()) {
    const at = `step ${i + 1}`;
    if (typeof item !== 'number' || !Number.isFinite(item))
      throw new InputError(field, `${at} must be a number (a percentage), got ${describe(item)}`);
    if (item <= 0 || item > MAX_STEP_PERCENT)
      throw new InputError(
        field,
        `${at} is ${item}; each step must be above 0 and at most ${MAX_STEP_PERCENT} ` +
          '(CloudFront routes at most 15 % of viewers to staging; promotion then takes it to 100 %)',
      );
    if (Math.round(item * 1000) !== item * 1000)
      throw new InputError(field, `${at} is ${item}; at most 3 decimals (CloudFront's weight has 5)`);
    const before = steps[steps.length - 1];
    if (before !== undefined && item <= before)
      throw new InputError(
        field,
        `${at} (${item}) must be above the step before it (${before}): the ladder only rises`,
      );
    steps.push(item);
  }
  return steps;
}

const PROBE_KEYS = ['Path', 'Status', 'Contains'];

/** One `Probes` item: a path, or `{"Path": "/", "Status": 200, "Contains": "…"}`. */
function parseProbe(item: unknown, at: string, field: string): Probe {
  const object =
    typeof item === 'string' ? { Path: item } : item && typeof item === 'object' && !Array.isArray(item) ? item : null;
  if (!object)
    throw new InputError(
      field,
      `${at} must be a path or an object {"Path", "Status", "Contains"}, got ${describe(item)}`,
    );
  const values = object as Record<string, unknown>;
  const unknown = Object.keys(values).find((k) => !PROBE_KEYS.includes(k));
  if (unknown)
    throw new InputError(field, `${at} has the unknown key ${describe(unknown)}; known: Path, Status, Contains`);
  const { Path: path, Status: status, Contains: contains } = values;
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw new InputError(field, `${at}: Path must be a string starting with "/", got ${describe(path)}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused here.
  if (/[\s\u0000-\u001f\u007f#]/.test(path) || path.length > 1024)
    throw new InputError(
      field,
      `${at}: Path ${describe(path)} must be URL-encoded, without "#", at most 1024 characters`,
    );
  if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599))
    throw new InputError(field, `${at}: Status must be an HTTP status (an integer 100–599), got ${describe(status)}`);
  if (contains !== undefined && (typeof contains !== 'string' || contains === '' || contains.length > MAX_CONTAINS))
    throw new InputError(field, `${at}: Contains must be a non-empty string of at most ${MAX_CONTAINS} characters`);
  return { path, status: (status as number | undefined) ?? 200, contains: contains as string | undefined };
}

/** `Probes`: absent or `[]` = none; else at most {@link MAX_PROBES} probes. */
export function parseProbes(raw: unknown, field = 'Probes'): Probe[] {
  if (!present(raw)) return [];
  const value = jsonArray(raw, field, '["/", {"Path": "/app.js", "Status": 200}]');
  if (value.length > MAX_PROBES) throw new InputError(field, `has ${value.length} probes; at most ${MAX_PROBES}`);
  return value.map((item, i) => parseProbe(item, `probe ${i + 1}`, field));
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `ProbeBaseUrl`: https (http only on this machine's loopback, the local data plane), no query or fragment. */
export function parseProbeBaseUrl(raw: unknown, field = 'ProbeBaseUrl'): string | undefined {
  if (!present(raw)) return undefined;
  let url: URL;
  try {
    if (typeof raw !== 'string') throw new Error('not a string');
    url = new URL(raw);
  } catch {
    throw new InputError(field, `must be a URL such as https://www.example.com, got ${describe(raw)}`);
  }
  const local = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !local)
    throw new InputError(field, `must be an https URL (http only for 127.0.0.1 or localhost), got ${describe(raw)}`);
  if (url.search || url.hash || url.username || url.password)
    throw new InputError(field, `must have no query, fragment or credentials, got ${describe(raw)}`);
  return url.href.replace(/\/+$/, '');
}

/** Parses the ramp's UserParameters (or the object cfcd builds from flags); throws InputError naming the field. */
export function parseRampParams(raw: unknown): RampParams {
  const values = parseUserParametersJson(raw);
  const p = new ParamReader(values, parameterNames);
  const ids = p.primaryAndStaging();
  const policyId = p.optionalPolicyId('ContinuousDeploymentPolicyId');
  const expectedStagingEtag = p.optionalEtag('ExpectedStagingETag');
  const steps = parseSteps(values.Steps);
  const stepMinutes =
    p.optionalNumber('StepMinutes', { min: 0, max: DAY_MINUTES, integer: true }) ?? DEFAULT_STEP_MINUTES;
  // The window is each step's own, not a parameter: the reader is given a name no UserParameters key can have.
  const gate = parseGate(p, 'ramp step window');
  if (!gate || !judgesErrorRate(gate))
    throw new InputError(
      'MaxStaging5xxErrorRate',
      'or MaxErrorRateIncrease is required: each step is judged on its 5xx error rate before the next one',
    );
  // Alarms add failures, never evidence: the error-rate threshold above stays required (docs/ramp.md, Alarms).
  const alarms = parseAlarmNames(values.AlarmNames);
  const probes = parseProbes(values.Probes);
  const probeBaseUrl = parseProbeBaseUrl(values.ProbeBaseUrl);
  if (probeBaseUrl && !probes.length)
    throw new InputError('ProbeBaseUrl', 'is only used with Probes, which is not set');
  const defaultWait = Math.min(DAY_MINUTES, steps.length * (stepMinutes + DEFAULT_WAIT_PER_STEP_MINUTES));
  return {
    ...ids,
    policyId,
    expectedStagingEtag,
    steps,
    stepMinutes,
    gate: { ...gate, minStagingRequests: gate.minStagingRequests ?? DEFAULT_RAMP_MIN_STAGING_REQUESTS },
    alarms,
    probes,
    probeBaseUrl,
    maxWaitMinutes: p.optionalNumber('MaxWaitMinutes', { min: 1, max: DAY_MINUTES, integer: true }) ?? defaultWait,
    rampHeader: parseRampHeader(values.RampHeader),
  };
}
