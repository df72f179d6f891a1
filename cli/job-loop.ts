/**
 * The CLI's stand-in for CodePipeline's continuation loop. An action's `run` is one pass (read → plan → apply →
 * outcome); while the outcome is `waiting`, CodePipeline invokes the action again with the continuation token it
 * returned. Here the same happens in the process the person watches: the outcome goes through the same token
 * encoding, the next pass gets it back as its continuation, and the passes are spaced with backoff instead of
 * CodePipeline's schedule. Ctrl-C never cuts a pass short by default (a pass is a few single AWS calls, each either
 * made or not): the loop stops after it, and the token it would have passed on is what `--resume` takes.
 */
import { runCancellable } from '../shared/aws/cancellation.js';
import { readContinuation } from '../shared/job/codepipeline-job.js';
import { type Continuation, encodeContinuation } from '../shared/job/continuation.js';
import { type AnyAction, type Outcome, checkWaitLimit, runAction } from '../shared/job/driver.js';
import type { PlanApproval } from '../shared/aws/apply-plan.js';
import type { Logger } from '../shared/log.js';
import { CLI_WORDS } from './action-flags.js';
import { InterruptedError } from './exit-codes.js';

/** Ctrl-C, as the loop sees it: the first press stops after the pass in flight, the second before the next AWS call. */
export class Stopper {
  private presses = 0;
  private wake: (() => void) | undefined;
  /** Aborted on the second press: no AWS call starts after it (the call in flight completes). */
  readonly calls = new AbortController();
  /** True while a pass is running (set by the loop). */
  inPass = false;

  /** Records one Ctrl-C and says what happens now. */
  press(): 'stop-now' | 'stop-after-pass' | 'stop-before-next-call' {
    this.presses++;
    this.wake?.();
    if (!this.inPass) return 'stop-now';
    if (this.presses === 1) return 'stop-after-pass';
    this.calls.abort();
    return 'stop-before-next-call';
  }

  get requested(): boolean {
    return this.presses > 0;
  }

  /** Sleeps `ms`, or less if Ctrl-C is pressed meanwhile. */
  sleep(ms: number): Promise<void> {
    if (this.requested) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** Sends each Ctrl-C to `stopper` and tells the person what happens next; returns the function that stops listening. */
export function stopOnCtrlC(stopper: Stopper, note: (text: string) => void): () => void {
  const handler = () => {
    const next = stopper.press();
    if (next === 'stop-after-pass')
      note('Ctrl-C: stopping once the AWS calls of this pass are done (Ctrl-C again: before the next call)');
    else if (next === 'stop-before-next-call') note('Ctrl-C: stopping before the next AWS call');
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** What the loop waits for between two passes. */
export interface Waiting {
  pass: number;
  phase: string;
  /** Why it waits, in full: what the pass found, and (the gate) what may be keeping it. */
  reason: string;
  /** The same in one short line with the figures that matter (the reason itself when it is short). */
  brief: string;
  inProgress: string[];
  /** Since the first pass (or the resume). */
  elapsedMs: number;
  nextPollMs: number;
}

export interface LoopOptions {
  action: AnyAction;
  params: unknown;
  log: Logger;
  /** Given to every pass: a last look at each plan before it is applied. */
  approve?: PlanApproval;
  /** The continuation an interrupted run handed over (`--resume`); its wait limit counts from now. */
  resume?: Continuation | undefined;
  stopper: Stopper;
  onWaiting(waiting: Waiting): void;
  /** Called before each pass (1-based). */
  onPass?(pass: number): void;
  now?: () => number;
}

export interface LoopResult {
  summary: string;
  outputVariables: Record<string, string>;
  passes: number;
  elapsedMs: number;
}

/** The first pause between passes, and the longest: CloudFront propagates in seconds to minutes. */
export const POLL = { firstMs: 250, maxMs: 15_000, factor: 2 } as const;

/** A token as the command line carries it (`--resume`): the continuation token, base64url-encoded. */
export function resumeArgument(token: string): string {
  return Buffer.from(token, 'utf8').toString('base64url');
}

/**
 * Reads a `--resume` value back into a continuation the action accepts: decoded, checked against the phases the
 * action writes, and its data read by the action itself — what CodePipeline's next invocation would get.
 */
export function readResumeArgument(action: LoopOptions['action'], argument: string, now = Date.now()): Continuation {
  return readToken(action, Buffer.from(argument, 'base64url').toString('utf8'), now);
}

/** A token read back as CodePipeline's next invocation reads it; `startedAt` restarts the wait limit on a resume. */
function readToken(action: LoopOptions['action'], token: string, startedAt: number): Continuation {
  return { ...readContinuation(action, token), startedAt };
}

type Waited = Extract<Outcome, { kind: 'waiting' }>;

/** Runs passes of the action until it succeeds; throws its failure, a wait past the limit, or an interruption. */
export async function runUntilDone(options: LoopOptions): Promise<LoopResult> {
  const { action, params, log, stopper, approve } = options;
  const now = options.now ?? Date.now;
  const started = now();
  let continuation = options.resume;
  let pollMs: number = POLL.firstMs;
  let lastWait = '';
  for (let pass = 1; ; pass++) {
    options.onPass?.(pass);
    stopper.inPass = true;
    let outcome: Outcome;
    try {
      outcome = await runCancellable(stopper.calls.signal, () =>
        runAction(action, { params, continuation, log, words: CLI_WORDS }, { approve }),
      );
    } catch (err) {
      if (stopper.calls.signal.aborted)
        throw new InterruptedError(
          'stopped before the next AWS call (Ctrl-C twice); every change made so far is complete, ' +
            'and the next run plans from the live state',
          continuation && resumeArgument(encodeContinuation(continuation)),
        );
      throw err;
    } finally {
      stopper.inPass = false;
    }
    if (outcome.kind === 'succeeded')
      return {
        summary: outcome.summary,
        outputVariables: outcome.outputVariables ?? {},
        passes: pass,
        elapsedMs: now() - started,
      };

    const startedAt = continuation?.startedAt ?? started;
    checkWaitLimit(action, params, outcome, now() - startedAt);
    // The token CodePipeline would carry, read back below as its next invocation would read it.
    const token = encodeContinuation({
      phase: outcome.phase,
      startedAt,
      ...(outcome.data ? { data: outcome.data } : {}),
    });
    if (stopper.requested) throw interrupted(outcome, token);

    const wait = `${outcome.phase} ${outcome.reason}`;
    if (wait !== lastWait) pollMs = POLL.firstMs;
    lastWait = wait;
    options.onWaiting({
      pass,
      phase: outcome.phase,
      reason: outcome.reason,
      brief: outcome.brief ?? outcome.reason,
      inProgress: outcome.inProgress,
      elapsedMs: now() - started,
      nextPollMs: pollMs,
    });
    await stopper.sleep(pollMs);
    if (stopper.requested) throw interrupted(outcome, token);
    pollMs = Math.min(pollMs * POLL.factor, POLL.maxMs);
    continuation = readToken(action, token, startedAt);
  }
}

function interrupted(outcome: Waited, token: string): InterruptedError {
  const inProgress = outcome.inProgress.length ? ` (InProgress: ${outcome.inProgress.join(', ')})` : '';
  return new InterruptedError(
    `stopped waiting for ${outcome.reason}${inProgress}; every change made so far is complete`,
    resumeArgument(token),
  );
}
