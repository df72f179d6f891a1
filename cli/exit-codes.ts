/**
 * cfcd's exit codes, and which one an error means. Scripts branch on these, so they are few and stable:
 * 0 done, 1 the action failed (or was declined), 2 bad usage (nothing was called), 3 refused by a check on the live
 * state (nothing was written), 130 stopped by Ctrl-C (nothing half-made; the message says how to resume).
 */
import { CfcdError, EXIT_CODE, type ErrorKind, StepError, causeChain, sayError } from '../shared/domain/errors.js';
import { CLI_WORDS } from './action-flags.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A refusal made by cfcd itself before writing (e.g. the plan changed since it was confirmed): exit code 3. */
export class RefusedError extends CfcdError {
  override readonly name = 'RefusedError';
  readonly kind = 'refused';
}

/** Ctrl-C: the wait (or the command) stopped, with nothing half-made. `resume` is the command that carries on. */
export class InterruptedError extends CfcdError {
  override readonly name = 'InterruptedError';
  readonly kind = 'interrupted';
  constructor(
    message: string,
    readonly resume?: string,
  ) {
    super(message);
  }
}

/** The person said no at the confirmation prompt: nothing was written. */
export class DeclinedError extends CfcdError {
  override readonly name = 'DeclinedError';
  readonly kind = 'declined';
}

/**
 * The first error of ours in the chain that says more than "failed", past the steps that wrap it (a step takes the
 * kind of the check that refused, and only adds `step "check and plan"` to its words).
 */
function telling(err: unknown): CfcdError | undefined {
  for (const e of causeChain(err))
    if (e instanceof CfcdError && !(e instanceof StepError) && e.kind !== 'failed') return e;
  return undefined;
}

/**
 * The message to show for `err`, in cfcd's words (flags and cfcd commands): a refusal's or an input error's own
 * words (a step wraps the check, adding only `step "check and plan"`), anything else as it is, step included.
 */
export function messageOf(err: unknown): string {
  const own = telling(err);
  if (own && (own.kind === 'refused' || own.kind === 'input')) return own.say(CLI_WORDS);
  return sayError(err, CLI_WORDS);
}

/** cfcd's names of the kinds, as `--json` reports them. */
const CLI_KIND = {
  input: 'usage',
  refused: 'refused',
  failed: 'failed',
  interrupted: 'interrupted',
  declined: 'declined',
} as const;

export type CliErrorKind = (typeof CLI_KIND)[ErrorKind];

/** What kind of failure `err` is, and so its exit code. */
export function classify(err: unknown): { kind: CliErrorKind; code: ExitCode } {
  const kind = telling(err)?.kind ?? 'failed';
  return { kind: CLI_KIND[kind], code: EXIT_CODE[kind] };
}
