/**
 * `cfcd plan <action>` and `cfcd <action>` for enable-cd, promote and abort. `plan` is the action's own dry run
 * (`planOnly` over its exported steps): read, check, plan, print — never a write. The apply command shows the same
 * plan, asks on a terminal, then runs the action's own `run` pass after pass (job-loop.ts) with a live progress
 * line until it is done.
 */
import { randomUUID } from 'node:crypto';
import { planOnly } from '../../shared/aws/apply-plan.js';
import {
  CLI_WORDS,
  type CliAction,
  firstPassSteps,
  flagOf,
  paramsFromFlags,
  parameterOptions,
  userParametersOf,
} from '../action-flags.js';
import { sayError } from '../../shared/domain/errors.js';
import { ask } from '../confirm.js';
import { type Context, commandLine, say } from '../context.js';
import { DeclinedError, InterruptedError, RefusedError } from '../exit-codes.js';
import { type LoopResult, Stopper, type Waiting, readResumeArgument, runUntilDone, stopOnCtrlC } from '../job-loop.js';
import type { Continuation } from '../../shared/job/continuation.js';
import { type LogObserver, cliLogger, describeEvent, paintMark } from '../logging.js';
import type { PlanApproval } from '../../shared/aws/apply-plan.js';
import { type PlanView, sameChanges, viewPlan } from '../plan-view.js';
import { formatElapsed } from '../terminal.js';
import { COMMON_OPTIONS, CONFIRM_OPTIONS, type CommandSpec, UsageError, stringFlag } from '../args.js';

type Values = Record<string, unknown>;

export function planSpec(action: CliAction): CommandSpec {
  return {
    name: `plan ${action.name}`,
    summary:
      `Show what ${action.name} would do now, from the live state: ` +
      "the action's own checks and planner, and never a write.",
    synopsis: action.synopsis,
    options: { ...parameterOptions(action), ...COMMON_OPTIONS },
    details:
      "The flags are the action's UserParameters (as a pipeline passes them), checked by the same parser.\n" +
      'Exit codes: 0 planned, 1 a read failed, 2 bad usage, 3 refused by a check (the plan says why).',
  };
}

export function applySpec(action: CliAction): CommandSpec {
  return {
    name: action.name,
    summary: `${action.summary} The plan is shown first and, on a terminal, applied only once you answer yes.`,
    synopsis: action.synopsis,
    options: {
      ...parameterOptions(action),
      ...CONFIRM_OPTIONS,
      resume: {
        type: 'string',
        value: '<token>',
        description: 'carry on a run stopped with Ctrl-C (the command it printed)',
      },
      ...COMMON_OPTIONS,
    },
    details: [
      "The flags are the action's UserParameters (as a pipeline passes them), checked by the same parser.",
      'Ctrl-C while waiting stops after the AWS calls in flight (twice: before the next call) and prints how to',
      'resume; no change is ever left half-made.',
      'Exit codes: 0 done, 1 the action failed or you answered no, 2 bad usage, 3 refused by a check (nothing',
      'written), 130 stopped by Ctrl-C.',
    ].join('\n'),
  };
}

/** Events a dry run shows beside its plan: the gate's figures (everything else is in the plan itself). */
const showInDryRun = new Set(['gate']);

function printEvent(ctx: Context, ...[level, event, fields]: Parameters<LogObserver>): void {
  const shown = describeEvent(level, event, fields);
  if (!shown || ctx.json) return;
  const { out } = ctx.terminal;
  say(ctx, `${paintMark(shown.mark, out)} ${shown.text}`);
  for (const line of shown.details ?? []) say(ctx, `    - ${line}`);
}

/**
 * What cfcd shows of one wait: one short line every pass (the figures that matter), and the full reason — what may
 * be keeping it, e.g. the gate's possible causes — once, the first time the action waits for it, or every pass with
 * `--verbose`. `seen` keeps the waits already explained (by their short line without figures: the phase).
 */
export function waitingLines(
  w: Pick<Waiting, 'phase' | 'reason' | 'brief' | 'inProgress'>,
  { seen, verbose }: { seen: Set<string>; verbose: boolean },
): { full: string | undefined; line: string } {
  const inProgress = w.inProgress.length ? ` — InProgress: ${w.inProgress.join(', ')}` : '';
  const first = !seen.has(w.phase);
  seen.add(w.phase);
  const full = w.reason !== w.brief && (first || verbose) ? `${w.reason}${inProgress}` : undefined;
  return { full, line: `waiting for ${w.brief}${inProgress}` };
}

/**
 * The job loop's `onWaiting` for a terminal: the full reason once (waitingLines), then a progress line with the
 * time waited and the pass, until the next wait or the end. Each run of a command makes its own (its waits seen).
 */
export function showWaiting(ctx: Context): (w: Waiting) => void {
  const seen = new Set<string>();
  return (w) => {
    const shown = waitingLines(w, { seen, verbose: ctx.verbose });
    if (shown.full) ctx.terminal.note(`waiting for ${shown.full}`);
    const started = Date.now() - w.elapsedMs;
    ctx.terminal.showProgress(
      () => `${formatElapsed(Date.now() - started)}  ${shown.line}  (pass ${w.pass})`,
      () => `… ${shown.line}`,
    );
  };
}

export async function runPlan(action: CliAction, values: Values, ctx: Context): Promise<unknown> {
  const params = paramsFromFlags(action, planSpec(action), values);
  const log = cliLogger(action.name, `cfcd-plan-${randomUUID()}`, (level, event, fields) => {
    if (showInDryRun.has(event)) printEvent(ctx, level, event, fields);
  });
  const { state, plan } = await planOnly(firstPassSteps(action, params, log), log);
  const view = viewPlan(action, state, plan);
  say(ctx, `${ctx.terminal.out('bold', `cfcd plan ${action.name}`)}  (dry run: nothing is written)`);
  for (const line of view.lines(ctx.terminal.out)) say(ctx, line);
  return { dryRun: true, userParameters: userParametersOf(action, values), ...view.json };
}

/** The heading of a plan: a resumed run says that it planned again from the live state, not from the token. */
const planTitle = (action: CliAction, resume: Continuation | undefined) =>
  resume
    ? `cfcd ${action.name} --resume (${resume.phase}): the plan, made again from the live state`
    : `cfcd ${action.name}: the plan`;

/** Prints the plan and asks; resolves when the person said yes. */
async function confirmPlan(ctx: Context, title: string, view: PlanView): Promise<void> {
  // Under --json stdout is for the one document; the person at the terminal still sees the plan, on stderr.
  const show = (text: string) => (ctx.json ? ctx.terminal.note(text) : ctx.terminal.line(text));
  const paint = ctx.json ? ctx.terminal.err : ctx.terminal.out;
  show(paint('bold', title));
  for (const line of view.lines(paint)) show(line);
  const these = view.changes.length === 1 ? 'this change' : `these ${view.changes.length} changes`;
  const question = view.changes.length
    ? `Apply ${these}${view.laterPassesDecide ? ' and carry on' : ''}? [y/N] `
    : 'Nothing to write now; carry on (a later pass plans again and may write)? [y/N] ';
  const answer = await ask(question, ctx.stdin, ctx.json ? ctx.terminal.stderr : ctx.terminal.stdout);
  if (answer === 'interrupted') throw new InterruptedError('stopped at the confirmation; nothing was changed');
  if (answer === 'no') throw new DeclinedError('you answered no; nothing was changed');
}

/**
 * Plans (the action's dry run), shows the plan and asks. Resolves with the parameters to apply — pinned to the
 * confirmed state where the action allows it — the flags that pin them (for the resume command), and the confirmed
 * plan when it is the whole story of the first pass (the guard: a first pass that would write anything else stops
 * before writing). A `--resume` is planned the same way, from the live state with the token's phase and memory: the
 * token is a bookmark, and nothing it leads to is written before the person has seen the plan in this process.
 */
async function planAndConfirm(
  action: CliAction,
  params: unknown,
  values: Values,
  ctx: Context,
  stopper: Stopper,
  resume: Continuation | undefined,
): Promise<{ params: unknown; pinnedFlags: string[]; guard: PlanView | undefined }> {
  const log = cliLogger(action.name, `cfcd-plan-${randomUUID()}`, () => undefined);
  const steps = resume
    ? action.action.steps({ params, phase: resume.phase, memory: resume.data ?? {}, log })
    : firstPassSteps(action, params, log);
  const { state, plan } = await planOnly(steps, log);
  if (stopper.requested) throw new InterruptedError('stopped before applying; nothing was changed');
  const view = viewPlan(action, state, plan);
  if (view.nothingToDo) return { params, pinnedFlags: [], guard: undefined };
  const title = planTitle(action, resume);
  if (values.yes !== true) await confirmPlan(ctx, title, view);
  else {
    say(ctx, ctx.terminal.out('bold', title));
    for (const line of view.lines(ctx.terminal.out)) say(ctx, line);
  }
  const given = userParametersOf(action, values);
  const pinned = Object.entries(action.pinned?.(state) ?? {}).filter(([name]) => given[name] === undefined);
  return {
    params: pinned.length
      ? action.action.parseParams(JSON.stringify({ ...given, ...Object.fromEntries(pinned) }))
      : params,
    pinnedFlags: pinned.flatMap(([name, value]) => [`--${flagOf(name)}`, value]),
    guard: view.laterPassesDecide ? undefined : view,
  };
}

export async function runApply(action: CliAction, values: Values, ctx: Context): Promise<unknown> {
  const spec = applySpec(action);
  let params = paramsFromFlags(action, spec, values);
  const resumeArg = stringFlag(values as Record<string, string>, 'resume');
  let resume: ReturnType<typeof readResumeArgument> | undefined;
  if (resumeArg) {
    try {
      resume = readResumeArgument(action.action, resumeArg);
    } catch (err) {
      throw new UsageError(`--resume: ${sayError(err, CLI_WORDS)}`, spec);
    }
  }
  // A --resume is no confirmation: the token may be hand-made or pasted, and the live state may have moved since.
  if (values.yes !== true && !ctx.stdin.isTTY)
    throw new UsageError(
      `stdin is not a terminal, so cfcd cannot ask before ${resume ? 'carrying on (--resume)' : 'applying'}: ` +
        'pass --yes to apply without asking',
      spec,
    );

  const stopper = new Stopper();
  const restoreCtrlC = stopOnCtrlC(stopper, (text) => ctx.terminal.note(text));
  const jobId = `cfcd-${randomUUID()}`;
  try {
    const confirmed = await planAndConfirm(action, params, values, ctx, stopper, resume);
    params = confirmed.params;
    const { guard, pinnedFlags } = confirmed;

    const writes: string[] = [];
    let pass = 0;
    const log = cliLogger(action.name, jobId, (level, event, fields) => {
      if (event === 'write') writes.push(String(fields.change ?? fields.operation));
      // A gate that waits is said by the waiting line, with its figures: one line per pass, not two.
      if (event === 'gate' && fields.decision === 'wait') return;
      printEvent(ctx, level, event, fields);
    });
    // The first plan of the first pass is looked at before anything is written: a plan other than the one confirmed
    // stops the run, with nothing written.
    const approve: PlanApproval = (plan, { replan }) => {
      if (pass !== 1 || !guard || replan !== undefined) return;
      if (!sameChanges(guard.changes, plan.changes))
        throw new RefusedError(
          'the live state changed since you confirmed the plan; ' +
            `the action now plans: ${plan.changes.map((c) => `${c.kind} (${c.reason})`).join('; ') || 'no change'}. ` +
            'Nothing was written: run the command again to see the new plan.',
        );
    };
    let result: LoopResult;
    try {
      result = await runUntilDone({
        action: action.action,
        params,
        log,
        approve,
        resume,
        stopper,
        onPass: (n) => {
          pass = n;
        },
        onWaiting: showWaiting(ctx),
      });
    } catch (err) {
      // The resume command carries what was confirmed (the staging ETag promote pinned), not only the token.
      if (err instanceof InterruptedError && err.resume) {
        const pins = pinnedFlags.length ? ` ${pinnedFlags.join(' ')}` : '';
        throw new InterruptedError(err.message, `${commandLine(ctx.argv, ['resume'])}${pins} --resume ${err.resume}`);
      }
      throw err;
    } finally {
      ctx.terminal.endProgress();
    }
    const done = `${action.name} done in ${formatElapsed(result.elapsedMs)}`;
    say(ctx, `${paintMark('done', ctx.terminal.out)} ${done}: ${result.summary}`);
    const vars = Object.entries(result.outputVariables);
    const width = Math.max(0, ...vars.map(([k]) => k.length));
    for (const [key, value] of vars) say(ctx, `  ${ctx.terminal.out('dim', key.padEnd(width))}  ${value}`);
    return {
      action: action.name,
      result: 'succeeded',
      summary: result.summary,
      outputVariables: result.outputVariables,
      writes,
      passes: result.passes,
      elapsedSeconds: Math.round(result.elapsedMs / 1000),
    };
  } finally {
    restoreCtrlC();
  }
}
