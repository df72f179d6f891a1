/**
 * A plan as cfcd shows it — to read in `cfcd plan`, and to confirm before `cfcd enable-cd|promote|abort` applies
 * it: the changes with their reasons, what is held back, what comes next, and (where the state holds a primary and a
 * staging) what a promotion would change. Built from the plan's own data; nothing is re-decided here.
 */
import { diffConfigs } from '../shared/domain/config-diff.js';
import { describePlan } from '../shared/domain/plan.js';
import type { DistributionState } from '../shared/domain/resources.js';
import type { AnyPlan, CliAction } from './action-flags.js';
import type { Paint } from './terminal.js';

/** The fields some actions' plans carry beside the common shape. */
interface PlanExtras {
  /** promote: promote, already-promoted or wait, with its reason. */
  kind?: string;
  reason?: string;
  warning?: string;
  /** abort: why there is nothing to do. */
  nothingToDo?: string;
}

/** One change of a plan, as printed and as compared by the confirmation guard. */
export interface ShownChange {
  kind: string;
  reason: string;
  /** promote: what the promotion changes on the primary. */
  diff?: string[];
}

export interface PlanView {
  changes: ShownChange[];
  /** True when the plan writes nothing now and nothing later: done, no changes, nothing held. */
  nothingToDo: boolean;
  /** True when a later pass plans again and may write what this one could not show (held back, or a wait). */
  laterPassesDecide: boolean;
  json: Record<string, unknown>;
  lines(paint: Paint): string[];
}

function isDistribution(v: unknown): v is DistributionState {
  return typeof v === 'object' && v !== null && 'config' in v && 'etag' in v;
}

/** What a promotion of the state's staging would change, when the state holds both distributions. */
function promotionDiff(state: unknown): string[] | undefined {
  const { primary, staging } = (state ?? {}) as { primary?: unknown; staging?: unknown };
  return isDistribution(primary) && isDistribution(staging) ? diffConfigs(primary.config, staging.config) : undefined;
}

export function viewPlan(
  action: CliAction,
  state: unknown,
  plan: AnyPlan,
  described: Record<string, unknown> = {},
): PlanView {
  const extras = plan as AnyPlan & PlanExtras;
  const changes: ShownChange[] = plan.changes.map((c) => {
    const diff = (c as { diff?: unknown }).diff;
    return { kind: c.kind, reason: c.reason, ...(Array.isArray(diff) ? { diff: diff.map(String) } : {}) };
  });
  const diff = promotionDiff(state);
  const next = plan.next;
  const nothingToDo = !changes.length && !plan.held && next.kind === 'done';
  const json = {
    action: action.name,
    ...described,
    ...describePlan(plan),
    changes,
    next:
      next.kind === 'done'
        ? { kind: 'done' }
        : { kind: 'wait', phase: next.phase, reason: next.reason, inProgress: next.inProgress },
    ...(extras.kind ? { decision: { kind: extras.kind, reason: extras.reason } } : {}),
    ...(extras.warning ? { warning: extras.warning } : {}),
    ...(extras.nothingToDo ? { nothingToDo: extras.nothingToDo } : {}),
    ...(diff ? { promoteChanges: diff } : {}),
  };
  return {
    changes,
    nothingToDo,
    laterPassesDecide: Boolean(plan.held) || (next.kind === 'wait' && !changes.length),
    json,
    lines: (paint) => {
      const out: string[] = [];
      if (extras.kind && extras.reason && !changes.some((c) => c.reason === extras.reason))
        out.push(`${paint('bold', 'Decision')}  ${extras.kind}: ${extras.reason}`);
      if (changes.length) {
        out.push(paint('bold', 'Changes'));
        changes.forEach((c, i) => {
          out.push(`  ${i + 1}. ${paint('cyan', c.kind)}: ${c.reason}`);
          for (const line of c.diff ?? []) out.push(`       - ${line}`);
        });
      } else out.push(`${paint('bold', 'Changes')}   none now${extras.nothingToDo ? ` (${extras.nothingToDo})` : ''}`);
      if (plan.held) out.push(`${paint('bold', 'Held')}      ${plan.held}`);
      const inProgress =
        next.kind !== 'done' && next.inProgress.length ? ` (InProgress: ${next.inProgress.join(', ')})` : '';
      out.push(
        next.kind === 'done'
          ? `${paint('bold', 'Then')}      done`
          : `${paint('bold', 'Then')}      wait for ${next.reason}${inProgress}; the next pass reads and plans again`,
      );
      if (extras.warning) out.push(`${paint('yellow', '!')} ${extras.warning}`);
      // promote's own changes already list the diff; elsewhere it says what the reviewer approves.
      if (diff && !changes.some((c) => c.diff)) {
        if (diff.length) {
          out.push(paint('bold', 'A promotion of this staging would change, on the primary:'));
          for (const line of diff) out.push(`  - ${line}`);
        } else
          out.push(
            `${paint('bold', 'Promotion')} would change nothing: the primary already carries the staging config`,
          );
      }
      return out;
    },
  };
}

/**
 * True when the changes a pass is about to write are the ones the person confirmed (`confirmed`), compared by kind
 * and reason: the reason names the resources and what was read, so another writer's change shows up in it.
 */
export function sameChanges(confirmed: ShownChange[], planned: { kind: string; reason: string }[]): boolean {
  const key = (c: { kind: string; reason: string }) => `${c.kind}\n${c.reason}`;
  const allowed = new Set(confirmed.map(key));
  return planned.every((c) => allowed.has(key(c)));
}
