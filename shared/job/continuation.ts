/**
 * The continuation token: what one invocation of an action remembers for the next while CloudFront propagates.
 * CodePipeline hands it back verbatim in `data.continuationToken` of the next job (1–2048 characters). Each action
 * declares the phases it writes and reads its own data back (`readMemory` of its declaration, shared/job/driver.ts);
 * the token format is ours alone: `{"v":1,"phase":…,"startedAt":…,"data":{…}}`.
 *
 * A token is input, a bookmark and never an authority: whoever holds `codepipeline:PutJobSuccessResult` on the job, or
 * pastes text after `cfcd --resume`, can write one. So every write and every success a token leads to is re-checked
 * against the live state by the action that reads it (abort's remembered policy, promote's finishing passes, the
 * invalidation enable-CD and promote remember), `startedAt` is clamped ({@link clampStartedAt}), and promote's pinned
 * staging ETag can only add a check. No MAC binds a token to its job: it would need a per-deployment secret (a new
 * client and a cold-start read) to stop principals who can already report the job's success with any output
 * variables themselves; once the re-checks hold, a forged token can at most make an action wait or fail.
 * docs/conventions.md ("Continuation tokens") lists what is defended and what is not.
 */
import { CfcdError, sentence } from '../domain/errors.js';

/** Small phase-specific facts, e.g. the ETag a promotion produced. Strings only: they become output variables. */
export type ContinuationData = Partial<Record<string, string>>;

/** What the continuation token remembers between invocations of one action execution. */
export interface Continuation<Phase extends string = string, Data extends ContinuationData = ContinuationData> {
  phase: Phase;
  /** Epoch milliseconds of the first invocation: bounds the total wait (`MaxWaitMinutes`). */
  startedAt: number;
  data?: Data;
}

const TOKEN_MAX = 2048;

/** A token this function did not write, or one it cannot act on; reported as JobFailed, nothing is changed. */
export class ContinuationError extends CfcdError {
  override readonly name = 'ContinuationError';
  readonly kind = 'failed';
}

/** Encodes a continuation token (JSON, at most 2048 characters). */
export function encodeContinuation(c: Continuation): string {
  const token = JSON.stringify({ v: 1, ...c });
  if (token.length > TOKEN_MAX) {
    throw new ContinuationError(`continuation token is ${token.length} characters; CodePipeline allows ${TOKEN_MAX}`);
  }
  return token;
}

const isStringRecord = (v: unknown): v is ContinuationData =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** Decodes a token written by {@link encodeContinuation}; throws {@link ContinuationError} if it is not ours. */
export function decodeContinuation(token: string): Continuation {
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    throw new ContinuationError((w) => `${w.token} is not one this action wrote (not JSON)`);
  }
  const t = parsed as { v?: unknown; phase?: unknown; startedAt?: unknown; data?: unknown } | null;
  if (
    t?.v !== 1 ||
    typeof t.phase !== 'string' ||
    typeof t.startedAt !== 'number' ||
    (t.data !== undefined && !isStringRecord(t.data))
  ) {
    throw new ContinuationError((w) => `${w.token} is not one this action wrote (unknown shape)`);
  }
  return { phase: t.phase, startedAt: t.startedAt, ...(t.data ? { data: t.data } : {}) };
}

/**
 * The token's start time, never later than `now`. A token is input: a `startedAt` in the future would make the wait
 * look shorter than it is and turn `MaxWaitMinutes` off. The CodePipeline job event carries no start time of its own,
 * so the practical "real start" of a forged or skewed token is the first time a pass of ours saw it: clamping to now
 * makes the next token carry now, and the limit then fires at most `MaxWaitMinutes` after that pass. No skew is
 * allowed for: every writer of our tokens is a Lambda or cfcd reading the same NTP-synchronised time, and a token a
 * second "early" only counts its wait from this pass. A start in the past is kept (at worst the limit fires sooner).
 */
export function clampStartedAt(startedAt: number, now: number): number {
  return Math.min(startedAt, now);
}

/** Narrows a decoded token to an action's phases; a phase the action never writes is refused before it runs. */
export function ofPhases<Phase extends string>(
  actionName: string,
  phases: readonly Phase[],
  c: Continuation,
): Continuation<Phase> {
  if (!(phases as readonly string[]).includes(c.phase)) {
    throw new ContinuationError(
      (w) =>
        `${w.token} has phase "${c.phase}", which ${actionName} never writes ` +
        `(it writes ${phases.join(', ')}); nothing was changed. ${sentence(w.rerun)}.`,
    );
  }
  return c as Continuation<Phase>;
}
