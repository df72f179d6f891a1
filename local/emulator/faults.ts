/** One-shot faults for AWS API operations: concurrent writers (412) and throttling. */
import { ApiError, throttling } from './errors.js';
import type { Operation } from './protocol.js';

/** A fault to inject into the next `times` calls of `operation`. */
export interface FaultSpec {
  /** AWS operation name, e.g. `UpdateDistribution`. */
  operation: string;
  error: 'PreconditionFailed' | 'Throttling';
  /** How many calls fail; default 1. */
  times?: number;
  /**
   * Default true: the call fails without being applied. False: the call is applied and then answers the error,
   * like a response lost after the write (the caller must discover its own write on retry).
   */
  beforeWrite?: boolean;
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

  /** Consumes the first fault armed for this operation, if any. */
  take(operation: string): FaultSpec | undefined {
    const a = this.armed.find((f) => f.spec.operation === operation);
    if (!a) return undefined;
    a.remaining -= 1;
    if (a.remaining <= 0) this.armed = this.armed.filter((f) => f !== a);
    return a.spec;
  }
}

/** Runs `op` under `fault`: returns the error to answer, after any write the fault models. */
export function applyFault(op: Operation, fault: FaultSpec): ApiError {
  const beforeWrite = fault.beforeWrite ?? true;
  if (!beforeWrite) {
    try {
      op.run();
    } catch {
      // the real call's own error is what the lost response would have said; the fault replaces it
    }
  }
  if (fault.error === 'Throttling') return throttling();
  // A concurrent writer got there first: its write moved the ETag, so this caller's If-Match is stale.
  if (beforeWrite) op.bumpEtag?.();
  return new ApiError(
    'PreconditionFailed',
    'The precondition given in one or more of the request header fields evaluated to false.',
    412,
  );
}
