import { ParamReader, maxWaitMinutes, parseUserParametersJson } from '../../shared/domain/params.js';

/** Every UserParameters key enable-CD accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'ContinuousDeploymentPolicyId',
  'StaticResourceBucketName',
  'MaxWaitMinutes',
  'InvalidationPaths',
] as const;

export interface EnableCdParams {
  primaryId: string;
  stagingId: string;
  policyId: string;
  /** The OAC origin bucket to grant the staging read access in; absent = not an OAC bucket origin, no grant. */
  bucket: string | undefined;
  maxWaitMinutes: number;
  /**
   * `InvalidationPaths`: invalidated on the staging once it is Deployed, before viewers are routed to it (default
   * `["/*"]`); empty when the operator turned invalidation off.
   */
  invalidationPaths: string[];
}

/** Parses enable-CD's UserParameters; throws InputError naming the field. */
export function parseEnableCdParams(raw: unknown): EnableCdParams {
  const p = new ParamReader(parseUserParametersJson(raw), parameterNames);
  return {
    ...p.primaryAndStaging(),
    policyId: p.policyId('ContinuousDeploymentPolicyId'),
    bucket: p.optionalBucketName('StaticResourceBucketName'),
    maxWaitMinutes: maxWaitMinutes(p),
    invalidationPaths: p.invalidationPaths(),
  };
}
