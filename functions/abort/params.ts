import { ParamReader, maxWaitMinutes, parseUserParametersJson } from '../../shared/params.js';

/** Every UserParameters key abort accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = ['PrimaryDistributionId', 'Mode', 'MaxWaitMinutes'] as const;

/** disable: policy Enabled=false; detach: also remove it from the primary; teardown: detach, wait, delete the policy. */
export const abortModes = ['disable', 'detach', 'teardown'] as const;
export type AbortMode = (typeof abortModes)[number];

export interface AbortParams {
  primaryId: string;
  mode: AbortMode;
  maxWaitMinutes: number;
}

/** Parses abort's parameters from an already-decoded object (a plain EventBridge event or parsed UserParameters). */
export function parseAbortObject(values: Record<string, unknown>): AbortParams {
  const p = new ParamReader(values, parameterNames);
  return {
    primaryId: p.distributionId('PrimaryDistributionId'),
    mode: p.optionalEnum('Mode', abortModes) ?? 'disable',
    maxWaitMinutes: maxWaitMinutes(p),
  };
}

/** Parses abort's UserParameters string (CodePipeline job); throws ConfigurationError naming the field. */
export function parseAbortParams(raw: unknown): AbortParams {
  return parseAbortObject(parseUserParametersJson(raw));
}
