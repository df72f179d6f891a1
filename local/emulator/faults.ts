/**
 * One-shot faults for AWS API operations: a concurrent writer (412), throttling, server errors, a connection reset,
 * a slow answer. Each is armed for the next `times` calls of one operation.
 */
import { ApiError, throttling } from './errors.js';
import { LIMITS } from './limits.js';
import type { Operation } from './protocol.js';
import { ControlError, checkBody, type Schema } from './control-body.js';

export const FAULT_ERRORS = [
  'PreconditionFailed',
  'Throttling',
  'InternalError',
  'ServiceUnavailable',
  'ConnectionReset',
  'Slow',
  'AccessDenied',
] as const;

/** A fault to inject into the next `times` calls of `operation`. */
export interface FaultSpec {
  /** AWS operation name, e.g. `UpdateDistribution`. */
  operation: string;
  /**
   * `PreconditionFailed` (412, a concurrent writer moved the ETag; writes with If-Match only), `Throttling` (400,
   * "Rate exceeded"), `InternalError` (500), `ServiceUnavailable` (503), `ConnectionReset` (the connection is
   * dropped without an answer), `Slow` (the real answer, `delayMs` late), `AccessDenied` (403: the caller's role
   * lacks the permission, as IAM or a bucket policy answers; S3 says only "Access Denied").
   */
  error: (typeof FAULT_ERRORS)[number];
  /** How many calls fail; default 1. */
  times?: number;
  /**
   * Default true: the call fails without being applied. False: the call is applied and then answers the error (or
   * loses its answer, for ConnectionReset), like a response lost after the write: the caller must discover its own
   * write on retry.
   */
  beforeWrite?: boolean;
  /** `Slow` only: how late the answer comes. */
  delayMs?: number;
}

export const FAULT_SCHEMA: Schema = {
  operation: {
    kind: 'string',
    pattern: /^[A-Z][A-Za-z0-9]+$/,
    shape: 'an AWS operation name, e.g. "UpdateDistribution"',
  },
  error: { kind: 'enum', values: FAULT_ERRORS },
  times: { kind: 'integer', optional: true, ...LIMITS.faultTimes },
  beforeWrite: { kind: 'boolean', optional: true },
  delayMs: { kind: 'integer', optional: true, ...LIMITS.faultDelayMs },
};

/** What the emulator knows of each operation: whether it writes with If-Match (a concurrent writer can beat it). */
export type OperationCatalogue = ReadonlyMap<string, { ifMatch: boolean }>;

/** The fault as a valid spec, or a ControlError (400) naming what is wrong with it. */
export function checkFault(input: unknown, operations: OperationCatalogue): FaultSpec {
  const spec = checkBody(FAULT_SCHEMA, input) as unknown as FaultSpec;
  const op = operations.get(spec.operation);
  if (!op)
    throw new ControlError(
      400,
      `operation ${spec.operation} is not one the emulator implements: ${[...operations.keys()].sort().join(', ')}`,
    );
  if (spec.error === 'PreconditionFailed' && !op.ifMatch)
    throw new ControlError(
      400,
      `PreconditionFailed needs an operation that writes with If-Match (${[...operations]
        .filter(([, o]) => o.ifMatch)
        .map(([n]) => n)
        .sort()
        .join(', ')}); ${spec.operation} does not`,
    );
  if ((spec.error === 'Slow') !== (spec.delayMs !== undefined))
    throw new ControlError(400, 'delayMs is required with error Slow, and only with it');
  return spec;
}

interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

export class Faults {
  private armed: ArmedFault[] = [];

  inject(spec: FaultSpec): void {
    this.armed.push({ spec, remaining: spec.times ?? 1 });
  }

  pending(): FaultSpec[] {
    return this.armed.map((a) => ({ ...a.spec, times: a.remaining }));
  }

  clear(): void {
    this.armed = [];
  }

  /** Consumes the first fault armed for this operation, if any. */
  take(operation: string): FaultSpec | undefined {
    const a = this.armed.find((f) => f.spec.operation === operation);
    if (!a) return undefined;
    a.remaining -= 1;
    if (a.remaining <= 0) this.armed = this.armed.filter((f) => f !== a);
    return a.spec;
  }
}

/** What a faulted call does instead of answering normally. */
export type FaultOutcome = { kind: 'error'; error: ApiError } | { kind: 'reset' } | { kind: 'late'; delayMs: number };

/**
 * Runs `op` under `fault` as far as the fault lets it (a write applied before a lost answer), and says what the
 * caller sees instead of the real answer.
 */
export function applyFault(op: Operation, fault: FaultSpec): FaultOutcome {
  if (fault.error === 'Slow') return { kind: 'late', delayMs: fault.delayMs ?? 0 };
  const beforeWrite = fault.beforeWrite ?? true;
  if (!beforeWrite) {
    try {
      op.run();
    } catch {
      // the real call's own error is what the lost response would have said; the fault replaces it
    }
  }
  switch (fault.error) {
    case 'ConnectionReset':
      return { kind: 'reset' };
    case 'Throttling':
      return { kind: 'error', error: throttling() };
    case 'InternalError':
      return {
        kind: 'error',
        error: new ApiError('InternalError', 'We encountered an internal error. Please try again.', 500, 'Receiver'),
      };
    case 'ServiceUnavailable':
      return {
        kind: 'error',
        error: new ApiError('ServiceUnavailable', 'Please reduce your request rate and try again.', 503, 'Receiver'),
      };
    case 'AccessDenied':
      return { kind: 'error', error: new ApiError('AccessDenied', 'Access Denied', 403) };
    default:
      // A concurrent writer got there first: its write moved the ETag, so this caller's If-Match is stale.
      if (beforeWrite) op.bumpEtag?.();
      return {
        kind: 'error',
        error: new ApiError(
          'PreconditionFailed',
          'The precondition given in one or more of the request header fields evaluated to false.',
          412,
        ),
      };
  }
}
