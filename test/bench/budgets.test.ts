/**
 * Budgets for the figures `npm run bench` computes that do not depend on the machine: the AWS requests each scenario
 * makes, the rounds they take (the critical path), the writes, the invocations a job needs, each bundle's bytes and
 * the SDK clients it carries. Each budget is a ceiling: a change that adds a request, a round, an invocation, a
 * client or tens of KiB breaks it. No timing is asserted here; the bench (docs/performance.md) measures those and
 * never fails on one.
 *
 * It runs the bench's own code (bench/measure.ts, scenarios.ts, cold-scenarios.ts, invocations.ts, bundles.ts) on a
 * private copy of the built dist/ (`npm test` builds first; alone: `npm run build && npx vitest run test/bench`),
 * with the warm local Lambda workers and an emulator on 127.0.0.1, as the bench does.
 *
 * Figures set from: the branch's base e81d7b8, measured with this file's settings; they equal the bench's figures of
 * 2026-12-07 (docs/performance.md, commit 48ac6eb) and the minima justified in bench/scenarios.ts; promote-prune's
 * and promote's bytes and clients from ec1accd (issue 24's prune), measured the same way.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFigures } from '../../bench/bundles.js';
import { clientOf } from '../../bench/clients-used.js';
import { COLD_SCENARIOS } from '../../bench/cold-scenarios.js';
import { criticalPath } from '../../bench/critical-path.js';
import { snapshotDist } from '../../bench/dist-snapshot.js';
import { EmulatorSlot } from '../../bench/emulator-slot.js';
import { runJob, type MeasuredInvocation } from '../../bench/invocations.js';
import { measureScenario } from '../../bench/measure.js';
import { FUNCTIONS, SCENARIOS, isWrite, type Lambdas } from '../../bench/scenarios.js';
import { lambdaNamed, startLambdas, stopLambdas } from '../../local/pipeline/lambda.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Latency the emulator adds to every AWS request while a job runs. Requests a function sends together overlap only
 * when each is still in flight as the next one arrives: at 0 ms they are answered before the next of a batch is sent
 * and count as a chain (docs/performance.md). The bench uses 50 ms; twice that keeps a batch together when the rest
 * of `npm test` loads the 2 cores, for about 5 s more in all.
 */
const LATENCY_MS = 100;

interface Invocation {
  requests: number;
  /** Rounds: the longest chain of requests in which each started after the previous one was answered. */
  rounds: number;
}

/** A job's budget: its first invocation (the one that does the work) and each later one, in order. */
interface JobBudget {
  first: Invocation & { writes: number };
  /** One entry per continuation, everything settled in between; the job may need no more invocations than these. */
  later: Invocation[];
}

const SCENARIO_BUDGETS: Record<string, JobBudget> = {
  // reads ‖ list → release root → grant → invalidate → report; then (invalidation Completed) reads ‖ list → root ‖
  // our invalidation → attach → report; then (attach Deployed) reads ‖ list → our invalidation → report.
  'enable-cd-first-run': {
    first: { requests: 9, rounds: 5, writes: 2 },
    later: [
      { requests: 9, rounds: 4 },
      { requests: 7, rounds: 3 },
    ],
  },
  // Everything in place: reads ‖ list → our invalidation → report, and no write.
  'enable-cd-rerun': { first: { requests: 7, rounds: 3, writes: 0 }, later: [] },
  // primary ‖ staging → policy → promote → report; then primary ‖ staging ‖ list → invalidate → report.
  promote: { first: { requests: 5, rounds: 4, writes: 1 }, later: [{ requests: 5, rounds: 3 }] },
  // The gate's GetMetricData goes out with the first round: one request more, no round more.
  'promote-gated': { first: { requests: 6, rounds: 4, writes: 1 }, later: [{ requests: 5, rounds: 3 }] },
  // As promote, with ReleaseBucket (6 complete releases, KeepReleases 3): one invocation more, the pass that plans
  // done and prunes: reads ‖ list → our invalidation → the prune → report. The prune lists releases/ once and reads
  // the manifests side by side (two rounds however many releases); then, per folder deleted, it reads both
  // distributions again right before the delete. 23 requests and 12 rounds, against 21 and 11 at the minimum
  // (bench/scenarios.ts): the first re-read follows the plan's own read of both, kept for its safety.
  'promote-prune': {
    first: { requests: 5, rounds: 4, writes: 1 },
    later: [
      { requests: 5, rounds: 3 },
      { requests: 23, rounds: 12 },
    ],
  },
  // primary → policy → disable → report; then primary ‖ policy (its id from the token) → report.
  'abort-job': { first: { requests: 4, rounds: 4, writes: 1 }, later: [{ requests: 3, rounds: 2 }] },
  // As the job, without a report.
  'abort-event': { first: { requests: 3, rounds: 3, writes: 1 }, later: [] },
};

/**
 * The cold scenarios' first invocation of our function (the rounds the bench compares with the naive handler's 4),
 * run here on a warm worker: the same code sends the same requests, cold or warm.
 */
const COLD_BUDGETS: Record<string, Invocation> = {
  // The four reads ‖ the staging's invalidations → our invalidation → report.
  'enable-cd-rerun': { requests: 7, rounds: 3 },
  // With ContinuousDeploymentPolicyId the policy is read beside the distributions: primary ‖ staging ‖ policy →
  // promote → report.
  promote: { requests: 5, rounds: 3 },
};

const KIB = 1024;
/**
 * Ceilings for dist/<name>/index.mjs: 5 % above the bytes of the build with the SDK clients at 3.1178.0
 * (codepipeline 3.1162.0) and target node24 (enable-cd 426,872, promote 373,376, abort 337,653, watch 375,332 bytes —
 * 416.9, 364.6, 329.7 and 366.5 KiB, on 2026-12-07; the SDK update added about 6 KiB to each, the target nothing),
 * rounded up to a whole KiB. 5 % (17–20 KiB) leaves room for our own code (28–34 KiB of each bundle) to grow, and is
 * well under what losing either SDK plugin of infra/bundles.mjs adds (about 90 KiB without `lambdaCredentialSources`,
 * 120 KiB without `treeShakeSdkSchemas`).
 * promote's since its prune of old release folders (issue 24, ec1accd): 470,129 bytes (459.1 KiB), 87.2 KiB more
 * than 380,830 before it (b0db467), nearly all the S3 client (ListObjectsV2, GetObject, DeleteObjects) and the
 * middleware S3 adds; + 5 % is 482.1 KiB. It is loaded eagerly: a lazy import() of the prune made the bundle 653 KiB
 * and its import slower (docs/performance.md, "promote's prune and its cold start").
 */
const BYTE_BUDGETS: Record<string, number> = {
  'enable-cd': 438 * KIB,
  promote: 483 * KIB,
  abort: 347 * KIB,
  watch: 385 * KIB,
  // ramp: 369,552 bytes (360.9 KiB) on its first build, same SDK and target, plus 5 %.
  ramp: 379 * KIB,
  // bake: 449,592 bytes (439.1 KiB) on its first build, same SDK and target, plus 5 % (S3: the revert record and the
  // previous release's root object).
  bake: 462 * KIB,
};

/**
 * The SDK clients each bundle may carry: those its function sends requests with (for the watch, which no scenario
 * exercises: its metrics, distribution and policy reads, the policy write and the approval's rejection). promote's S3
 * is its prune's (the promote-prune scenario).
 */
const CLIENT_BUDGETS: Record<string, string[]> = {
  'enable-cd': ['client-cloudfront', 'client-codepipeline', 'client-s3'],
  promote: ['client-cloudfront', 'client-cloudwatch', 'client-codepipeline', 'client-s3'],
  abort: ['client-cloudfront', 'client-codepipeline'],
  watch: ['client-cloudfront', 'client-cloudwatch', 'client-codepipeline'],
  // Its policy writes and distribution reads, each step's GetMetricData, and the job's report.
  ramp: ['client-cloudfront', 'client-cloudwatch', 'client-codepipeline'],
  bake: ['client-cloudfront', 'client-cloudwatch', 'client-codepipeline', 'client-s3'],
};

/** One invocation's figures, as the bench computes them, and its requests in start order for the failure message. */
function figuresOf(invocation: MeasuredInvocation) {
  const requests = [...invocation.requests].sort((a, b) => a.startMs - b.startMs);
  return {
    requests: requests.length,
    rounds: criticalPath(requests).length,
    writes: requests.filter((r) => isWrite(r.operation)).length,
    operations: requests.map((r) => r.operation).join(', '),
  };
}

/** What exceeds `budget` in `invocation`, one line per figure; empty when within. */
function overBudget(which: string, invocation: MeasuredInvocation, budget: Invocation & { writes?: number }): string[] {
  const figures = figuresOf(invocation);
  return (['requests', 'rounds', 'writes'] as const).flatMap((k) => {
    const ceiling = budget[k];
    return ceiling !== undefined && figures[k] > ceiling
      ? [`${which}: ${figures[k]} ${k}, budget ${ceiling} (${figures.operations})`]
      : [];
  });
}

let dist: Awaited<ReturnType<typeof snapshotDist>>;
let slot: EmulatorSlot;
let lambdas: Lambdas;
/** The clients each function sent requests with, across every scenario run below. */
const used = new Map<string, Set<string>>(FUNCTIONS.map((f) => [f, new Set<string>()]));
const scenariosRun = new Set<string>();

beforeAll(async () => {
  // A private copy: a build elsewhere in the run must not change the bundles between measurements.
  dist = await snapshotDist(`${ROOT}dist`, FUNCTIONS);
  slot = await EmulatorSlot.open();
  lambdas = await startLambdas(slot.env, { distDir: dist.dir, names: FUNCTIONS });
});

afterAll(async () => {
  if (lambdas) await stopLambdas(lambdas);
  await slot?.close();
  dist?.remove();
});

describe('AWS requests, rounds, writes and invocations per scenario', () => {
  it.each(SCENARIOS.map((s) => [s.title, s] as const))('%s stays within its budget', async (_, scenario) => {
    const budget = SCENARIO_BUDGETS[scenario.id];
    expect(budget, `no budget for the bench scenario ${scenario.id}`).toBeDefined();
    const { invocations } = await measureScenario(slot, lambdas, scenario, LATENCY_MS, 1);
    for (const r of invocations.flatMap((i) => i.requests)) used.get(scenario.function)!.add(clientOf(r.operation));
    scenariosRun.add(scenario.id);

    const [first, ...later] = invocations;
    const over = [
      ...overBudget('first invocation', first!, budget!.first),
      ...later.flatMap((invocation, k) => {
        const ceiling = budget!.later[k];
        return ceiling ? overBudget(`invocation ${k + 2}`, invocation, ceiling) : [];
      }),
    ];
    if (invocations.length > 1 + budget!.later.length)
      over.push(`${invocations.length} invocations to complete, budget ${1 + budget!.later.length}`);
    expect(over).toEqual([]);
  });

  it.each(COLD_SCENARIOS.map((s) => [s.title, s] as const))(
    'cold scenario %s: our first invocation stays within its rounds',
    async (_, scenario) => {
      const budget = COLD_BUDGETS[scenario.id];
      expect(budget, `no budget for the bench's cold scenario ${scenario.id}`).toBeDefined();
      const emulator = await slot.fresh();
      const { ours } = await scenario.prepare(emulator, lambdas);
      emulator.setLatencyMs(LATENCY_MS);
      const [first] = await runJob(lambdaNamed(lambdas, scenario.function), emulator, ours, {
        between: { settle: true },
      });
      expect(overBudget('first invocation', first!, budget!)).toEqual([]);
    },
  );
});

describe('bundles', () => {
  it.each(FUNCTIONS.map((f) => [f]))('dist/%s/index.mjs stays under its byte ceiling', (name) => {
    const ceiling = BYTE_BUDGETS[name];
    expect(ceiling, `no byte budget for the function ${name}`).toBeDefined();
    const { bytes } = bundleFigures(name, dist.dir);
    expect(bytes, `${name}: ${bytes} bytes (${(bytes / KIB).toFixed(1)} KiB)`).toBeLessThanOrEqual(ceiling!);
  });

  it.each(FUNCTIONS.map((f) => [f]))('dist/%s/index.mjs carries no SDK client beyond its budget', (name) => {
    const allowed = CLIENT_BUDGETS[name];
    expect(allowed, `no client budget for the function ${name}`).toBeDefined();
    const carried = Object.keys(bundleFigures(name, dist.dir).clients).sort();
    expect(carried.filter((c) => !allowed!.includes(c))).toEqual([]);
  });

  it('each bundle a scenario exercises carries only the clients its function sent requests with', (ctx) => {
    // The clients used are collected by the scenario tests above; run alone (-t), this one has nothing to compare.
    if (scenariosRun.size < SCENARIOS.length) ctx.skip();
    const exercised = FUNCTIONS.filter((f) => SCENARIOS.some((s) => s.function === f));
    const unused = exercised.flatMap((f) =>
      Object.keys(bundleFigures(f, dist.dir).clients)
        .filter((c) => !used.get(f)!.has(c))
        .map((c) => `${f} carries ${c} and sent no request with it`),
    );
    expect(unused).toEqual([]);
  });
});
