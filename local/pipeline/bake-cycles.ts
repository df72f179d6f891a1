/**
 * The bake's cycles of `npm start` (docs/bake.md). The pipeline stack is updated with BakeMinutes and a bake
 * threshold: promote records what each promotion replaces in the artifact bucket, and a BakeProduction action after
 * it judges production for BakeMinutes of virtual time (virtual-clock.ts: each continuation is a minute, at the end of
 * which a minute's viewers come), reverting a release that fails at full traffic.
 *   12 — a release that passes its header canary (its reviewer and the synthetic check open the home page) but fails
 *        in production on a page the canary never reached: promoted, the bake judges production unhealthy on its
 *        first minute of full traffic, puts the recorded config onto the staging, promotes it back and invalidates;
 *        viewers get the previous release again and the execution fails naming it, with the figures.
 *   13 — a healthy release: the bake judges BakeMinutes of production healthy and writes nothing.
 * The ramp is off again (RampSteps empty): with it, weighted viewers would reach the failing page during the ramp,
 * which would stop cycle 12's release before the promotion — the ramp's job, shown in cycle 11. The bake is for what
 * a canary lets through.
 */
import { GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { commitOfOriginPath, releaseOriginPath } from '../../shared/release/manifest.js';
import { policyEnabled } from './aws.js';
import { everyoneGets, headerReview, syntheticCheck, type Check, type Cycle, type CycleContext } from './cycle-kit.js';
import type { LogLine } from './lambda.js';
import type { PipelineResult, RunnerEvent } from './local-codepipeline.js';
import { ARTIFACT_BUCKET, type Release } from './pipeline-definition.js';
import { SHIPPING_PARAMETERS, shippedRelease } from './shipped-cycles.js';
import { SITE_BUCKET } from './site.js';
import { summarize } from './viewers.js';

/** How long the bake judges production, in (virtual) minutes. */
export const BAKE_MINUTES = 3;

/**
 * The pipeline stack with the bake: still shipping the site, the ramp off (RampSteps back to empty, see above),
 * BakeMinutes 3, and a 5xx rate more than 5 points above production's own before the promotion is unhealthy once the
 * bake window holds 100 requests. The watch goes back to this run's MinStagingRequests (20).
 */
export const BAKE_PARAMETERS = {
  ...SHIPPING_PARAMETERS,
  BakeMinutes: String(BAKE_MINUTES),
  BakeMaxErrorRateIncrease: '5',
  BakeMinRequests: '100',
} as const;

/** The page cycle 12's release fails on: its canary's reviewer and synthetic check open the home page only. */
export const FAILING_PAGE = '/about.html';
/** Each virtual minute's viewers: most open the home page, some the about page. */
const HOME_VIEWERS = 150;
const PAGE_VIEWERS = 50;

/** One virtual minute's viewers: the version the home page named, the status the about page answered. */
interface Minute {
  home: string[];
  page: number[];
  /** Where the release stood when the minute ended. */
  stage: Stage;
}

type Stage = 'before the promotion' | 'promoted' | 'reverted';

/** Where a release stands, from its execution's writes: promoted once promote wrote, reverted once the bake did. */
function stageOf(events: RunnerEvent[]): Stage {
  const writes = events.flatMap((e) =>
    e.type === 'invocation' ? e.logs.filter((l) => l.event === 'write').map((l) => ({ fn: e.functionName, l })) : [],
  );
  if (writes.some((w) => w.fn === 'bake' && w.l.change === 'promote-recorded-config')) return 'reverted';
  if (writes.some((w) => w.fn === 'promote' && w.l.operation === 'UpdateDistributionWithStagingConfig'))
    return 'promoted';
  return 'before the promotion';
}

const statuses = (page: number[]) => summarize(page.map((s) => `HTTP ${s}`));

/** Each minute, {@link HOME_VIEWERS} + {@link PAGE_VIEWERS} viewers; recorded in `minutes`, summed for the timeline. */
function viewersEachMinute(c: CycleContext, r: Release, minutes: Minute[]) {
  return async () => {
    const stage = stageOf(c.eventsOf(r.version));
    const [home, page] = await Promise.all([
      c.viewers.sample(HOME_VIEWERS),
      c.viewers.statusesAt(FAILING_PAGE, PAGE_VIEWERS),
    ]);
    minutes.push({ home, page, stage });
    return `${HOME_VIEWERS + PAGE_VIEWERS} viewers: / ${summarize(home)}; ${FAILING_PAGE} ${statuses(page)} (${stage})`;
  };
}

/** The log lines of a function's invocations in an execution, in order. */
const logsOf = (events: RunnerEvent[], functionName: string): LogLine[] =>
  events.flatMap((e) => (e.type === 'invocation' && e.functionName === functionName ? e.logs : []));

/** The changes the bake wrote, in order. */
const bakeWrites = (events: RunnerEvent[]) =>
  logsOf(events, 'bake').flatMap((l) => (l.event === 'write' ? [String(l.change)] : []));

/** The first origin's OriginPath of a distribution. */
async function originPathOf(c: CycleContext, id: string | undefined): Promise<string | undefined> {
  if (!id) return undefined;
  const out = await c.clients.cloudFront.send(new GetDistributionConfigCommand({ Id: id }));
  return out.DistributionConfig?.Origins?.Items?.[0]?.OriginPath;
}

/** How the bake names the release production goes back to (`commit <id>` or `origin path "/v10"`). */
const releaseName = (originPath: string) => {
  const commit = commitOfOriginPath(originPath);
  return commit ? `commit ${commit}` : `origin path "${originPath}"`;
};

const failureOf = (r: PipelineResult) => (r.status === 'Failed' ? `${r.action}: ${r.message}` : 'succeeded');

/** Promote wrote the revert record before promoting, and it holds what production served: `before`. */
async function recordWritten(c: CycleContext, events: RunnerEvent[], before: string, r: Release): Promise<Check> {
  const logs = logsOf(events, 'promote');
  const recorded = logs.findIndex((l) => l.event === 'revert-recorded');
  const promoted = logs.findIndex((l) => l.event === 'write' && l.operation === 'UpdateDistributionWithStagingConfig');
  const key = recorded >= 0 ? String(logs[recorded]?.key) : undefined;
  const text = key
    ? await c.clients.s3
        .send(new GetObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: key }))
        .then((o) => o.Body?.transformToString())
        .catch((err: Error) => `(${err.name})`)
    : undefined;
  let replaced: string | undefined;
  try {
    const record = JSON.parse(text ?? '{}') as { replaced?: { originPaths?: { originPath?: string }[] } };
    replaced = record.replaced?.originPaths?.map((o) => o.originPath).join(', ');
  } catch {
    replaced = `not a record: ${text?.slice(0, 40)}`;
  }
  return {
    name: `promote recorded what production served (${c.previous}) in the artifact bucket, then promoted ${r.version}`,
    ok: recorded >= 0 && promoted > recorded && key?.startsWith('cfcd-revert/') === true && replaced === before,
    detail:
      `s3://${ARTIFACT_BUCKET}/${key ?? '(no record)'} replaced ${replaced ?? '?'}; written ` +
      `${promoted > recorded && recorded >= 0 ? 'before' : 'NOT before'} UpdateDistributionWithStagingConfig`,
  };
}

/** The previous release's files are still there after the promotion's prune: the revert target is kept. */
async function revertTargetKept(c: CycleContext, events: RunnerEvent[], before: string): Promise<Check> {
  const key = `${before.replace(/^\//, '')}/index.html`;
  const exists = await c.clients.s3
    .send(new HeadObjectCommand({ Bucket: SITE_BUCKET, Key: key }))
    .then(() => true)
    .catch(() => false);
  const commit = commitOfOriginPath(before);
  const prune = logsOf(events, 'promote').find((l) => l.event === 'release-prune') as
    | { folders?: { folder: string; verdict: string; reason?: string }[] }
    | undefined;
  const verdict = commit ? prune?.folders?.find((f) => f.folder === commit) : undefined;
  return {
    name: "promote's prune kept the folder production would go back to",
    ok: exists && (!commit || verdict?.verdict === 'kept'),
    detail:
      `s3://${SITE_BUCKET}/${key} ${exists ? 'exists' : 'is GONE'}` +
      (verdict ? `; prune: ${verdict.verdict} (${verdict.reason ?? ''})` : commit ? '; no prune verdict' : ''),
  };
}

/** What the bake and its revert did for cycle 12's release, checked once its execution ended. */
async function revertChecks(
  c: CycleContext,
  r: Release,
  result: PipelineResult,
  before: string,
  minutes: Minute[],
): Promise<Check[]> {
  const events = c.eventsOf(r.version);
  const served = minutes.filter((m) => m.stage === 'before the promotion');
  const broken = minutes.filter((m) => m.stage === 'promoted');
  const errors = broken.flatMap((m) => m.page.filter((s) => s >= 500));
  const verdict = logsOf(events, 'bake').find((l) => l.event === 'bake-unhealthy')?.verdict;
  const written = bakeWrites(events);
  const message = result.status === 'Failed' ? result.message : '';
  const stagingId = result.variables.StagingStack?.StagingDistributionId;
  const [primaryPath, stagingPath] = await Promise.all([originPathOf(c, c.primaryId), originPathOf(c, stagingId)]);
  const home = await c.viewers.sample(50);
  const page = await c.viewers.statusesAt(FAILING_PAGE, 20);
  const policyId = result.variables.StagingStack?.ContinuousDeploymentPolicyId;
  const enabled = await policyEnabled(c.clients, policyId);
  return [
    {
      name:
        `before the promotion viewers got ${c.previous} and no 5xx; once ${r.version} was promoted, ` +
        `${r.version} and ${FAILING_PAGE} failing`,
      ok:
        served.length > 0 &&
        served.every((m) => m.home.every((v) => v === c.previous) && m.page.every((s) => s < 500)) &&
        broken.some((m) => m.home.includes(r.version)) &&
        errors.length > 0,
      detail:
        `${served.length} minute(s) before: / ${summarize(served.flatMap((m) => m.home))}, ${FAILING_PAGE} ` +
        `${statuses(served.flatMap((m) => m.page))}; ${broken.length} promoted: / ` +
        `${summarize(broken.flatMap((m) => m.home))}, ${FAILING_PAGE} ${statuses(broken.flatMap((m) => m.page))}`,
    },
    {
      name: 'the bake judged production unhealthy: its 5xx rate against its own rate before the promotion',
      ok: typeof verdict === 'string' && verdict.includes('exceeds its rate before the promotion'),
      detail: typeof verdict === 'string' ? verdict : 'no bake-unhealthy line',
    },
    {
      name: 'the revert put the recorded config onto the staging, promoted it back, then invalidated; no policy write',
      ok: written.join(' → ') === 'stage-recorded-config → promote-recorded-config → invalidate-cache',
      detail: `bake wrote ${written.join(' → ') || 'nothing'}`,
    },
    {
      name: `the execution failed at BakeProduction: production is back on ${c.previous}, with the figures`,
      ok:
        result.status === 'Failed' &&
        result.action === 'BakeProduction' &&
        message.includes(`production is back on ${releaseName(before)}: `) &&
        /5xx error rate [\d.]+% exceeds its rate before the promotion [\d.]+% by [\d.]+ percentage point/.test(
          message,
        ) &&
        /served \d+ request\(s\) in the \d+ minute\(s\) since the bake started/.test(message),
      detail: failureOf(result).split('\n')[0] as string,
    },
    {
      name: `the primary serves what it served before the promotion again, and the staging carries it too`,
      ok: primaryPath === before && stagingPath === before,
      detail: `primary ${primaryPath}, staging ${stagingPath}; before the promotion ${before}`,
    },
    {
      name: `after the revert's invalidation every viewer gets ${c.previous}, and ${FAILING_PAGE} answers no 5xx`,
      ok: home.every((v) => v === c.previous) && page.every((s) => s < 500),
      detail: `/ ${summarize(home)}; ${FAILING_PAGE} ${statuses(page)}`,
    },
    {
      name: 'the policy stays disabled: the bake never writes it',
      ok: enabled === false,
      detail: `policy ${policyId} Enabled=${enabled}`,
    },
  ];
}

export function bakeCycles(): Cycle[] {
  const broken = shippedRelease('v16');
  const healthy = shippedRelease('v17');
  return [
    {
      name: 'cycle 12: a release that fails in production only is reverted by the bake',
      updatesPipeline: {
        parameters: BAKE_PARAMETERS,
        why:
          `the pipeline stack is updated with BakeMinutes=${BAKE_PARAMETERS.BakeMinutes}, ` +
          `BakeMaxErrorRateIncrease=${BAKE_PARAMETERS.BakeMaxErrorRateIncrease}, ` +
          `BakeMinRequests=${BAKE_PARAMETERS.BakeMinRequests}, RampSteps empty (a ramp would stop cycle 12's ` +
          'release first); the staging stack is left as it is',
      },
      virtualMinutes: true,
      intro: () =>
        `v16 fails on ${FAILING_PAGE} only: its reviewer and the synthetic check open the home page, which works; ` +
        `each minute ${HOME_VIEWERS} viewers open the home page and ${PAGE_VIEWERS} the about page`,
      run: async (c) => {
        const before = (await originPathOf(c, c.primaryId)) ?? '(none)';
        const folder = releaseOriginPath(broken.commit);
        c.failRelease(folder, 1, [FAILING_PAGE]);
        const minutes: Minute[] = [];
        c.clock.trafficEachMinute(viewersEachMinute(c, broken, minutes));
        const execution = c.commit(
          broken,
          async () => {
            for (const x of await headerReview(broken.version)(c)) c.record(x);
            c.note(`      the reviewer opened the home page: fine; approved (the scenario's reviewer)`);
            return true;
          },
          { whileGatheringTraffic: () => syntheticCheck(c) },
        );
        const result = await execution.done;
        c.clock.trafficEachMinute(undefined);
        const events = c.eventsOf(broken.version);
        c.record(await recordWritten(c, events, before, broken));
        c.record(await revertTargetKept(c, events, before));
        for (const x of await revertChecks(c, broken, result, before, minutes)) c.record(x);
        c.failRelease(folder, 0);
        return result.status === 'Failed' && result.action === 'BakeProduction' ? 'reverted' : 'failed';
      },
    },
    {
      name: 'cycle 13: a healthy release bakes and stays',
      intro: () => `v17 works on every page; the bake judges ${BAKE_MINUTES} minutes of production and writes nothing`,
      run: async (c) => {
        const minutes: Minute[] = [];
        c.clock.trafficEachMinute(viewersEachMinute(c, healthy, minutes));
        const execution = c.commit(
          healthy,
          async () => {
            for (const x of await headerReview(healthy.version)(c)) c.record(x);
            return true;
          },
          { whileGatheringTraffic: () => syntheticCheck(c) },
        );
        const result = await execution.done;
        c.clock.trafficEachMinute(undefined);
        const events = c.eventsOf(healthy.version);
        const bakeResult = result.variables.Bake?.BakeResult;
        const written = bakeWrites(events);
        const outcome = logsOf(events, 'bake').find((l) => l.event === 'outcome');
        c.record({
          name: `${healthy.version}'s pipeline succeeded (Source → Ship → Release with BakeProduction)`,
          ok: result.status === 'Succeeded',
          detail: failureOf(result).split('\n')[0] as string,
        });
        c.record({
          name: `the bake judged ${BAKE_MINUTES} minutes of production healthy and wrote nothing`,
          ok: bakeResult === 'healthy' && written.length === 0,
          detail: `BakeResult=${bakeResult}; ${String(outcome?.reason ?? 'no outcome line')}; wrote ${
            written.join(', ') || 'nothing'
          }`,
        });
        c.record(await everyoneGets(healthy.version)(c, { events, variables: result.variables }));
        return result.status === 'Succeeded' ? 'promoted' : 'failed';
      },
    },
  ];
}
