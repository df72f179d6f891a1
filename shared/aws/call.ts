/**
 * Every AWS call goes through {@link awsCall}: it refuses to start once the job was reported (the Lambda deadline,
 * see cancellation.ts) and rethrows a failure as an {@link AwsCallError} naming the operation and the resource.
 */
import { CfcdError, StepError } from '../domain/errors.js';
import { throwIfCancelled } from './cancellation.js';

/** An AWS call failed. Carries the operation, the resource and the AWS error name for the person on call. */
export class AwsCallError extends CfcdError {
  override readonly name = 'AwsCallError';
  readonly kind = 'failed';
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
