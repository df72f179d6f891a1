/** `cfcd cleanup [--delete <policy id>… | --all-orphans] [--force]`: see ../cleanup.ts. */
import { randomUUID } from 'node:crypto';
import { ParamReader } from '../../shared/domain/params.js';
import type { Routing } from '../../shared/domain/traffic-config.js';
import { ask } from '../confirm.js';
import { type Context, commandLine, say } from '../context.js';
import { DeclinedError, InterruptedError, RefusedError } from '../exit-codes.js';
import { Stopper, runUntilDone, stopOnCtrlC } from '../job-loop.js';
import { cliLogger, describeEvent, paintMark } from '../logging.js';
import { type PolicyEntry, readInventory, removalAction } from '../orphan-policies.js';
import { formatElapsed } from '../terminal.js';
import { COMMON_OPTIONS, CONFIRM_OPTIONS, type CommandSpec, UsageError, listFlag, quoted } from '../args.js';

export const cleanupSpec: CommandSpec = {
  name: 'cleanup',
  summary:
    'List every continuous deployment policy of the account with where it is attached ' +
    'and whether its staging still exists, flagging orphans; ' +
    'with --delete or --all-orphans, detach (fresh ETags), wait for Deployed and delete.',
  synopsis: '[--delete <policy id>]... [--all-orphans] [--force] [options]',
  options: {
    delete: {
      type: 'string',
      multiple: true,
      value: '<policy id>',
      description: 'detach where attached, then delete this policy',
    },
    'all-orphans': {
      type: 'boolean',
      description: 'delete every orphan: attached nowhere, or routing to a staging that is gone',
    },
    force: {
      type: 'boolean',
      description: 'also delete a policy that routes viewers to a live staging (a live canary)',
    },
    ...CONFIRM_OPTIONS,
    ...COMMON_OPTIONS,
  },
  details: [
    'An orphan is a policy attached to no distribution, or routing to a distribution that no longer exists (or is',
    'not a staging). A live canary is attached, enabled and routing to an existing staging: deleting it moves viewers',
    'back to the primary, so it needs --force.',
    'Exit codes: 0 listed (and deleted), 1 a call failed or you answered no, 2 bad usage, 3 refused (a live canary',
    'without --force; nothing was written), 130 stopped by Ctrl-C (run the same command again to finish).',
  ].join('\n'),
};

function describeTraffic(r: Routing): string {
  if (r.type === 'header') return `header ${r.header}: ${r.value}`;
  if (r.type === 'weight') return `weight ${r.weight}${r.stickiness ? ', sticky' : ''}`;
  return r.trafficType;
}

function table(ctx: Context, policies: PolicyEntry[]): void {
  const { out } = ctx.terminal;
  if (!policies.length) {
    say(ctx, 'No continuous deployment policy in this account.');
    return;
  }
  const rows = policies.map((p) => [
    p.id,
    p.enabled ? 'yes' : 'no',
    describeTraffic(p.traffic),
    p.staging ? `${p.staging.id} (${p.staging.status})` : `missing: ${p.stagingDomains.join(', ')}`,
    p.attachedTo.join(', ') || '-',
    p.orphan ? `orphan: ${p.orphan}` : p.liveCanary ? 'live canary' : 'attached, disabled',
  ]);
  const header = ['POLICY', 'ENABLED', 'TRAFFIC', 'STAGING', 'ATTACHED TO', 'STATE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  say(ctx, out('bold', fmt(header)));
  rows.forEach((r, i) => {
    const line = fmt(r);
    const p = policies[i] as PolicyEntry;
    say(ctx, p.orphan ? out('yellow', line) : line);
  });
  const orphans = policies.filter((p) => p.orphan).length;
  say(
    ctx,
    `${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}, ${orphans} orphan${orphans === 1 ? '' : 's'}`,
  );
}

/** What removing a policy takes, in the words the steps will print. */
function removalPlan(p: PolicyEntry): string {
  const detach = p.attachedTo.length ? `detach from ${p.attachedTo.join(', ')}, wait for Deployed, ` : '';
  return `${p.id}: ${detach}delete${p.liveCanary ? ' (live canary: viewers on staging go back to the primary)' : ''}`;
}

/** A policy that still routes viewers to its staging, as cleanup's refusal names it. */
function liveCanary(p: PolicyEntry): string {
  return `policy ${p.id} is attached to ${p.attachedTo.join(', ')} and routes viewers to live staging ${p.staging?.id}`;
}

export async function runCleanup(values: Record<string, unknown>, ctx: Context): Promise<unknown> {
  const ids = listFlag(values as Record<string, string[]>, 'delete').map((id) => {
    try {
      return new ParamReader({ id }, ['id']).policyId('id');
    } catch {
      throw new UsageError(`--delete: ${quoted(id)} is not a continuous deployment policy id (a UUID)`, cleanupSpec);
    }
  });
  const allOrphans = values['all-orphans'] === true;
  if (ids.length && allOrphans) throw new UsageError('--delete and --all-orphans exclude each other', cleanupSpec);
  const deleting = ids.length > 0 || allOrphans;
  if (values.force && !deleting)
    throw new UsageError('--force only applies with --delete or --all-orphans', cleanupSpec);
  if (deleting && values.yes !== true && !ctx.stdin.isTTY)
    throw new UsageError(
      'stdin is not a terminal, so cfcd cannot ask before deleting: pass --yes to delete without asking',
      cleanupSpec,
    );

  const policies = await readInventory();
  table(ctx, policies);
  const result = { policies, deleted: [] as string[], missing: [] as string[] };
  if (!deleting) return result;

  result.missing = ids.filter((id) => !policies.some((p) => p.id === id));
  for (const id of result.missing)
    say(ctx, `${paintMark('skip', ctx.terminal.out)} ${id}: no such policy (already deleted?)`);
  const targets = allOrphans ? policies.filter((p) => p.orphan) : policies.filter((p) => ids.includes(p.id));
  const live = targets.filter((p) => p.liveCanary);
  if (live.length && values.force !== true)
    throw new RefusedError(
      `${live.map(liveCanary).join('; ')}. Nothing was changed. ` +
        'Pass --force to delete it anyway (viewers on staging go back to the primary), ' +
        `or roll back first with \`cfcd abort --primary ${live[0]?.attachedTo[0]} --mode teardown\`.`,
    );
  if (!targets.length) {
    say(ctx, 'Nothing to delete.');
    return result;
  }

  say(ctx);
  say(ctx, ctx.terminal.out('bold', 'To delete:'));
  for (const p of targets) say(ctx, `  ${removalPlan(p)}`);
  if (values.yes !== true) {
    const answer = await ask(
      `Delete ${targets.length === 1 ? 'this policy' : `these ${targets.length} policies`}? [y/N] `,
      ctx.stdin,
      ctx.json ? ctx.terminal.stderr : ctx.terminal.stdout,
    );
    if (answer === 'interrupted') throw new InterruptedError('stopped at the confirmation; nothing was changed');
    if (answer === 'no') throw new DeclinedError('you answered no; nothing was changed');
  }

  const stopper = new Stopper();
  const restoreCtrlC = stopOnCtrlC(stopper, (text) => ctx.terminal.note(text));
  try {
    for (const p of targets) {
      const jobId = `cfcd-cleanup-${randomUUID()}`;
      const log = cliLogger('cleanup', jobId, (level, event, fields) => {
        const shown = describeEvent(level, event, fields);
        if (shown)
          say(ctx, `${paintMark(shown.mark === 'done' ? 'done' : 'warn', ctx.terminal.out)} ${p.id}: ${shown.text}`);
      });
      try {
        const done = await runUntilDone({
          action: removalAction,
          params: { policyId: p.id, primaries: p.attachedTo },
          log,
          stopper,
          onWaiting: (w) => {
            const started = Date.now() - w.elapsedMs;
            ctx.terminal.showProgress(
              () => `${formatElapsed(Date.now() - started)}  ${p.id}: waiting for ${w.reason}`,
              () => `… ${p.id}: waiting for ${w.reason}`,
            );
          },
        });
        result.deleted.push(p.id);
        say(ctx, `${ctx.terminal.out('green', '✓')} ${done.summary}`);
      } catch (err) {
        if (err instanceof InterruptedError)
          throw new InterruptedError(
            `${err.message}. Policies deleted so far: ${result.deleted.join(', ') || 'none'}`,
            commandLine(ctx.argv, []),
          );
        throw err;
      } finally {
        ctx.terminal.endProgress();
      }
    }
  } finally {
    restoreCtrlC();
  }
  return result;
}
