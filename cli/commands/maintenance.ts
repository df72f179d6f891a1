/**
 * `cfcd suspend --primary <id>` and `cfcd resume --primary <id> (--policy <id> | --staging <id>)`: maintenance that
 * continuous deployment forbids, without a ticket (see ../../shared/maintenance/plan.ts). Each shows its plan, asks on
 * a terminal (`--yes` otherwise), then runs its action on the one driver pass after pass until the primary is
 * Deployed, as cleanup's removal does. Ctrl-C stops after the AWS calls in flight; the same command finishes the job.
 */
import { randomUUID } from 'node:crypto';
import { planOnly } from '../../shared/aws/apply-plan.js';
import { readDistribution } from '../../shared/aws/cloudfront.js';
import { ParamReader } from '../../shared/domain/params.js';
import { StateCheckError } from '../../shared/domain/errors.js';
import type { Change, Plan } from '../../shared/domain/plan.js';
import type { AnyAction } from '../../shared/job/driver.js';
import { resumeAction, suspendAction } from '../../shared/maintenance/actions.js';
import { parseWithFlags } from '../action-flags.js';
import { COMMON_OPTIONS, CONFIRM_OPTIONS, type CommandSpec, UsageError } from '../args.js';
import { listPolicies } from '../cloudfront-lists.js';
import { ask } from '../confirm.js';
import { type Context, commandLine, say } from '../context.js';
import { DeclinedError, InterruptedError } from '../exit-codes.js';
import { Stopper, runUntilDone, stopOnCtrlC } from '../job-loop.js';
import { cliLogger, describeEvent, paintMark } from '../logging.js';
import { formatElapsed } from '../terminal.js';

const EXIT_CODES =
  'Exit codes: 0 done (or nothing to do), 1 a call failed or you answered no, 2 bad usage, 3 refused (a canary ' +
  'under review, or a state CloudFront would refuse; nothing written), 130 stopped by Ctrl-C (run it again).';

export const suspendSpec: CommandSpec = {
  name: 'suspend',
  summary:
    'Detach the disabled continuous deployment policy from a primary, keeping the policy as it is, so that changes ' +
    'CloudFront refuses while it is attached (viewer certificate, minimum TLS version, a first web ACL) can be made; ' +
    'wait for Deployed. Refused while the policy is enabled (a canary under review).',
  synopsis: '--primary <id> [--yes] [options]',
  options: {
    primary: { type: 'string', value: '<id>', description: 'the production distribution' },
    ...CONFIRM_OPTIONS,
    ...COMMON_OPTIONS,
  },
  details: `The policy is not changed or deleted: \`cfcd resume\` attaches it again as it was.\n${EXIT_CODES}`,
};

export const resumeSpec: CommandSpec = {
  name: 'resume',
  summary:
    'Attach the policy `cfcd suspend` detached to the primary again, exactly as it is (still disabled, same staging ' +
    'and routing); wait for Deployed. Refused if the policy was enabled meanwhile or the primary has another policy.',
  synopsis: '--primary <id> (--policy <policy id> | --staging <id>) [--yes] [options]',
  options: {
    primary: { type: 'string', value: '<id>', description: 'the production distribution' },
    policy: { type: 'string', value: '<policy id>', description: 'the policy to attach (suspend printed it)' },
    staging: {
      type: 'string',
      value: '<id>',
      description: 'or: the staging distribution; the policy is the one that routes to it',
    },
    ...CONFIRM_OPTIONS,
    ...COMMON_OPTIONS,
  },
  details: EXIT_CODES,
};

const NAMES = ['PrimaryDistributionId', 'ContinuousDeploymentPolicyId', 'StagingDistributionId'];

/** The policy that routes to this staging (a staging is named by one policy at most). */
async function policyRoutingTo(stagingId: string): Promise<string> {
  const [staging, policies] = await Promise.all([readDistribution(stagingId), listPolicies()]);
  const found = policies.find((p) => (p.config.StagingDistributionDnsNames?.Items ?? []).includes(staging.domainName));
  if (!found)
    throw new StateCheckError(
      `no continuous deployment policy routes to staging ${stagingId} (${staging.domainName}): nothing to attach. ` +
        'Pass the policy with --policy, or create it with the staging stack and run `cfcd enable-cd`.',
    );
  return found.id;
}

/** Shows the plan and asks; resolves when there is something to run. */
type RunContext = Context & { values: Record<string, unknown> };

async function confirm(ctx: RunContext, title: string, plan: Plan<Change, string> & { nothingToDo?: string }) {
  const show = (text: string) => (ctx.json ? ctx.terminal.note(text) : ctx.terminal.line(text));
  const paint = ctx.json ? ctx.terminal.err : ctx.terminal.out;
  show(paint('bold', title));
  if (!plan.changes.length) {
    show(`  nothing to change: ${plan.nothingToDo ?? 'the change is made; waiting for Deployed'}`);
    return;
  }
  for (const c of plan.changes) show(`  - ${c.kind}: ${c.reason}`);
  if (plan.next.kind === 'wait') show(`  then wait for ${plan.next.reason}`);
  if (ctx.values.yes === true) return;
  const answer = await ask(
    'Apply this change? [y/N] ',
    ctx.stdin,
    ctx.json ? ctx.terminal.stderr : ctx.terminal.stdout,
  );
  if (answer === 'interrupted') throw new InterruptedError('stopped at the confirmation; nothing was changed');
  if (answer === 'no') throw new DeclinedError('you answered no; nothing was changed');
}

async function run(
  action: AnyAction,
  spec: CommandSpec,
  params: { primaryId: string; policyId?: string },
  ctx: RunContext,
): Promise<unknown> {
  if (ctx.values.yes !== true && !ctx.stdin.isTTY)
    throw new UsageError(
      'stdin is not a terminal, so cfcd cannot ask before applying: pass --yes to apply without asking',
      spec,
    );
  const planLog = cliLogger(action.name, `cfcd-plan-${randomUUID()}`, () => undefined);
  const { plan } = await planOnly(action.steps({ params, phase: undefined, memory: {}, log: planLog }), planLog);
  await confirm(ctx, `cfcd ${action.name}: the plan`, plan as Plan<Change, string> & { nothingToDo?: string });

  const writes: string[] = [];
  const log = cliLogger(action.name, `cfcd-${action.name}-${randomUUID()}`, (level, event, fields) => {
    if (event === 'write') writes.push(String(fields.change));
    const shown = describeEvent(level, event, fields);
    if (shown && !ctx.json) say(ctx, `${paintMark(shown.mark, ctx.terminal.out)} ${shown.text}`);
  });
  const stopper = new Stopper();
  const restoreCtrlC = stopOnCtrlC(stopper, (text) => ctx.terminal.note(text));
  try {
    const done = await runUntilDone({
      action,
      params,
      log,
      stopper,
      onWaiting: (w) => {
        const started = Date.now() - w.elapsedMs;
        ctx.terminal.showProgress(
          () => `${formatElapsed(Date.now() - started)}  waiting for ${w.reason}`,
          () => `… waiting for ${w.reason}`,
        );
      },
    });
    say(ctx, `${paintMark('done', ctx.terminal.out)} ${action.name} done: ${done.summary}`);
    return { action: action.name, result: 'succeeded', summary: done.summary, ...done.outputVariables, writes };
  } catch (err) {
    // Re-running the same command plans from the live state: it finishes the wait, or finds the change made.
    if (err instanceof InterruptedError) throw new InterruptedError(err.message, commandLine(ctx.argv, ['resume']));
    throw err;
  } finally {
    ctx.terminal.endProgress();
    restoreCtrlC();
  }
}

export async function runSuspend(values: Record<string, unknown>, ctx: Context): Promise<unknown> {
  const { primaryId } = parseWithFlags(suspendSpec, NAMES, values, (parameters) => ({
    primaryId: new ParamReader(parameters, NAMES).distributionId('PrimaryDistributionId'),
  }));
  return run(suspendAction as unknown as AnyAction, suspendSpec, { primaryId }, { ...ctx, values });
}

export async function runResume(values: Record<string, unknown>, ctx: Context): Promise<unknown> {
  const read = parseWithFlags(resumeSpec, NAMES, values, (parameters) => {
    const p = new ParamReader(parameters, NAMES);
    return {
      primaryId: p.distributionId('PrimaryDistributionId'),
      policyId: p.optionalPolicyId('ContinuousDeploymentPolicyId'),
      stagingId: parameters.StagingDistributionId ? p.distributionId('StagingDistributionId') : undefined,
    };
  });
  if (!read.policyId === !read.stagingId)
    throw new UsageError(
      'pass the policy to attach with --policy, or the staging it routes to with --staging',
      resumeSpec,
    );
  const policyId = read.policyId ?? (await policyRoutingTo(read.stagingId as string));
  return run(
    resumeAction as unknown as AnyAction,
    resumeSpec,
    { primaryId: read.primaryId, policyId },
    {
      ...ctx,
      values,
    },
  );
}
