import { type GateParams, parseGate } from '../../shared/domain/gate.js';
import { ParamReader, maxWaitMinutes, parseUserParametersJson } from '../../shared/domain/params.js';

/** Every UserParameters key promote accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'ContinuousDeploymentPolicyId',
  'ExpectedStagingETag',
  'MaxWaitMinutes',
  'MinStagingRequests',
  'MaxStaging5xxErrorRate',
  'MaxErrorRateIncrease',
  'MetricsWindowMinutes',
  'InvalidationPaths',
] as const;

export interface PromoteParams {
  primaryId: string;
  stagingId: string;
  /**
   * The policy the primary must have attached (the staging stack's output). When given, primary, staging and policy
   * are read in one round instead of reading the policy after the primary names it.
   */
  policyId: string | undefined;
  /**
   * The staging's ETag when the reviewer looked at it (enable-CD's `StagingETag`): promote refuses, with no write,
   * a staging that has changed since.
   */
  expectedStagingEtag: string | undefined;
  maxWaitMinutes: number;
  /**
   * `InvalidationPaths`: invalidated on the primary once it is Deployed with the promoted config (default `["/*"]`);
   * empty when the operator turned invalidation off.
   */
  invalidationPaths: string[];
  /** Undefined when no gate threshold is set: promote then reads no metric at all. */
  gate: GateParams | undefined;
}

/** Parses promote's UserParameters; throws InputError naming the field. */
export function parsePromoteParams(raw: unknown): PromoteParams {
  const p = new ParamReader(parseUserParametersJson(raw), parameterNames);
  return {
    ...p.primaryAndStaging(),
    policyId: p.optionalPolicyId('ContinuousDeploymentPolicyId'),
    expectedStagingEtag: p.optionalEtag('ExpectedStagingETag'),
    maxWaitMinutes: maxWaitMinutes(p),
    invalidationPaths: p.invalidationPaths(),
    gate: parseGate(p, 'MetricsWindowMinutes'),
  };
}
