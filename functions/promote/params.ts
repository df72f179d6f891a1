import { ConfigurationError } from '../../shared/errors.js';
import { ParamReader, maxWaitMinutes, parseUserParametersJson } from '../../shared/params.js';

/** Every UserParameters key promote accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = ['PrimaryDistributionId', 'StagingDistributionId', 'MaxWaitMinutes'] as const;

export interface PromoteParams {
  primaryId: string;
  stagingId: string;
  maxWaitMinutes: number;
}

/** Parses promote's UserParameters; throws ConfigurationError naming the field. */
export function parsePromoteParams(raw: unknown): PromoteParams {
  const p = new ParamReader(parseUserParametersJson(raw), parameterNames);
  const params: PromoteParams = {
    primaryId: p.distributionId('PrimaryDistributionId'),
    stagingId: p.distributionId('StagingDistributionId'),
    maxWaitMinutes: maxWaitMinutes(p),
  };
  if (params.primaryId === params.stagingId) {
    throw new ConfigurationError('StagingDistributionId', `must differ from PrimaryDistributionId (both are ${params.primaryId})`);
  }
  return params;
}
