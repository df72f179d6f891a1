/**
 * Cancellation of an action's remaining AWS calls once its trigger's adapter has given up on it (the Lambda
 * deadline). The CodePipeline adapter reports the job failed shortly before the timeout; the action's promise cannot
 * be stopped, so without this it would resume when the execution environment thaws and could still write — a promotion reported as failed that
 * happened anyway. The signal travels with the async context, so concurrent or later jobs are not affected.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` with `signal` as the cancellation signal of every AWS call it makes. */
export function runCancellable<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return current.run(signal, fn);
}

/** Throws when the current run was cancelled, so that no AWS call starts after the job was reported (or stopped). */
export function throwIfCancelled(operation: string, resource: string): void {
  if (current.getStore()?.aborted) {
    throw new Error(
      `${operation} on ${resource} was not started: the run was cancelled ` +
        "(a job already reported failed at the Lambda deadline, or an operator's stop)",
    );
  }
}
