import { throwIfCancelled } from './cancellation.js';

/**
 * Typed errors. The job runner maps them to CodePipeline failure types, so nothing here relies on string matching.
 */

/** A UserParameters problem: reported as `ConfigurationError`, raised before any AWS write. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    /** The UserParameters field at fault, e.g. `PrimaryDistributionId`. */
    readonly field: string,
    /** What is wrong with the field, without the `UserParameters.<field>` prefix (for non-CodePipeline events). */
    readonly problem: string,
  ) {
    super(`UserParameters.${field}: ${problem}`);
  }
}

/**
 * The live AWS state does not allow the action (e.g. the staging is not a staging distribution). Raised by the
 * plan before any write; the message says what is wrong and what to run to fix it.
 */
export class StateCheckError extends Error {
  override readonly name = 'StateCheckError';
}

/** An AWS call failed. Carries the operation, the resource and the AWS error name for the person on call. */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(
    readonly operation: string,
    readonly resource: string,
    /** The AWS error code, e.g. `PreconditionFailed`, `AccessDenied`. */
    readonly awsErrorName: string,
    readonly httpStatus: number | undefined,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const status = httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`;
    super(`${operation} on ${resource} failed: ${awsErrorName}${status}: ${detail}`, { cause });
  }
}

/** The AWS error code and HTTP status of an SDK v3 error, whatever its class. */
export function awsErrorOf(err: unknown): { name: string; httpStatus: number | undefined } {
  if (err instanceof AwsCallError) return { name: err.awsErrorName, httpStatus: err.httpStatus };
  // A step wraps the AWS error; callers deciding on a retry must still see the AWS error underneath.
  if (err instanceof StepError) return awsErrorOf(err.cause);
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
    const name =
      typeof e.name === 'string' && e.name !== 'Error' ? e.name : typeof e.Code === 'string' ? e.Code : 'Error';
    const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
    return { name, httpStatus: status };
  }
  return { name: 'Error', httpStatus: undefined };
}

/** Runs one AWS call and rethrows its failure as an {@link AwsCallError} naming the operation and resource. */
export async function awsCall<T>(operation: string, resource: string, call: () => Promise<T>): Promise<T> {
  throwIfCancelled(operation, resource);
  try {
    return await call();
  } catch (err) {
    if (err instanceof AwsCallError) throw err;
    const { name, httpStatus } = awsErrorOf(err);
    throw new AwsCallError(operation, resource, name, httpStatus, err);
  }
}

/** A named step of an action failed; the job runner reports it as `JobFailed` with the step's name. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`step "${step}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Runs `fn` as the named step, so a failure says where in the action it happened. */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConfigurationError || err instanceof StepError) throw err;
    throw new StepError(name, err);
  }
}
