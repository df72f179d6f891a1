/**
 * The bake, declared: after promote, judge production for `BakeMinutes` once the primary is Deployed with the
 * promotion and its invalidation Completed, and put production back on the release the promotion replaced when it is
 * unhealthy. read (the revert record ‖ primary ‖ staging, then what the bake needs: the latest invalidation, the
 * primary's traffic ‖ the alarms of `AlarmNames`, the previous release's root object) → plan (plan.ts,
 * shared/revert/plan.ts) → write the revert's next step → wait via continuation. A healthy bake writes nothing; a
 * revert ends in a failed job saying where production is back and why. The driver (shared/job/driver.ts) runs it.
 */
import { readAlarms } from '../../shared/aws/alarms.js';
import type { PlanSteps } from '../../shared/aws/apply-plan.js';
import { readDistribution } from '../../shared/aws/cloudfront.js';
import { readLatestInvalidation, startCacheRead } from '../../shared/aws/invalidations.js';
import { readTraffic } from '../../shared/aws/metrics.js';
import { newestRecordOf, readRecord } from '../../shared/aws/revert-record.js';
import { objectExists } from '../../shared/aws/s3-objects.js';
import { type AlarmStates, alarmLabel } from '../../shared/domain/alarms.js';
import { rootObjectKey } from '../../shared/domain/distribution-config.js';
import { CfcdError, step } from '../../shared/domain/errors.js';
import { invalidationIdOf } from '../../shared/domain/invalidation.js';
import { DONE } from '../../shared/domain/plan.js';
import { distributionLogFields, isDeployed } from '../../shared/domain/resources.js';
import type { ActionDefinition, Memory } from '../../shared/job/driver.js';
import type { Logger } from '../../shared/log.js';
import { type RevertChange, primaryStanding, revertUnderWay, stagingCarriesRecord } from '../../shared/revert/plan.js';
import { describeRecordedRelease } from '../../shared/revert/record.js';
import { REVERT_INVALIDATION, revertStepName, revertWrite } from '../../shared/revert/steps.js';
import { type BakeParams, REVERT_WAIT_MINUTES, parameterNames, parseBakeParams } from './params.js';
import { type BakePhase, PHASES } from './phases.js';
import {
  type BakeMemory,
  type BakePlan,
  type BakeState,
  type BakeTraffic,
  bakeStart,
  bakeWindows,
  judgeBake,
  planBake,
} from './plan.js';

/** The bake's memory as the driver keeps it. */
type BakeMemoryData = Memory & BakeMemory & { [REVERT_INVALIDATION]?: string };

/** A pass's state: the bake's, or nothing at all when promote did not promote in this execution. */
type BakePassState = ({ noRecord: false } & BakeState) | { noRecord: true };
type BakePassPlan = BakePlan | { kind: 'no-record'; reason: string; changes: RevertChange[]; next: typeof DONE };

/** The bake ended in a revert: production is back on the recorded release. Reported as JobFailed. */
export class BakeRevertedError extends CfcdError {
  override readonly name = 'BakeRevertedError';
  readonly kind = 'failed';
}

/** Too little traffic to judge by MaxWaitMinutes, with `InconclusiveBake` "fail". */
export class BakeInconclusiveError extends CfcdError {
  override readonly name = 'BakeInconclusiveError';
  readonly kind = 'failed';
}

/** What the primary served since the bake started, and in a window as long before the promotion: two reads. */
async function readBakeTraffic(primaryId: string, startedAt: number, recordedAt: number, now: number) {
  const windows = bakeWindows(startedAt, recordedAt, now);
  const [[bake], [baseline]] = await Promise.all([
    readTraffic([primaryId], windows.bake),
    readTraffic([primaryId], windows.baseline),
  ]);
  if (!bake || !baseline) throw new Error(`GetMetricData gave no figures for primary ${primaryId}`);
  const traffic: BakeTraffic = { bake, baseline, bakeWindow: windows.bake, baselineWindow: windows.baseline };
  return traffic;
}

/** The alarms of `AlarmNames` (none named: no call), logged with their states; WARN when one was not found. */
async function readBakeAlarms(params: BakeParams, log: Logger): Promise<AlarmStates> {
  const alarms = await step('read the alarms', () => readAlarms(params.alarms));
  if (params.alarms.length)
    log[alarms.missing.length ? 'warn' : 'info']('alarms-read', {
      alarms: alarms.readings.map((a) => ({ name: a.name, region: a.region ?? null, state: a.state })),
      ...(alarms.missing.length ? { missingAlarms: alarms.missing.map(alarmLabel) } : {}),
    });
  return alarms;
}

/** The job's wait so far, from the token's start (never before the promotion, never after now). */
function waitedMs(memory: BakeMemoryData, promotedAt: number, now: number): number {
  const remembered = Number(memory.jobStartedAt);
  const started = Number.isFinite(remembered) ? Math.min(Math.max(remembered, promotedAt), now) : now;
  return now - started;
}

/** Reads what this pass needs, and no more: each read depends on where the bake stands. */
async function readBake(
  params: BakeParams,
  ref: { bucket: string; key: string },
  memory: BakeMemoryData,
  log: Logger,
): Promise<BakeState> {
  const now = Date.now();
  const [record, primary, staging] = await Promise.all([
    step('read the revert record', () => readRecord(ref.bucket, ref.key, params.primaryId)),
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
  ]);
  const state: BakeState = { now, record, recordAt: `s3://${ref.bucket}/${ref.key}`, primary, staging };
  const standing = primaryStanding(record, primary);
  const underWay = revertUnderWay(record, primary, staging);
  log.info('state-read', {
    primary: distributionLogFields(primary),
    staging: distributionLogFields(staging),
    record: ref.key,
    standing,
    revertUnderWay: underWay,
  });
  if (standing === 'changed') return state;
  if (standing === 'reverted') {
    // Found reverted with no verdict in the token (the reports of the passes that wrote were lost): the figures since
    // the promotion still say why.
    if (memory.verdict === undefined) {
      const since = Number(memory.bakeStartedAt ?? Date.parse(record.recordedAt));
      [state.traffic, state.alarms] = await Promise.all([
        step('read the primary traffic from CloudWatch', () =>
          readBakeTraffic(primary.id, since, Date.parse(record.recordedAt), now),
        ),
        readBakeAlarms(params, log),
      ]);
    }
    if (isDeployed(primary) && params.invalidationPaths.length)
      state.cache = await step("read the primary's invalidations", () =>
        startCacheRead(primary.id).finish(primary, params.invalidationPaths, memory[REVERT_INVALIDATION]),
      );
    return state;
  }
  if (memory.bakeStartedAt === undefined && !underWay)
    state.latestInvalidation = (await readLatestInvalidation(primary.id)) ?? null;
  const started = bakeStart(state, memory);
  const waited = waitedMs(memory, primary.lastModified?.getTime() ?? 0, now);
  // A revert not yet under way in the live state starts only on figures read now: a token's verdict names why a
  // revert started, it never starts one.
  if (started !== undefined && (memory.verdict === undefined || !underWay))
    [state.traffic, state.alarms] = await Promise.all([
      step('read the primary traffic from CloudWatch', () =>
        readBakeTraffic(primary.id, started, Date.parse(record.recordedAt), now),
      ),
      readBakeAlarms(params, log),
    ]);
  // The previous release's content, checked before the revert's first write.
  const revertNext =
    state.traffic !== undefined &&
    started !== undefined &&
    judgeBake(params, state.traffic, { bakedMs: now - started, waitedMs: waited }, state.alarms).kind === 'unhealthy';
  const bucket = params.contentBucket;
  const key = bucket ? rootObjectKey(record.replaced.config, bucket) : undefined;
  if (bucket && key && revertNext && !stagingCarriesRecord(record, staging))
    state.content = {
      bucket,
      key,
      exists: await step("check the previous release's content", () => objectExists(bucket, key)),
    };
  return state;
}

/**
 * With `RevertRecord` `none` (promote did not promote in this job: a re-run after an earlier attempt promoted), the
 * newest record of the primary when the primary still carries its promotion (or its revert): the way back of the
 * promotion production is on. Found once; the token keeps it, so a later record never takes its place.
 */
async function carriedRecord(params: BakeParams, log: Logger): Promise<{ bucket: string; key: string } | undefined> {
  const bucket = params.recordBucket;
  const key = await step("find the primary's newest revert record", () => newestRecordOf(bucket, params.primaryId));
  if (!key) {
    log.info('record-lookup', { found: null, reason: 'no revert record of this primary' });
    return undefined;
  }
  const [record, primary] = await Promise.all([
    step('read the revert record', () => readRecord(bucket, key, params.primaryId)),
    readDistribution(params.primaryId),
  ]);
  const standing = primaryStanding(record, primary);
  log.info('record-lookup', { found: key, standing });
  // Only a promotion production still carries is baked. `reverted` here means the primary carries the record's
  // replaced config: a revert already done, or a promotion that failed after its record was written — either way
  // nothing of this job's to bake (a bake that reverted keeps its record's key in its token and never looks up).
  return standing === 'promoted' ? { bucket, key } : undefined;
}

/** How the bake reads, plans and writes in one pass. */
function bakeSteps(params: BakeParams, log: Logger, memory: BakeMemoryData): PlanSteps<BakePassState, BakePassPlan> {
  return {
    read: async () => {
      const ref =
        params.record ??
        (memory.foundRecord ? { bucket: params.recordBucket, key: memory.foundRecord } : undefined) ??
        (await carriedRecord(params, log));
      return ref
        ? { noRecord: false as const, ...(await readBake(params, ref, memory, log)) }
        : { noRecord: true as const };
    },
    plan: (s) => {
      if (s.noRecord)
        return {
          kind: 'no-record',
          reason:
            'promote did not promote in this execution (RevertRecord is none) and the primary carries no ' +
            'promotion a revert record names: nothing to bake',
          changes: [],
          next: DONE,
        };
      const plan = planBake(s, params, memory, waitedMs(memory, s.primary.lastModified?.getTime() ?? 0, s.now));
      if ('verdict' in plan && plan.verdict) log.warn('bake-unhealthy', { verdict: plan.verdict, record: s.recordAt });
      return plan;
    },
    write: (change, s) => {
      if (s.noRecord) throw new Error('bake: nothing to write without a record');
      return revertWrite(change, s, log);
    },
    stepName: revertStepName,
    describe: (plan) => ({ bake: plan.kind, reason: plan.reason }),
  };
}

/** The report: success for a healthy (or, by choice, inconclusive) bake; a failure for a revert. */
function summarise(
  params: BakeParams,
  state: BakePassState,
  plan: BakePassPlan,
  memory: BakeMemoryData,
  log: Logger,
): { summary: string; outputVariables: Record<string, string> } {
  if (plan.kind === 'no-record' || state.noRecord) {
    log.warn('bake-skipped', { reason: plan.reason });
    return { summary: `nothing baked: ${plan.reason}`, outputVariables: { BakeResult: 'skipped' } };
  }
  const release = describeRecordedRelease(state.record);
  if (plan.kind === 'reverted') {
    const invalidationId = memory[REVERT_INVALIDATION] ?? invalidationIdOf(plan.cache);
    const viewers = invalidationId
      ? `its edge caches were invalidated (${invalidationId}, Completed)`
      : 'its edge caches were NOT invalidated (InvalidationPaths is []): viewers may get the failed release until ' +
        'its objects expire';
    log.info('outcome', { result: 'reverted', release, verdict: memory.verdict ?? null, invalidationId });
    throw new BakeRevertedError(
      `production is back on ${release}: primary ${params.primaryId} serves the config recorded before the ` +
        `promotion (${state.recordAt}), is Deployed, and ${viewers}. Reverted because ` +
        `${memory.verdict ?? 'a revert of this promotion was under way'}. Staging ${params.stagingId} now carries ` +
        'the previous release too; fix the release and run the pipeline again.',
    );
  }
  if (plan.kind === 'inconclusive' && params.inconclusive === 'fail')
    throw new BakeInconclusiveError(
      `the bake could not judge production: ${plan.reason}. InconclusiveBake is "fail": production stays on the ` +
        `promoted release (nothing was reverted). Check it by hand; the way back is ${state.recordAt}.`,
    );
  const result = plan.kind === 'inconclusive' ? 'inconclusive' : 'healthy';
  if (result === 'inconclusive') log.warn('bake-inconclusive', { reason: plan.reason });
  log.info('outcome', { result, reason: plan.reason });
  return {
    summary:
      result === 'healthy'
        ? `bake passed: ${plan.reason}; nothing was written`
        : `bake inconclusive (warning): ${plan.reason}; InconclusiveBake is "succeed", nothing was written`,
    outputVariables: { BakeResult: result, RevertRecord: state.recordAt },
  };
}

export const bakeAction: ActionDefinition<BakeParams, BakePassState, BakePassPlan, BakePhase, BakeMemoryData> = {
  name: 'bake',
  parameterNames,
  parseParams: parseBakeParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes + REVERT_WAIT_MINUTES,
  phases: PHASES,
  readStep: 'read the revert record, primary and staging',
  steps: ({ params, memory, log }) => bakeSteps(params, log, memory),
  remember: ({ state, plan, input }) => {
    if (state.noRecord) return {};
    const { params } = input;
    const started = Number(input.memory.jobStartedAt);
    // A record found by lookup (RevertRecord none) is kept: its key is the end of recordAt.
    const found = params.record ? undefined : state.recordAt.slice(`s3://${params.recordBucket}/`.length);
    return {
      ...(found ? { foundRecord: found } : {}),
      jobStartedAt: String(Number.isFinite(started) ? Math.min(started, state.now) : state.now),
      ...('bakeStartedAt' in plan && plan.bakeStartedAt !== undefined
        ? { bakeStartedAt: String(plan.bakeStartedAt) }
        : {}),
      ...('verdict' in plan && plan.verdict ? { verdict: plan.verdict } : {}),
    };
  },
  summarise: ({ params, state, plan, memory }, log) => summarise(params, state, plan, memory, log),
};
