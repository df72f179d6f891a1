import { MAX_WINDOW_MINUTES } from '../../shared/domain/traffic-metrics.js';
import { ParamReader, maxWaitMinutes, parseUserParametersJson } from '../../shared/domain/params.js';

/** Every UserParameters key promote accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'MaxWaitMinutes',
  'MinStagingRequests',
  'MaxStaging5xxErrorRate',
  'MaxErrorRateIncrease',
  'MetricsWindowMinutes',
] as const;

/** The window the gate looks at when `MetricsWindowMinutes` is not given. */
export const DEFAULT_METRICS_WINDOW_MINUTES = 15;

/** The promotion gate's thresholds: what staging must have served, and how well, in the window before promoting. */
export interface GateParams {
  /** `Requests` (Sum) staging must have served in the window. */
  minStagingRequests: number | undefined;
  /** Highest acceptable staging `5xxErrorRate`, percent. */
  maxStaging5xxErrorRate: number | undefined;
  /** Highest acceptable excess of staging's `5xxErrorRate` over the primary's, percentage points. */
  maxErrorRateIncrease: number | undefined;
  windowMinutes: number;
}

export interface PromoteParams {
  primaryId: string;
  stagingId: string;
  maxWaitMinutes: number;
  /** Undefined when no gate threshold is set: promote then reads no metric at all. */
  gate: GateParams | undefined;
}

/**
 * The gate is on when any threshold is set. `MetricsWindowMinutes` alone sets none, so it leaves the gate off: the
 * pipeline template always passes it (with its default) next to thresholds that may be empty.
 */
function parseGate(p: ParamReader): GateParams | undefined {
  const gate: GateParams = {
    minStagingRequests: p.optionalNumber('MinStagingRequests', { min: 1, max: 1_000_000_000, integer: true }),
    maxStaging5xxErrorRate: p.optionalNumber('MaxStaging5xxErrorRate', { min: 0, max: 100 }),
    maxErrorRateIncrease: p.optionalNumber('MaxErrorRateIncrease', { min: 0, max: 100 }),
    // Refused rather than clamped past 15 days: a silently shorter window would judge other traffic than configured.
    windowMinutes:
      p.optionalNumber('MetricsWindowMinutes', { min: 1, max: MAX_WINDOW_MINUTES, integer: true }) ??
      DEFAULT_METRICS_WINDOW_MINUTES,
  };
  const on =
    gate.minStagingRequests !== undefined ||
    gate.maxStaging5xxErrorRate !== undefined ||
    gate.maxErrorRateIncrease !== undefined;
  return on ? gate : undefined;
}

/** Parses promote's UserParameters; throws ConfigurationError naming the field. */
export function parsePromoteParams(raw: unknown): PromoteParams {
  const p = new ParamReader(parseUserParametersJson(raw), parameterNames);
  return {
    ...p.primaryAndStaging(),
    maxWaitMinutes: maxWaitMinutes(p),
    gate: parseGate(p),
  };
}
