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

/** `Throttling` ("Rate exceeded", HTTP 400) is what CloudFront answers above its control-plane rate. */
export const throttling = () => new ApiError('Throttling', 'Rate exceeded', 400);
