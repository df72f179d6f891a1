import { InputError } from '../domain/errors.js';
import { ParamReader, maxWaitMinutes, parseUserParametersJson } from '../domain/params.js';

/** Every UserParameters key abort accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'Mode',
  'ContinuousDeploymentPolicyId',
  'PipelineName',
  'PipelineExecutionId',
  'MaxWaitMinutes',
] as const;

/**
 * disable: policy Enabled=false; detach: also remove it from the primary; teardown: detach, wait, delete the policy.
 */
export const abortModes = ['disable', 'detach', 'teardown'] as const;
export type AbortMode = (typeof abortModes)[number];

export interface AbortParams {
  primaryId: string;
  mode: AbortMode;
  /**
   * Teardown only: the policy to delete when the primary no longer names it — e.g. a teardown that detached it and
   * then failed, whose retry (a new job, without the continuation token) could not otherwise find it.
   */
  policyId: string | undefined;
  /**
   * The pipeline execution whose release is rolled back (from the EventBridge event): abort then acts only while the
   * staging still carries the config that execution put up for review, never on a newer release's canary.
   */
  execution: { pipelineName: string; executionId: string } | undefined;
  maxWaitMinutes: number;
}

/** Parses abort's parameters from an already-decoded object (a plain EventBridge event or parsed UserParameters). */
export function parseAbortObject(values: Record<string, unknown>): AbortParams {
  const p = new ParamReader(values, parameterNames);
  const params: AbortParams = {
    primaryId: p.distributionId('PrimaryDistributionId'),
    mode: p.optionalEnum('Mode', abortModes) ?? 'disable',
    policyId: p.optionalPolicyId('ContinuousDeploymentPolicyId'),
    execution: p.optionalPipelineExecution(),
    maxWaitMinutes: maxWaitMinutes(p),
  };
  if (params.policyId && params.mode !== 'teardown') {
    // disable and detach act on the policy the primary names; accepting another id would suggest otherwise.
    throw new InputError(
      'ContinuousDeploymentPolicyId',
      'is only used with Mode teardown (the other modes act on the policy attached to the primary); ' +
        `got Mode ${params.mode}: leave it out, or set Mode teardown to delete that policy`,
    );
  }
  return params;
}

/** Parses abort's UserParameters string (CodePipeline job); throws InputError naming the field. */
export function parseAbortParams(raw: unknown): AbortParams {
  return parseAbortObject(parseUserParametersJson(raw));
}
