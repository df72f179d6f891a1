/** The one error type every emulated operation throws; each protocol renders it in its own wire shape. */
export class ApiError extends Error {
  constructor(
    /** The AWS error code, e.g. `PreconditionFailed`. */
    readonly code: string,
    message: string,
    /** HTTP status the real service uses for this code. */
    readonly status = 400,
    /** `Sender` (client fault) or `Receiver` (service fault), as CloudFront and S3 report it. */
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

/**
 * AWS's wording for one request member that fails its constraint, e.g. "1 validation error detected: Value null at
 * 'jobId' failed to satisfy constraint: Member must not be null". `value` is as AWS shows it (`'x'` quoted, `null`),
 * or undefined where AWS leaves it out.
 */
export function constraintFailed(member: string, value: string | undefined, constraint: string): string {
  const at = value === undefined ? `Value at '${member}'` : `Value ${value} at '${member}'`;
  return `1 validation error detected: ${at} failed to satisfy constraint: Member must ${constraint}`;
}

/** `Throttling` ("Rate exceeded", HTTP 400) is what CloudFront answers above its control-plane rate. */
export const throttling = () => new ApiError('Throttling', 'Rate exceeded', 400);
