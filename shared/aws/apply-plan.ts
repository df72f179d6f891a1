/**
 * The one apply step every action uses, with the one stale-ETag policy: write the plan's changes in order; when a
 * write finds its ETag stale (`PreconditionFailed`, HTTP 412, which the SDK's retries do not cover), another writer
 * has just changed something — most likely leaving a distribution InProgress — so read everything again, plan again
 * (checks included), and carry on with the new plan. Nothing is ever written on top of a state it was not planned from.
 */
import { type Change, DONE, type Plan, describePlan } from '../domain/plan.js';
import { step } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { isPreconditionFailed } from './cloudfront.js';

/** Any action's plan. */
type AnyPlan = Plan<Change, string>;
type ChangeOf<P extends AnyPlan> = P['changes'][number];

/** How many times a plan is attempted when its ETags keep going stale: the first try and two re-plans. */
export const STALE_ETAG_ATTEMPTS = 3;

/** Small facts a write leaves for the action's later invocations (strings: they travel in the continuation token). */
export type Remembered = Partial<Record<string, string>>;

/** What one write did, when more than "written or not" is to be said. */
export interface WriteResult {
  /** False when nothing was written: the change was already in place, or it was deferred. */
  wrote: boolean;
  /** Facts for the later invocations of the same job: an id CloudFront gave, the ETag a write left. */
  remember?: Remembered;
  /**
   * The change cannot be made now (CloudFront's TooManyInvalidationsInProgress): the pass waits with this reason in
   * the plan's wait phase, and a later invocation plans the change again.
   */
  deferred?: string;
  /** CloudFront answered with the change already complete (a Completed invalidation): no wait is needed for it. */
  complete?: boolean;
}

/** How to read, plan and write for one action. */
export interface PlanSteps<S, P extends AnyPlan> {
  /** Reads the whole state the plan is made from (again, after a stale ETag). */
  read(): Promise<S>;
  /**
   * The action's pure planner (async only to await a read started beside the state read, like promote's gate
   * metrics); may throw a StateCheckError, which stops the apply.
   */
  plan(state: S): P | Promise<P>;
  /** Makes one change against the state it was planned from; resolves false when it found the change already made. */
  write(change: ChangeOf<P>, state: S): Promise<boolean | WriteResult>;
  /** The step name a failed write reports, e.g. "attach the policy to the primary". */
  stepName(change: ChangeOf<P>): string;
  /** Extra fields for the plan's log line, e.g. promote's decision and config differences. */
  describe?(plan: P): Record<string, unknown>;
}

/**
 * A last look at each plan before it is applied (the first, and every re-plan after a stale ETag): the operator CLI
 * uses it to stop, with nothing written, when the live state changed after the person confirmed a plan. It may throw.
 */
export type PlanApproval = (
  plan: Plan<Change, string>,
  context: { replan: number | undefined },
) => void | Promise<void>;

/** What was applied, from which state and plan. */
export interface Applied<S, P extends AnyPlan> {
  /** The state the last plan was made from. */
  state: S;
  /** The last plan (after any re-plan). */
  plan: P;
  /** The changes written in this invocation, in order, across re-plans. */
  written: ChangeOf<P>[];
  /**
   * What comes next. A plan that wrote something keeps its own `next`: when a later re-plan finds nothing left to do
   * and says done, the write made in this invocation still has to propagate before the action can be done.
   */
  next: P['next'];
  /** What the writes of this invocation remembered for the later ones. */
  remembered: Remembered;
}

/** Logs each change the re-plan dropped: already made by the other writer, or held until propagation settles. */
function logSkipped<C extends Change>(unwritten: C[], replanned: Plan<C, string>, log: Logger): void {
  const still = new Set(replanned.changes.map((c) => c.kind));
  const reason = replanned.held ? `held on re-read: ${replanned.held}` : 'already in place on re-read';
  for (const change of unwritten)
    if (!still.has(change.kind)) log.info('write-skipped', { change: change.kind, reason });
}

/** At DEBUG, everything a plan is made from: the whole state as read (configs included), before the plan. */
function logInputs(state: unknown, log: Logger): void {
  if (log.debugging) log.debug('plan-inputs', { state });
}

/** Reads and plans without writing: a dry run (the operator CLI's `plan`), logged like a real run's plan. */
export async function planOnly<S, P extends AnyPlan>(
  steps: PlanSteps<S, P>,
  log: Logger,
): Promise<{ state: S; plan: P }> {
  const state = await step('read the state', () => steps.read());
  logInputs(state, log);
  const plan = await step('check and plan', async () => steps.plan(state));
  log.info('plan', { ...steps.describe?.(plan), ...describePlan(plan), dryRun: true });
  return { state, plan };
}

/** Plans from `initial`, logs the plan, writes it, and re-reads and re-plans on a stale ETag. */
export async function applyPlan<S, P extends AnyPlan>(
  steps: PlanSteps<S, P>,
  initial: S,
  log: Logger,
  approve?: PlanApproval,
): Promise<Applied<S, P>> {
  let state = initial;
  const logPlan = (plan: P, extra: Record<string, unknown> = {}) =>
    log.info('plan', { ...steps.describe?.(plan), ...describePlan(plan), ...extra });
  logInputs(state, log);
  let plan = await step('check and plan', async () => steps.plan(state));
  logPlan(plan);
  await approve?.(plan, { replan: undefined });
  const written: ChangeOf<P>[] = [];
  const remembered: Remembered = {};
  let deferred: string | undefined;
  let completes = 0;
  let lastWriting: P | undefined;
  for (let attempt = 1; ; attempt++) {
    let next = 0;
    try {
      for (; next < plan.changes.length; next++) {
        const change = plan.changes[next] as ChangeOf<P>;
        const result = await step(steps.stepName(change), () => steps.write(change, state));
        const { wrote, remember, complete, ...rest } = typeof result === 'boolean' ? { wrote: result } : result;
        Object.assign(remembered, remember);
        if (rest.deferred) deferred = rest.deferred;
        if (wrote) {
          written.push(change);
          lastWriting = plan;
          if (complete) completes++;
        }
      }
      break;
    } catch (err) {
      if (!isPreconditionFailed(err) || attempt >= STALE_ETAG_ATTEMPTS) throw err;
      log.warn('stale-etag', { attempt, action: 're-reading and re-planning' });
      const unwritten = plan.changes.slice(next);
      state = await step('read again after a stale ETag', () => steps.read());
      logInputs(state, log);
      plan = await step('check and plan', async () => steps.plan(state));
      logPlan(plan, { replan: attempt });
      await approve?.(plan, { replan: attempt });
      logSkipped(unwritten, plan, log);
    }
  }
  const next = nextAfter(plan, lastWriting, deferred, written.length > 0 && completes === written.length);
  return { state, plan, written, next, remembered };
}

/**
 * What comes after the pass. A plan that wrote something keeps its own wait: when a later re-plan finds nothing left
 * to do and says done, the write made in this invocation still has to propagate. A deferred change waits with its
 * reason; a pass whose every write CloudFront answered as already complete has nothing to wait for.
 */
function nextAfter<P extends AnyPlan>(
  plan: P,
  lastWriting: P | undefined,
  deferred: string | undefined,
  allComplete: boolean,
): P['next'] {
  const next =
    lastWriting && lastWriting.next.kind === 'wait' && plan.next.kind === 'done' ? lastWriting.next : plan.next;
  if (deferred && next.kind === 'wait') return { ...next, reason: `${deferred}; retrying until MaxWaitMinutes` };
  if (allComplete && !deferred) return DONE;
  return next;
}
