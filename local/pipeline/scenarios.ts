/**
 * The scenario cycles of `npm start` (4–7): their reviewers are part of the story, so they run the same whatever
 * `npm start` was told to approve.
 *   4 — release B is committed while A waits for its reviewer: the pipeline's one locked Release stage keeps B
 *       queued in front of it, so approving A promotes exactly what A's reviewer saw; then B runs, is reviewed,
 *       approved and promoted.
 *   5 — staging is changed by hand while A waits for its reviewer: approving A is refused by promote (its
 *       ExpectedStagingETag is A's StagingETag), with no write; production keeps serving the previous release.
 *   6 — A is rejected and its abort is delivered late (Lambda's asynchronous retry), after B's canary went live:
 *       abort sees that a newer release owns staging and changes nothing; B is reviewed, approved and promoted.
 *   7 — a broken release: viewers routed to staging get errors; the watch rolls traffic back and rejects the
 *       approval before any reviewer answers; abort finds nothing left to do; production keeps the previous release.
 */
import { GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { policyEnabled } from './aws.js';
import {
  everyoneGets,
  headerReview,
  promotionDisabledPolicy,
  syntheticCheck,
  type Check,
  type Cycle,
  type CycleContext,
  type Reviewer,
} from './cycle-kit.js';
import { release } from './pipeline-definition.js';
import type { PipelineExecution, PipelineResult, RunnerEvent } from './local-codepipeline.js';
import { headerTemplate } from './staging-stack.js';
import { shorten } from './timeline.js';
import { summarize } from './viewers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once the execution's events satisfy `predicate` (polled; the runner reports as it goes). */
async function eventually(c: CycleContext, label: string, what: string, predicate: (e: RunnerEvent[]) => boolean) {
  for (let waited = 0; !predicate(c.eventsOf(label)); waited += 10) {
    if (waited > 120_000) throw new Error(`${label}: gave up waiting for ${what}`);
    await sleep(10);
  }
}

/** The template's one locked stage (deploy → enable-cd → approval → promote). */
const RELEASE_STAGE = 'Release';

const startedStage = (events: RunnerEvent[]) => events.some((e) => e.type === 'stage' && e.stage !== 'Source');
const queued = (events: RunnerEvent[]) => events.some((e) => e.type === 'stage-queued');
const succeeded = (action: string) => (events: RunnerEvent[]) =>
  events.some((e) => e.type === 'action-succeeded' && e.action === action);

/** The staging stack's outputs of an execution (the Deploy action's variables). */
function stagingOf(c: CycleContext, label: string): Record<string, string> {
  const deployed = c
    .eventsOf(label)
    .find((e) => e.type === 'action-succeeded' && 'StagingDistributionId' in e.variables);
  return deployed?.type === 'action-succeeded' ? deployed.variables : {};
}

/** What a function wrote in an execution, from its log lines. */
function writesOf(c: CycleContext, label: string, functionName: string) {
  return c
    .eventsOf(label)
    .flatMap((e) => (e.type === 'invocation' && e.functionName === functionName ? e.logs : []))
    .filter((l) => l.event === 'write');
}

const failure = (r: PipelineResult) => (r.status === 'Failed' ? `${r.action}: ${r.message}` : 'all actions succeeded');

/** The header-routed canary of `version` is live: the header reaches it and the policy is enabled. */
async function canaryLive(
  c: CycleContext,
  version: string,
  policyId: string | undefined,
  when: string,
): Promise<Check> {
  const withHeader = await c.viewers.withHeader();
  const enabled = await policyEnabled(c.clients, policyId);
  return {
    name: `${when}, ${version}'s canary is live (the header reaches ${version}, the policy is enabled)`,
    ok: withHeader === version && enabled === true,
    detail: `the header got ${withHeader}; policy ${policyId} Enabled=${enabled}`,
  };
}

/** A reviewer who checks the header canary and approves. */
const approvingHeaderReviewer =
  (c: CycleContext, version: string, before?: () => Promise<unknown>): Reviewer =>
  async () => {
    await before?.();
    for (const x of await headerReview(version)({ ...c, previous: await c.viewers.once() })) c.record(x);
    return true;
  };

/** After a promotion: the pipeline succeeded, everyone gets the release, the promotion disabled the policy. */
async function expectPromoted(c: CycleContext, label: string, result: PipelineResult): Promise<void> {
  c.record({
    name: `${label}'s pipeline succeeded`,
    ok: result.status === 'Succeeded',
    detail: failure(result),
  });
  const outcome = { events: c.eventsOf(label), variables: result.variables };
  c.record(await everyoneGets(label)(c, outcome));
  c.record(await promotionDisabledPolicy(c, outcome));
}

/** What a scenario makes happen in the middle of a cycle, as the timeline sets it apart. */
const happening = (what: string) => `  ── ${what} ──`;

/** The intro's note, in an interactive run, that a scenario cycle answers its own approvals. */
const scripted = (interactive: boolean) => (interactive ? " (this cycle's answers are scripted)" : '');

export const queuedRelease: Cycle = {
  name: 'cycle 4: v6 is committed while v5 waits for its reviewer',
  intro: (_, interactive) =>
    `one locked Release stage: v6 waits in front of it until v5's execution is done${scripted(interactive)}`,
  run: async (c) => {
    const a = release('v5', headerTemplate('/v5'));
    const b = release('v6', headerTemplate('/v6'));
    let executionB: PipelineExecution | undefined;
    let bWhenADecided = '';
    const executionA = c.commit(
      a,
      async () => {
        for (const x of await headerReview('v5')(c)) c.record(x);
        c.note(happening('commit v6 lands while v5 waits for its reviewer'));
        executionB = c.commit(b, approvingHeaderReviewer(c, 'v6'), { whileGatheringTraffic: () => syntheticCheck(c) });
        await eventually(c, 'v6', 'v6 to queue or to start its release', (e) => queued(e) || startedStage(e));
        bWhenADecided = queued(c.eventsOf('v6')) && !startedStage(c.eventsOf('v6')) ? 'queued' : 'running';
        const withHeader = await c.viewers.withHeader();
        const running = "already running (the layout has per-stage locks: see promote's guard in cycle 5)";
        c.record({
          name:
            'while v5 waits for its reviewer, v6 waits in front of the locked Release stage ' +
            'and staging still serves v5',
          ok: bWhenADecided === 'queued' && withHeader === 'v5',
          detail: `v6 is ${bWhenADecided === 'queued' ? 'queued' : running}; the header got ${withHeader}`,
        });
        return true;
      },
      { whileGatheringTraffic: () => syntheticCheck(c) },
    );
    const resultA = await executionA.done;
    // The promotion itself; the cache invalidation that follows it is a write too, of another kind.
    const promoted = writesOf(c, 'v5', 'promote').filter((l) => l.operation === 'UpdateDistributionWithStagingConfig');
    const reviewedEtag = resultA.variables.EnableCd?.StagingETag;
    c.record({
      name: "approving v5 promoted the staging config v5's reviewer saw (its StagingETag)",
      ok:
        resultA.status === 'Succeeded' &&
        promoted.length === 1 &&
        String(promoted[0]?.ifMatch ?? '').endsWith(`, ${reviewedEtag}`),
      detail:
        `${failure(resultA)}; promote's If-Match ${promoted[0]?.ifMatch ?? '(no write)'}, ` +
        `reviewed ETag ${reviewedEtag}`,
    });
    const resultB = await (executionB as PipelineExecution).done;
    const all = c.events();
    const aLeft = all.findIndex((e) => e.execution === 'v5' && e.type === 'stage-left' && e.stage === RELEASE_STAGE);
    const bEntered = all.findIndex((e) => e.execution === 'v6' && e.type === 'stage' && e.stage === RELEASE_STAGE);
    c.record({
      name: `v6 entered the ${RELEASE_STAGE} stage only after v5 left it`,
      ok: aLeft >= 0 && bEntered > aLeft,
      detail:
        `v6 ${queued(c.eventsOf('v6')) ? 'queued' : 'never queued'}; ` +
        `v5 left it at event ${aLeft}, v6 entered at event ${bEntered}`,
    });
    await expectPromoted(c, 'v6', resultB);
    return resultB.status === 'Succeeded' ? 'promoted' : 'failed';
  },
};

export const changeStagingByHand: Cycle = {
  name: 'cycle 5: staging is changed by hand while v7 waits for its reviewer',
  intro: (_, interactive) =>
    `promote's ExpectedStagingETag guard: promote the config the reviewer saw, or nothing${scripted(interactive)}`,
  run: async (c) => {
    const a = release('v7', headerTemplate('/v7'));
    const execution = c.commit(a, async () => {
      for (const x of await headerReview('v7')(c)) c.record(x);
      const stagingId = stagingOf(c, 'v7').StagingDistributionId as string;
      const current = await c.clients.cloudFront.send(new GetDistributionConfigCommand({ Id: stagingId }));
      const config = current.DistributionConfig!;
      const origin = config.Origins!.Items![0]!;
      origin.OriginPath = '/v8';
      await c.clients.cloudFront.send(
        new UpdateDistributionCommand({ Id: stagingId, IfMatch: current.ETag, DistributionConfig: config }),
      );
      c.note(happening(`someone points staging ${stagingId} at /v8 by hand (UpdateDistribution); then v7 is approved`));
      return true;
    });
    const result = await execution.done;
    const message = result.status === 'Failed' ? result.message : '';
    c.record({
      name: 'promote refused to promote a staging changed after its review',
      ok:
        result.status === 'Failed' &&
        result.action === 'PromoteStaging' &&
        /changed after it was reviewed/.test(message) &&
        message.includes(stagingOf(c, 'v7').StagingDistributionId ?? '?'),
      detail: shorten(failure(result), 180),
    });
    const writes = writesOf(c, 'v7', 'promote');
    c.record({
      name: 'the refused promote made no write',
      ok: writes.length === 0,
      detail: writes.length ? `${writes.length} write(s)` : 'no write in its log',
    });
    const after = await c.viewers.sample(50);
    c.record({
      name: `production still serves ${c.previous}`,
      ok: after.every((x) => x === c.previous),
      detail: summarize(after),
    });
    c.note('  the hand-changed staging stays live for header requests until the next release redeploys it');
    return 'refused';
  },
};

export const lateAbort: Cycle = {
  name: "cycle 6: v9 is rejected and its abort arrives after v10's canary is live",
  intro: (_, interactive) =>
    `abort acts only while staging carries the rejected release's StagingETag${scripted(interactive)}`,
  run: async (c) => {
    const a = release('v9', headerTemplate('/v9'));
    const b = release('v10', headerTemplate('/v10'));
    let executionB: PipelineExecution | undefined;
    const bLive = new Promise<void>((resolve) => {
      void eventually(c, 'v10', "v10's canary", succeeded('EnableContinuousDeployment')).then(resolve);
    });
    const executionA = c.commit(a, async () => {
      for (const x of await headerReview('v9')(c)) c.record(x);
      c.note(happening("commit v10 lands; v9 is rejected; Lambda delivers v9's abort only after v10's canary is live"));
      executionB = c.commit(
        b,
        approvingHeaderReviewer(c, 'v10', async () => {
          await c.deliveries('v9');
          c.record(await canaryLive(c, 'v10', stagingOf(c, 'v10').ContinuousDeploymentPolicyId, "after v9's abort"));
        }),
        { whileGatheringTraffic: () => syntheticCheck(c) },
      );
      c.holdDeliveries('v9', bLive);
      return false;
    });
    const resultA = await executionA.done;
    c.record({
      name: 'v9 was rejected',
      ok: resultA.status === 'Failed' && resultA.rejected,
      detail: failure(resultA),
    });
    const [aborted] = await c.deliveries('v9');
    const newer = aborted?.logs.some((l) => l.event === 'newer-release-owns-staging') ?? false;
    const outcome = (aborted?.result as { outcome?: string; summary?: string } | undefined) ?? {};
    c.record({
      name: "v9's late abort saw that a newer release owns staging and changed nothing",
      ok: aborted?.ok === true && outcome.outcome === 'no-op' && newer,
      detail: aborted?.ok
        ? `${outcome.summary}${newer ? '' : ' (no newer-release-owns-staging line)'}`
        : `${aborted?.error?.name}: ${aborted?.error?.message}`,
    });
    const resultB = await (executionB as PipelineExecution).done;
    await expectPromoted(c, 'v10', resultB);
    return resultB.status === 'Succeeded' ? 'promoted' : 'failed';
  },
};

/** Fresh viewers the broken cycle sends per round while the canary is live. */
const TRAFFIC_PER_ROUND = 20;

export const brokenRelease: Cycle = {
  name: 'cycle 7: a broken release (v11 answers 500) is rolled back by the watch',
  intro: (_, interactive) =>
    `weighted canary; the reviewer is away; the watch ticks every minute (scaled)${scripted(interactive)}`,
  run: async (c) => {
    const r = release('v11', {
      originPath: '/v11',
      traffic: { type: 'weight', weight: 0.15, idleTTL: 300, maximumTTL: 600 },
    });
    c.failRelease('/v11', 1);
    const started = performance.now();
    let errorsBegan: number | undefined;
    let served = { staging5xx: 0, previous: 0, other: [] as string[] };
    const execution = c.commit(r, async (_, request) => {
      // Real viewers keep coming while the approval waits; the reviewer never gets to answer.
      for (let round = 0; !request.signal.aborted && round < 500; round++) {
        for (const got of await c.viewers.sample(TRAFFIC_PER_ROUND)) {
          if (got === c.previous) served.previous++;
          else if (/^HTTP 5\d\d$/.test(got)) {
            served.staging5xx++;
            if (errorsBegan === undefined) {
              errorsBegan = performance.now();
              c.note('  ⚠ viewers routed to staging get HTTP 500 from v11: the errors begin');
            }
          } else served.other.push(got);
        }
        await sleep(20);
      }
      // Reached only if the watch never answered: a reviewer who comes back to a broken canary rejects it.
      return false;
    });
    const result = await execution.done;
    // The rejection lands during the watch's tick; the tick's record is made when it returns.
    const decided =
      result.status === 'Failed' && result.answer?.by === 'PutApprovalResult'
        ? await c.watch.waitFor((t) => t.decision === 'unhealthy')
        : undefined;
    const rollback = decided?.summary.rollback as { changes?: string[] } | undefined;
    const rejection = decided?.summary.rejection as { outcome?: string } | undefined;
    c.record({
      name: 'viewers routed to the broken staging got errors',
      ok: served.staging5xx > 0,
      detail:
        `${served.staging5xx} 5xx, ${served.previous}× ${c.previous}` +
        (served.other.length ? `, ${summarize(served.other)}` : ''),
    });
    c.record({
      name: 'the watch judged staging unhealthy, disabled the policy and rejected the approval',
      ok: rollback?.changes?.includes('disable-policy') === true && rejection?.outcome === 'rejected',
      detail: decided
        ? `tick ${decided.n}: ${decided.reason}; ` +
          `wrote ${rollback?.changes?.join(', ') || 'nothing'}; approval ${rejection?.outcome}`
        : 'no tick judged staging unhealthy',
    });
    c.record({
      name: 'the approval was rejected by the watch (PutApprovalResult) before any reviewer answered',
      ok: result.status === 'Failed' && result.rejected && result.answer?.by === 'PutApprovalResult',
      detail:
        result.status === 'Failed' ? `by ${result.answer?.by}: ${result.answer?.summary}` : 'the pipeline succeeded',
    });
    const [aborted] = await c.deliveries('v11');
    const outcome = (aborted?.result as { outcome?: string; summary?: string } | undefined) ?? {};
    c.record({
      name: 'abort, fired by the rejection, found nothing left to do',
      ok: aborted?.ok === true && outcome.outcome === 'no-op',
      detail: aborted?.ok ? String(outcome.summary) : `${aborted?.error?.name}: ${aborted?.error?.message}`,
    });
    let back: number | undefined;
    for (let round = 0; round < 200 && back === undefined; round++) {
      const sample = await c.viewers.sample(50);
      if (sample.every((x) => x === c.previous)) back = performance.now();
      else await sleep(20);
    }
    c.record({
      name: `production kept serving ${c.previous}; every viewer gets it once the rollback propagated`,
      ok: back !== undefined && served.other.length === 0,
      detail: back === undefined ? 'viewers still reach staging' : `all of 50 fresh viewers got ${c.previous}`,
    });
    const at = (t: number | undefined) => (t === undefined ? '–' : `+${((t - started) / 1000).toFixed(2)}s`);
    c.note(
      `  broken release: errors began ${at(errorsBegan)}; ` +
        `watch tick ${decided?.n ?? '–'} decided ${at(decided?.at)}; ` +
        `traffic all back on the primary ${at(back)} (from the commit)`,
    );
    c.failRelease('/v11', 0);
    served = { staging5xx: 0, previous: 0, other: [] };
    return 'rolled back';
  },
};
