/**
 * The one shape every action's plan has: the changes to make now, and what comes after them. A plan is data: it is
 * logged before anything is written, unit-tested without mocks, and the caller works out the invocation's outcome
 * from `next` alone (no flags on the side).
 */

/** One named change; `reason` is what the operator reads in the log. */
export interface Change {
  kind: string;
  reason: string;
}

/** What comes after the changes: the action is done, or the next invocation (a continuation) must look again. */
export type Next<Phase extends string> = { kind: 'done' } | Wait<Phase>;

/** A wait handed to CodePipeline as a continuation token; the next invocation reads and plans again. */
export interface Wait<Phase extends string> {
  kind: 'wait';
  /** The continuation phase the next invocation starts in. */
  phase: Phase;
  /** Why we wait, for the log and for the failure message if the wait limit is reached. */
  reason: string;
  /** The distributions still (or about to be) `InProgress`. */
  inProgress: string[];
  /** The wait in one short line, for a display that repeats it every pass; `reason` when left out. */
  brief?: string;
}

/** Changes to make now, in order, and what comes next. */
export interface Plan<C extends Change, Phase extends string> {
  changes: C[];
  next: Next<Phase>;
  /** Why changes that are needed are held back for a later invocation (e.g. a distribution still InProgress). */
  held?: string;
}

export const DONE = { kind: 'done' } as const;

/** A wait in `phase` for the distributions in `inProgress`. */
export function waitFor<Phase extends string>(
  phase: Phase,
  reason: string,
  inProgress: string[],
  brief?: string,
): Wait<Phase> {
  return { kind: 'wait', phase, reason, inProgress, ...(brief ? { brief } : {}) };
}

/** The plan as a log line: the changes with their reasons, and what comes next. */
export function describePlan(plan: Plan<Change, string>): Record<string, unknown> {
  return {
    changes: plan.changes.map(({ kind, reason }) => ({ kind, reason })),
    ...(plan.held ? { held: plan.held } : {}),
    next:
      plan.next.kind === 'done'
        ? 'done'
        : { wait: plan.next.phase, reason: plan.next.reason, inProgress: plan.next.inProgress },
  };
}
