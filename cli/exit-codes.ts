/**
 * cfcd's exit codes, and which one an error means. Scripts branch on these, so they are few and stable:
 * 0 done, 1 the action failed (or was declined), 2 bad usage (nothing was called), 3 refused by a check on the live
 * state (nothing was written), 130 stopped by Ctrl-C (nothing half-made; the message says how to resume).
 */
import { ConfigurationError, StateCheckError } from '../shared/domain/errors.js';
import { UsageError } from './args.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A refusal made by cfcd itself before writing (e.g. the plan changed since it was confirmed): exit code 3. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/** Ctrl-C: the wait (or the command) stopped, with nothing half-made. `resume` is the command that carries on. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(
    message: string,
    readonly resume?: string,
  ) {
    super(message);
  }
}

/** The person said no at the confirmation prompt: nothing was written. */
export class DeclinedError extends Error {
  override readonly name = 'DeclinedError';
}

/** The error itself or any error in its `cause` chain (a step wraps the check that refused). */
function* causes(err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e !== undefined && depth < 10; depth++) {
    yield e;
    e = e instanceof Error ? e.cause : undefined;
  }
}

/**
 * The message to show for `err`: a refusal's own words (a step wraps the check, adding only `step "check and plan"`),
 * anything else as it is, step included.
 */
export function messageOf(err: unknown): string {
  for (const e of causes(err))
    if (e instanceof StateCheckError || e instanceof RefusedError || e instanceof ConfigurationError) return e.message;
  return err instanceof Error ? err.message : String(err);
}

export type ErrorKind = 'usage' | 'refused' | 'interrupted' | 'declined' | 'failed';

/** What kind of failure `err` is, and so its exit code. */
export function classify(err: unknown): { kind: ErrorKind; code: ExitCode } {
  for (const e of causes(err)) {
    if (e instanceof UsageError || e instanceof ConfigurationError) return { kind: 'usage', code: EXIT.usage };
    if (e instanceof StateCheckError || e instanceof RefusedError) return { kind: 'refused', code: EXIT.refused };
    if (e instanceof InterruptedError) return { kind: 'interrupted', code: EXIT.interrupted };
    if (e instanceof DeclinedError) return { kind: 'declined', code: EXIT.failed };
  }
  return { kind: 'failed', code: EXIT.failed };
}
