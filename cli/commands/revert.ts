/**
 * `cfcd revert --primary <id> --record-bucket <bucket> [--record <key>] [--staging <id>] [--dry-run] [--yes]`: puts
 * production back on the release the last promotion replaced, by command — the bake's revert, through the same code
 * (../../shared/revert/action.ts runs planRevert and revertWrite on the driver). It finds the newest revert record of
 * the primary (or the one named), refuses when the primary no longer carries the promotion it recorded, shows what
 * production would go back to and the config the revert changes, asks, then runs pass after pass (../job-loop.ts).
 */
import { randomUUID } from 'node:crypto';
import { planOnly } from '../../shared/aws/apply-plan.js';
import { readDistribution, readDistributionIfExists } from '../../shared/aws/cloudfront.js';
import { newestRecordOf, readRecord } from '../../shared/aws/revert-record.js';
import { rootObjectKey } from '../../shared/domain/distribution-config.js';
import { step } from '../../shared/domain/errors.js';
import type { AnyAction } from '../../shared/job/driver.js';
import { type RevertMemory, revertAction } from '../../shared/revert/action.js';
import {
  type RevertParams,
  type RevertRequest,
  parameterNames,
  parseRevertRequest,
} from '../../shared/revert/params.js';
import type { RevertPlan } from '../../shared/revert/plan.js';
import { type RevertRecord, recordedContentBucket } from '../../shared/revert/record.js';
import { type RevertTarget, judgeTarget, recordPrefix } from '../../shared/revert/target.js';
import { parseWithFlags } from '../action-flags.js';
import { COMMON_OPTIONS, CONFIRM_OPTIONS, type CommandSpec, UsageError } from '../args.js';
import { ask } from '../confirm.js';
import { type Context, commandLine, say, shellWord } from '../context.js';
import { DeclinedError, InterruptedError, RefusedError } from '../exit-codes.js';
import { type LoopResult, Stopper, runUntilDone, stopOnCtrlC } from '../job-loop.js';
import { cliLogger, describeEvent, paintMark } from '../logging.js';
import { sameChanges } from '../plan-view.js';
import { formatElapsed } from '../terminal.js';
import { showWaiting } from './actions.js';

export const revertSpec: CommandSpec = {
  name: 'revert',
  summary:
    'Put production back on the release the last promotion replaced, from the revert record promote wrote: ' +
    'refused when the primary no longer carries that promotion (a newer one, or a change by hand). The recorded ' +
    'config goes onto the staging, is promoted back onto the primary, and the primary is invalidated — the bake’s ' +
    'revert, by command. Shows what production would go back to and asks first.',
  synopsis:
    '--primary <id> --record-bucket <bucket> [--record <key>] [--staging <id>] [--bucket <bucket>] [--dry-run] ' +
    '[--yes] [options]',
  options: {
    primary: { type: 'string', value: '<id>', description: 'the production distribution' },
    'record-bucket': {
      type: 'string',
      value: '<bucket>',
      description: "the pipeline's artifact bucket holding cfcd-revert/<primary id>/ (promote's RevertRecordBucket)",
    },
    record: {
      type: 'string',
      value: '<key>',
      description: 'the record to go back by (default: the newest of the primary, found with ListObjectsV2)',
    },
    staging: {
      type: 'string',
      value: '<id>',
      description: 'the staging distribution the revert goes through (default: the one the record names)',
    },
    bucket: {
      type: 'string',
      value: '<bucket>',
      description:
        "the site bucket where the previous release's root object is checked before the first write " +
        "(default: the bucket of the record's S3 origin)",
    },
    'invalidation-paths': {
      type: 'string',
      value: '<json array>',
      description: "invalidated on the primary after the revert (default '[\"/*\"]'; '[]' = off)",
    },
    'max-wait-minutes': {
      type: 'string',
      value: '<minutes>',
      description: 'longest wait for CloudFront to propagate, 1-1440 (default 60)',
    },
    'dry-run': { type: 'boolean', description: 'show what production would go back to, and write nothing' },
    ...CONFIRM_OPTIONS,
    ...COMMON_OPTIONS,
  },
  details: [
    'Ctrl-C while waiting stops after the AWS calls in flight (twice: before the next call) and prints the command',
    'that carries on; every step is planned again from the live state, so the same command resumes the revert.',
    'Exit codes: 0 done (or nothing to do: reverted already), 1 a call failed or you answered no, 2 bad usage',
    '(nothing called), 3 refused (no record, production changed since the promotion, the previous release’s',
    'content is gone: nothing written), 130 stopped by Ctrl-C.',
  ].join('\n'),
};

/** The record to go back by: the one named, or the newest of the primary. */
async function findRecordKey(request: RevertRequest): Promise<string> {
  const prefix = recordPrefix(request.primaryId);
  const key = await step('list the revert records', () => newestRecordOf(request.recordBucket, request.primaryId));
  // Only the newest record is a way back: an older one is what an earlier promotion replaced, and going back by it
  // would cross the promotions since, even when production happens to carry that older promotion's config again.
  if (request.recordKey && request.recordKey !== key)
    throw new RefusedError(
      `--record ${request.recordKey} is not the newest revert record of primary ${request.primaryId} ` +
        `(${key ?? 'none'}): going back by it would cross the promotions recorded since. Nothing was written.`,
    );
  if (!key)
    throw new RefusedError(
      `no revert record of primary ${request.primaryId} in s3://${request.recordBucket}/${prefix}: promote writes ` +
        'one before each promotion when its RevertRecordBucket (cfcd promote --record-bucket) is set, and the ' +
        "artifact bucket's lifecycle expires them. Nothing to revert to; nothing was written.",
    );
  return key;
}

/**
 * Where the previous release's content is checked: `--bucket`, or else the bucket of the record's S3 origin (the
 * check is on by default). `note` says which, or why there is no check.
 */
export function contentCheck(
  request: Pick<RevertRequest, 'contentBucket'>,
  record: RevertRecord,
): { bucket: string | undefined; note: string } {
  const given = request.contentBucket;
  const bucket = given ?? recordedContentBucket(record);
  if (!bucket)
    return { bucket, note: "the record's config has no S3 origin: the previous release's content check is skipped" };
  const key = rootObjectKey(record.replaced.config, bucket);
  const from = given ? '--bucket' : "the record's S3 origin";
  if (!key)
    return {
      bucket,
      note: `the recorded config serves no default root object from s3://${bucket} (${from}): content check skipped`,
    };
  return { bucket, note: `the previous release's content is checked at s3://${bucket}/${key} (${from})` };
}

/** Finds the record, judges the live primary against it, and settles the staging: refused when production moved. */
async function findTarget(
  request: RevertRequest,
): Promise<{ params: RevertParams; target: RevertTarget; contentNote: string }> {
  const key = await findRecordKey(request);
  const [record, primary] = await Promise.all([
    step('read the revert record', () => readRecord(request.recordBucket, key, request.primaryId)),
    readDistribution(request.primaryId),
  ]);
  const stagingId = request.stagingId ?? record.stagingId;
  if (stagingId === request.primaryId)
    throw new RefusedError(`the record names the primary ${stagingId} as its staging; pass --staging <id>`);
  const staging = await readDistributionIfExists(stagingId);
  if (!staging)
    throw new RefusedError(
      request.stagingId
        ? `staging ${stagingId} (--staging) does not exist; nothing was written`
        : `the record's staging ${stagingId} no longer exists; pass --staging <id> (a staging distribution the ` +
            'revert can go through). Nothing was written.',
    );
  const target = judgeTarget(record, { bucket: request.recordBucket, key }, primary, staging);
  if (target.standing === 'changed') throw new RefusedError(`${target.summary}. Nothing was written.`);
  const content = contentCheck(request, record);
  return {
    params: { ...request, stagingId, recordKey: key, contentBucket: content.bucket },
    target,
    contentNote: content.note,
  };
}

/** What the person reads before answering: the record, the release, the config the revert changes, the first step. */
function showPlan(ctx: Context, target: RevertTarget, plan: RevertPlan<string>, title: string): void {
  const show = (text: string) => (ctx.json ? ctx.terminal.note(text) : ctx.terminal.line(text));
  const paint = ctx.json ? ctx.terminal.err : ctx.terminal.out;
  show(paint('bold', title));
  show(`${paint('bold', 'Record')}    ${target.recordAt} (recorded ${target.recordedAt})`);
  show(`${paint('bold', 'Back to')}   ${target.release}`);
  show(`${paint('bold', 'Now')}       ${target.brief}`);
  if (target.changes.length) {
    show(paint('bold', 'The revert changes, on the primary:'));
    for (const line of target.changes) show(`  - ${line}`);
  }
  if (plan.changes.length) {
    show(paint('bold', 'Changes'));
    plan.changes.forEach((c, i) => {
      show(`  ${i + 1}. ${paint('cyan', c.kind)}: ${c.reason}`);
    });
  } else show(`${paint('bold', 'Changes')}   none now (${plan.reason})`);
  const next = plan.next;
  show(
    next.kind === 'done'
      ? `${paint('bold', 'Then')}      done`
      : `${paint('bold', 'Then')}      wait for ${next.reason}; the next pass reads and plans again`,
  );
}

function describeTarget(target: RevertTarget, plan: RevertPlan<string>) {
  return {
    record: target.key,
    recordAt: target.recordAt,
    recordedAt: target.recordedAt,
    release: target.release,
    standing: target.standing,
    underWay: target.underWay,
    revertChanges: target.changes,
    plan: {
      changes: plan.changes.map(({ kind, reason }) => ({ kind, reason })),
      next:
        plan.next.kind === 'done'
          ? { kind: 'done' }
          : { kind: 'wait', phase: plan.next.phase, reason: plan.next.reason, inProgress: plan.next.inProgress },
    },
  };
}

/**
 * The command line that carries on after Ctrl-C: the same one, pinned to the record and staging it went by (it plans
 * again from the live state and, without --yes, asks again).
 */
function carryOn(ctx: Context, params: RevertParams): string {
  const base = commandLine(ctx.argv, ['record', 'staging']);
  const pins = ` --record ${shellWord(params.recordKey)} --staging ${shellWord(params.stagingId)}`;
  return `${base}${pins}`;
}

async function confirm(ctx: Context, release: string): Promise<void> {
  const answer = await ask(
    `Put production back on ${release}? [y/N] `,
    ctx.stdin,
    ctx.json ? ctx.terminal.stderr : ctx.terminal.stdout,
  );
  if (answer === 'interrupted') throw new InterruptedError('stopped at the confirmation; nothing was changed');
  if (answer === 'no') throw new DeclinedError('you answered no; nothing was changed');
}

export async function runRevert(values: Record<string, unknown>, ctx: Context): Promise<unknown> {
  const request = parseWithFlags(revertSpec, parameterNames, values, (p) => parseRevertRequest(JSON.stringify(p)));
  const dryRun = values['dry-run'] === true;
  if (!dryRun && values.yes !== true && !ctx.stdin.isTTY)
    throw new UsageError(
      'stdin is not a terminal, so cfcd cannot ask before reverting: pass --yes to revert without asking',
      revertSpec,
    );
  const stopper = new Stopper();
  const restoreCtrlC = stopOnCtrlC(stopper, (text) => ctx.terminal.note(text));
  try {
    const { params, target, contentNote } = await findTarget(request);
    ctx.terminal.note(contentNote);
    const planLog = cliLogger('revert', `cfcd-plan-${randomUUID()}`, () => undefined);
    const steps = revertAction.steps({ params, phase: undefined, memory: {} as RevertMemory, log: planLog });
    const { plan } = await planOnly(steps, planLog);
    if (stopper.requested) throw new InterruptedError('stopped before reverting; nothing was changed');
    const described = { ...describeTarget(target, plan), contentCheck: contentNote };
    const nothingToDo = !plan.changes.length && plan.next.kind === 'done';
    if (nothingToDo || dryRun) {
      showPlan(ctx, target, plan, `cfcd revert${dryRun ? ' (dry run: nothing is written)' : ''}: the plan`);
      const outcome = nothingToDo
        ? `nothing to do: production already serves ${target.release} (the revert is complete)`
        : 'dry run: nothing written';
      say(ctx, outcome);
      return { primary: params.primaryId, result: nothingToDo ? 'nothing-to-do' : 'dry-run', dryRun, ...described };
    }
    showPlan(ctx, target, plan, 'cfcd revert: the plan');
    if (values.yes !== true) await confirm(ctx, target.release);

    const writes: string[] = [];
    const log = cliLogger('revert', `cfcd-${randomUUID()}`, (level, event, fields) => {
      if (event === 'write') writes.push(String(fields.change ?? fields.operation));
      const shown = describeEvent(level, event, fields);
      if (!shown || ctx.json) return;
      say(ctx, `${paintMark(shown.mark, ctx.terminal.out)} ${shown.text}`);
    });
    let pass = 0;
    let result: LoopResult;
    try {
      result = await runUntilDone({
        action: revertAction as unknown as AnyAction,
        params,
        log,
        stopper,
        // What the person confirmed is what the first pass writes: anything else stops it, with nothing written.
        approve: (planned, { replan }) => {
          if (pass !== 1 || replan !== undefined || sameChanges(plan.changes, planned.changes)) return;
          throw new RefusedError(
            'the live state changed since you confirmed the plan; the revert now plans: ' +
              `${planned.changes.map((c) => `${c.kind} (${c.reason})`).join('; ') || 'no change'}. ` +
              'Nothing was written: run the command again to see the new plan.',
          );
        },
        onPass: (n) => {
          pass = n;
        },
        onWaiting: showWaiting(ctx),
      });
    } catch (err) {
      if (err instanceof InterruptedError && err.resume) throw new InterruptedError(err.message, carryOn(ctx, params));
      throw err;
    } finally {
      ctx.terminal.endProgress();
    }
    say(
      ctx,
      `${paintMark('done', ctx.terminal.out)} revert done in ${formatElapsed(result.elapsedMs)}: ${result.summary}`,
    );
    const vars = Object.entries(result.outputVariables);
    const width = Math.max(0, ...vars.map(([k]) => k.length));
    for (const [key, value] of vars) say(ctx, `  ${ctx.terminal.out('dim', key.padEnd(width))}  ${value}`);
    return {
      primary: params.primaryId,
      result: 'reverted',
      dryRun: false,
      ...described,
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
