import { type GateParams, parseGate } from '../../shared/domain/gate.js';
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

export interface PromoteParams {
  primaryId: string;
  stagingId: string;
  maxWaitMinutes: number;
  /** Undefined when no gate threshold is set: promote then reads no metric at all. */
  gate: GateParams | undefined;
}

/** Parses promote's UserParameters; throws ConfigurationError naming the field. */
export function parsePromoteParams(raw: unknown): PromoteParams {
  const p = new ParamReader(parseUserParametersJson(raw), parameterNames);
  return {
    ...p.primaryAndStaging(),
    maxWaitMinutes: maxWaitMinutes(p),
    gate: parseGate(p, 'MetricsWindowMinutes'),
  };
}
