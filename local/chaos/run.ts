/**
 * The chaos run: K release cycles through the local deployment of infra/pipeline.yml (header or weighted routing,
 * approved or rejected, now and then a broken release for the watch, all chosen by the seed) while the fault planner
 * injects faults at seeded random points. After every cycle the invariants are checked; the first violation stops
 * the run with the seed, the cycle and a state dump.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateInvalidationCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
} from '@aws-sdk/client-cloudfront';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { newestRecordKey, recordPrefix } from '../../shared/revert/target.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { seededRandom } from '../emulator/random.js';
import { localClients } from '../pipeline/aws.js';
import type { Reviewer } from '../pipeline/cycle-kit.js';
import { startDeployment } from '../pipeline/deployment.js';
import { release, type StackSettings } from '../pipeline/pipeline-definition.js';
import { codePipelineEvent, type PipelineResult, type RunnerEvent } from '../pipeline/local-codepipeline.js';
import { SITE_BUCKET, createSite, othersStatements } from '../pipeline/site.js';
import { headerTemplate, type StagingTemplate } from '../pipeline/staging-stack.js';
import type { Invoker, LogLine } from '../pipeline/lambda.js';
import { shorten, timeline, type Timeline } from '../pipeline/timeline.js';
import { viewerProbe } from '../pipeline/viewers.js';
import {
  ARTIFACT_BUCKET,
  BAKE_FAILING_VIEWERS,
  BAKE_MAX_WAIT_MINUTES,
  BAKE_REVERT_WAIT_MINUTES,
  BAKE_VIEWERS,
  FAILING_PATH,
  bakeParameters,
  checkRevertRestored,
  withRevertRecords,
} from './bake.js';
import { FAULT_KINDS, FaultPlanner, type FaultKind, type Injection, type PlannerOptions } from './faults.js';
import {
  CheckedViewers,
  INVARIANTS,
  Invariants,
  ProductionProbe,
  type InvariantId,
  type Violation,
} from './invariants.js';
import { ChaosLambdas } from './lambda-service.js';
import type { ProxiedCall } from './proxy.js';
import {
  PolicyHistory,
  RAMP_MAX_WAIT_MINUTES,
  RAMP_STEPS,
  RAMP_VIEWERS_PER_MINUTE,
  checkRampRun,
  withRampHeader,
  rampParameters,
} from './ramp.js';

export interface ChaosOptions {
  seed: number;
  cycles: number;
  /** One line per cycle. */
  write: (line: string) => void;
  /** Also every timeline line (long). */
  verbose?: boolean;
  propagationMs?: number;
  continuationDelayMs?: number;
  /** Where a violation's state dump goes; default `<tmp>/cloudfront-cd-chaos`. */
  dumpDir?: string;
  rates?: Partial<Pick<PlannerOptions, 'requestRate' | 'duplicateRate' | 'lateRate'>>;
  /**
   * What the operator does when an action failed cleanly: `retry` it in its stage ("Retry failed actions"), `rerun`
   * the release (a new execution from the source), or either, chosen by the seed (`mixed`, the default).
   */
  recovery?: Recovery;
  /**
   * Run the actions with `InvalidationPaths` `[]` (no invalidation): the edge caches then keep older releases, and the
   * run must report a violation. A check that the checks can fail, not a setting to run with.
   */
  noInvalidation?: boolean;
  /**
   * Ramped releases too: about half the cycles (the seed chooses) run the ramp's ladder between enable-CD and the
   * approval, half of those with smoke probes first. Off: the cycles are exactly those of a run without the option.
   */
  ramp?: boolean;
  /**
   * Baked releases too: about two thirds of the promoted releases (the seed chooses) are baked after promote, half of
   * those fail in production on one path (the bake must revert them), about a third of them see a newer promotion
   * during the bake (the bake must refuse to revert it). Off: the cycles are exactly those of a run without the option.
   */
  bake?: boolean;
}

export const RECOVERIES = ['mixed', 'retry', 'rerun'] as const;
export type Recovery = (typeof RECOVERIES)[number];

export interface ChaosSummary {
  seed: number;
  /** Cycles that ran to their end (the violating one included). */
  cycles: number;
  ok: boolean;
  violation: Violation | undefined;
  dump: string | undefined;
  faults: Record<FaultKind, { injected: number; survived: number }>;
  invariants: Record<InvariantId, number>;
  outcomes: {
    promoted: number;
    'rolled back': number;
    retries: number;
    reruns: number;
    /** Releases whose every attempt under faults failed cleanly, run once more with the faults off. */
    faultFreeReruns: number;
    broken: number;
    /** Broken releases the watch rolled back (and rejected) before any reviewer answered. */
    caught: number;
    /** With `ramp`: ramp runs (a retried release runs another), those that reached the last step, those stopped. */
    ramps: number;
    rampsClimbed: number;
    rampsStopped: number;
    /**
     * With `bake`: bakes run, the releases they reverted, the reverts they refused over a newer promotion, the healthy
     * bakes, and the bake actions retried after a clean failure under faults.
     */
    bakes: number;
    reverted: number;
    refused: number;
    bakedHealthy: number;
    bakeRetries: number;
    /** Bakes whose promote reported RevertRecord none (a re-run found the promotion made): the bake found its record. */
    bakesFound: number;
    /** Bakes with nothing to bake: no revert record of the primary at all. */
    bakesSkipped: number;
  };
  durationMs: number;
}

/** The pipeline stack under chaos: a gate that passes on the reviewers' traffic, the watch on. */
const SETTINGS: StackSettings = {
  promoteMinStagingRequests: 1,
  promoteMaxStaging5xxErrorRate: 5,
  promoteMaxErrorRateIncrease: 5,
  metricsWindowMinutes: 15,
  watchMaxStaging5xxErrorRate: 5,
  watchMinStagingRequests: 20,
  watchWindowMinutes: 15,
};
const MAX_WAIT_MINUTES = 1;
const BETWEEN_RELEASES_MS = 2 * 60_000;
const FUNCTION_TIMEOUT_MS = 7_000;
/** A release that failed (a job failed cleanly) is run again, at most this many times. */
const RERUNS = 3;
const WEIGHTED = { type: 'weight', weight: 0.15, idleTTL: 300, maximumTTL: 600 } as const;
/** Rounds of 20 fresh viewers a broken canary gets while its reviewer is away (about 3 of each 20 reach staging). */
const BROKEN_TRAFFIC_ROUNDS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CyclePlan {
  version: string;
  traffic: 'header' | 'weight';
  approve: boolean;
  broken: boolean;
  /** The ramp runs between enable-CD and the approval (from header routing), with probes first or not. */
  ramp?: { probes: boolean };
  /** Baked after promote: the release fails in production on one path, a newer promotion comes during the bake. */
  bake?: { fails: boolean; newer: boolean };
}

export function planCycles(seed: number, cycles: number, ramp = false, bake = false): CyclePlan[] {
  const rng = seededRandom(seed);
  // A draw of its own: the cycles of a run with --ramp are those of a run without, some of them ramped.
  const ramps = seededRandom((seed ^ 0x2545f491) >>> 0);
  // The same for --bake, which only adds a bake to some of the approved releases.
  const bakes = seededRandom((seed ^ 0x68e31da4) >>> 0);
  return Array.from({ length: cycles }, (_, i) => {
    const broken = rng() < 0.1;
    const traffic = broken || rng() < 0.5 ? 'weight' : 'header';
    const plan: CyclePlan = { version: `v${i + 2}`, traffic, approve: !broken && rng() < 0.6, broken };
    const ramped = ramps() < 0.5;
    const probes = ramps() < 0.5;
    const baked = bakes() < 0.7;
    const baking = { fails: bakes() < 0.5, newer: bakes() < 0.3 };
    // The ramp sets the weights: its staging stack routes by header.
    const out: CyclePlan = ramp && ramped ? { ...plan, traffic: 'header', ramp: { probes } } : plan;
    return bake && baked && plan.approve ? { ...out, bake: baking } : out;
  });
}

/**
 * A timeline that also remembers when each runner event came, keeps the last lines for a state dump, and passes each
 * event on to `onEvent` once it is recorded.
 */
function recordingTimeline(
  write: ((line: string) => void) | undefined,
  now: () => number,
  onEvent: (e: RunnerEvent) => void,
) {
  const lines: string[] = [];
  const stamped: { at: number; e: RunnerEvent }[] = [];
  const base = timeline((line) => {
    lines.push(line);
    if (lines.length > 600) lines.shift();
    write?.(line);
  });
  const tl: Timeline = {
    note: base.note,
    noteFor: base.noteFor,
    event: (e) => {
      stamped.push({ at: now(), e });
      base.event(e);
      onEvent(e);
    },
  };
  return { tl, lines, stamped };
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const started = performance.now();
  const continuationDelayMs = opts.continuationDelayMs ?? 40;
  // One clock for the emulator and every function, ahead of the machine's: releases land minutes apart (so one
  // release's CloudWatch minutes never hold another's requests), and a late continuation is late in minutes.
  const clock = {
    offsetMs: 0,
    now: () => Date.now() + clock.offsetMs,
    advance: (ms: number) => {
      clock.offsetMs += ms;
    },
  };
  // Invalidations take as long as a propagation (both minutes in AWS, both scaled down alike here). While a
  // distribution is InProgress, the emulator's default 'linear' share of requests is still fetched with its previous
  // config: that is what refills an edge cache with the older release.
  const propagationMs = opts.propagationMs ?? 60;
  const emulator: Emulator = await startEmulator({
    propagationMs,
    invalidationMs: propagationMs,
    seed: opts.seed,
    now: clock.now,
  });
  const planner = new FaultPlanner(opts.seed, {
    requestRate: 0.04,
    duplicateRate: 0.06,
    lateRate: 0.1,
    ...opts.rates,
    functionTimeoutMs: FUNCTION_TIMEOUT_MS,
  });
  const outcomes = {
    promoted: 0,
    'rolled back': 0,
    retries: 0,
    reruns: 0,
    faultFreeReruns: 0,
    broken: 0,
    caught: 0,
    ramps: 0,
    rampsClimbed: 0,
    rampsStopped: 0,
    bakes: 0,
    reverted: 0,
    refused: 0,
    bakedHealthy: 0,
    bakeRetries: 0,
    bakesFound: 0,
    bakesSkipped: 0,
  };
  /** Every policy change the emulator showed after a write, for the ramp's invariant. */
  const history = new PolicyHistory();
  /** Executions whose ramp failed: broken releases it stopped, or failures under faults (the release runs again). */
  const rampStopped = new Map<string, { broken: boolean; message: string }>();
  const recovery = opts.recovery ?? 'mixed';
  const recoveryRng = seededRandom((opts.seed ^ 0x5bd1e995) >>> 0);
  const invariants = new Invariants();
  const { tl, lines, stamped } = recordingTimeline(opts.verbose ? opts.write : undefined, clock.now, expectFrom);
  const clients = localClients(emulator.url);
  const site = await createSite(clients);
  if (opts.bake) {
    // The artifact bucket promote records into, and the path a release fails on, in the first release too.
    await clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACT_BUCKET }));
    await putPage('v1', FAILING_PATH);
  }
  /** The bake under way: the release it may revert to, and when a newer promotion was made (performance.now()). */
  let baking: { previous: string; newerAt: number | undefined; label: string } | undefined;
  // Every viewer request of the run goes through the primary's data plane (its routing and edge caches) and is judged.
  const checked = new CheckedViewers(emulator, site.primaryId, invariants);
  const viewers = viewerProbe(checked, site);
  const lambdas = await ChaosLambdas.start({
    clock,
    env: emulator.env,
    planner,
    arm: (f) => emulator.injectFault(f),
    functionTimeoutMs: FUNCTION_TIMEOUT_MS,
    retryDelayMs: continuationDelayMs * 2,
    onCall: (call) => {
      // Promotion disables the policy too: its write is a distribution's.
      const writesPolicy = ['UpdateContinuousDeploymentPolicy', 'UpdateDistributionWithStagingConfig'];
      if (opts.ramp && writesPolicy.includes(call.operation)) observePolicy(call.worker);
      if (opts.bake && call.worker.startsWith('bake')) observeBakeWrite(call);
    },
  });
  /** Whether the cycle in the Release stage runs as a ramped pipeline's (cycles run one after another). */
  let rampedNow = false;
  const deployment = startDeployment({
    emulator,
    clients,
    site,
    // With --bake, promote records what it replaces, as the template wires it with BakeMinutes; with --ramp,
    // enable-cd and promote get RampHeader (the ramp gets it in its own parameters), as the template passes it with
    // RampSteps.
    lambdas: withRampHeader(
      opts.bake ? withRevertRecords(lambdas.invokers) : lambdas.invokers,
      ['enable-cd', 'promote'],
      () => rampedNow,
    ),
    settings: SETTINGS,
    continuationDelayMs,
    maxInvocations: 2_000,
    timeline: tl,
    parameters: {
      MaxWaitMinutes: String(MAX_WAIT_MINUTES),
      ...(opts.noInvalidation ? { InvalidationPaths: '[]' } : {}),
    },
    watchIntervalMs: 150,
    retryFailedAction: ({ attempt }) => {
      const retry = attempt <= RERUNS && (recovery === 'retry' || (recovery === 'mixed' && recoveryRng() < 0.6));
      if (retry) outcomes.retries++;
      return retry;
    },
  });
  const probe = new ProductionProbe(checked, site.primaryDomain, 20);
  probe.start();

  /** Approvals given so far: the release label, the staging ETag its reviewer saw, when. */
  const approvals: { label: string; etag: string | undefined; at: number }[] = [];
  const plans = planCycles(opts.seed, opts.cycles, opts.ramp, opts.bake);
  let production = 'v1';
  /** What production serves after a bake that reverted, or after a newer promotion during it. */
  let afterBake: string | undefined;
  /** How the cycle's bake ended, for its line. */
  let bakeNote: string | undefined;
  let dump: string | undefined;
  let ran = 0;
  try {
    for (const [i, plan] of plans.entries()) {
      const cycle = i + 1;
      invariants.cycle = cycle;
      planner.cycle = cycle;
      // The next commit lands two minutes after the last cycle ended.
      clock.advance(BETWEEN_RELEASES_MS);
      const from = { calls: lambdas.calls.length, attempts: lambdas.attempts.length, events: stamped.length };
      afterBake = undefined;
      bakeNote = undefined;
      const end = await runCycle(plan);
      ran = cycle;
      const expected = afterBake ?? (end === 'promoted' ? plan.version : production);
      checked.promoted(expected);
      checked.staged = undefined;
      if (end === 'rolled back' || (afterBake !== undefined && afterBake !== plan.version))
        checked.retired.add(plan.version);
      await checkCycle(expected, from);
      production = expected;
      outcomes[end]++;
      if (plan.broken) outcomes.broken++;
      const violation = invariants.violations[0];
      const shown = bakeNote ? `${end}, ${bakeNote}` : end;
      opts.write(cycleLine(cycle, plans.length, plan, shown, planner.injections, violation));
      if (violation) {
        dump = writeDump(opts, violation, plan, from);
        break;
      }
    }
  } finally {
    await probe.stop();
    await deployment.stop();
    await lambdas.stop();
    await emulator.close();
  }
  const violation = invariants.violations[0];
  const faults = Object.fromEntries(
    FAULT_KINDS.map((k) => [k, { injected: 0, survived: 0 }]),
  ) as ChaosSummary['faults'];
  for (const f of planner.injections) {
    faults[f.kind].injected++;
    if (!invariants.violations.some((v) => v.cycle === f.cycle)) faults[f.kind].survived++;
  }
  return {
    seed: opts.seed,
    cycles: ran,
    ok: !violation,
    violation,
    dump,
    faults,
    invariants: invariants.checked,
    outcomes,
    durationMs: performance.now() - started,
  };

  /** A page of a release: `<h1>site vN</h1>` at `vN<path>` (`/` is its index.html). */
  async function putPage(version: string, path = '/'): Promise<void> {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: SITE_BUCKET,
        Key: `${version}${path === '/' ? '/index.html' : path}`,
        Body: `<h1>site ${version}</h1>\n`,
        ContentType: 'text/html',
      }),
    );
  }

  /** The release of one cycle to its planned end, re-run (as an operator would) after a cleanly failed job. */
  async function runCycle(plan: CyclePlan): Promise<'promoted' | 'rolled back'> {
    // A run with --ramp is a pipeline with RampSteps: enable-cd gets RampHeader. A release whose staging template
    // routes by weight is the exception the chaos mixes in: CloudFormation rewrote or kept its policy on weight, and
    // enable-cd must re-enable that, as without a ramp.
    rampedNow = opts.ramp === true && plan.traffic === 'header';
    await putPage(plan.version);
    if (opts.bake) await putPage(plan.version, FAILING_PATH);
    if (plan.broken) emulator.setReleaseFailure(`/${plan.version}`, 1);
    const template: StagingTemplate =
      plan.traffic === 'header'
        ? headerTemplate(`/${plan.version}`)
        : { originPath: `/${plan.version}`, traffic: WEIGHTED };
    const r = release(plan.version, template);
    /** The execution that ran last (its label): what its ramp did is kept by label. */
    let current = plan.version;
    const runOnce = async (label: string): Promise<PipelineResult> => {
      current = label;
      const execution = deployment.commit(r, reviewer(plan, label), {
        label,
        whileGatheringTraffic: () =>
          plan.traffic === 'header' ? viewers.withHeaderTimes(10) : viewers.sample(100).then(() => undefined),
      });
      const done = await execution.done;
      await deployment.deliveries(label);
      return done;
    };
    const callsFrom = lambdas.calls.length;
    // A broken canary the watch disables while enable-CD still waits for Deployed fails enable-CD cleanly (it will
    // not undo a rollback): the release ends there, before any review, as it should. Re-running it would only meet
    // the watch again.
    const rolledBackBeforeReview = (res: PipelineResult) =>
      res.status === 'Failed' &&
      res.action === 'EnableContinuousDeployment' &&
      res.message.includes('the canary was rolled back') &&
      lambdas.calls
        .slice(callsFrom)
        .some(
          (c) => c.worker.startsWith('watch') && c.operation === 'UpdateContinuousDeploymentPolicy' && c.status < 300,
        );
    // A ramp that failed on a healthy release failed under faults: the release runs again, as after a failed action.
    const rampFailedUnderFaults = () => !plan.broken && rampStopped.has(current);
    const settled = (res: PipelineResult) =>
      res.status === 'Succeeded' ||
      (res.rejected === true && !rampFailedUnderFaults()) ||
      (plan.broken && rolledBackBeforeReview(res));
    const why = (res: PipelineResult) => (res.status === 'Failed' ? shorten(`${res.action}: ${res.message}`, 160) : '');
    let result = await runOnce(plan.version);
    for (let attempt = 2; attempt <= 1 + RERUNS && !settled(result) && recovery !== 'retry'; attempt++) {
      tl.note(`  ${plan.version} failed (${why(result)}); running the release again`);
      outcomes.reruns++;
      result = await runOnce(`${plan.version}#${attempt}`);
    }
    if (!settled(result)) {
      // Every attempt failed cleanly under faults, which can go on hitting a release as long as they like. What the
      // invariant claims is that a clean failure leaves a state a re-run recovers from: that re-run runs fault-free.
      tl.note(`  ${plan.version} failed (${why(result)}); one more run, fault-free`);
      outcomes.faultFreeReruns++;
      planner.suspended = true;
      try {
        result = await runOnce(`${plan.version}#fault-free`);
      } finally {
        planner.suspended = false;
      }
    }
    if (plan.broken) emulator.setReleaseFailure(`/${plan.version}`, 0);
    const done = result;
    if (
      plan.broken &&
      invariants.check(
        'watch',
        done.status === 'Failed' &&
          ((done.rejected && done.answer?.by === 'PutApprovalResult') ||
            rolledBackBeforeReview(done) ||
            (done.rejected === true && rampStopped.get(current)?.broken === true)),
        () => {
          if (done.status !== 'Failed') return 'the broken release was promoted';
          const how = done.rejected ? `rejected by ${done.answer?.by}` : `with ${done.action}: ${done.message}`;
          return `the approval ended ${how}`;
        },
      )
    )
      outcomes.caught++;
    if (done.status === 'Succeeded') {
      if (plan.bake) afterBake = await runBake(plan, current);
      return 'promoted';
    }
    invariants.check(
      'jobs',
      settled(done),
      () => `the release failed under faults, then again fault-free: ${done.action}: ${done.message}`,
    );
    return 'rolled back';
  }

  /** The policy as the emulator's state shows it now, into the history (a change only), written by `by`. */
  function observePolicy(by: string): void {
    const state = emulator.state();
    const policyId = state.distributions.find((d) => d.id === site.primaryId)?.continuousDeploymentPolicyId;
    const policy = state.policies.find((p) => p.id === policyId);
    if (!policy) return;
    const weight = policy.traffic.weight;
    history.observe({
      at: clock.now(),
      by,
      enabled: policy.enabled,
      percent: weight === undefined ? undefined : Math.round(weight * 100_000) / 1000,
    });
  }

  /**
   * The ramp as CodePipeline runs the RampCanary action: one job per pass through the faulty Lambda service, the next
   * a virtual minute later with the continuation token, viewers coming meanwhile; then the ramp's invariant.
   */
  async function runRamp(plan: CyclePlan, label: string, signal: AbortSignal): Promise<{ ok: boolean }> {
    const v = variablesOf(label);
    const params = JSON.stringify(
      rampParameters({
        primaryId: site.primaryId,
        stagingId: v.StagingDistributionId ?? '',
        policyId: v.ContinuousDeploymentPolicyId ?? '',
        stagingEtag: v.StagingETag ?? '',
        probes: plan.ramp?.probes
          ? { baseUrl: `${emulator.url}/_viewer/${site.primaryDomain}`, version: plan.version }
          : undefined,
      }),
    );
    outcomes.ramps++;
    observePolicy('before the ramp');
    const before = history.entries[history.entries.length - 1];
    // The ladder starts from header routing: a policy already routing viewers by weight exposed them before step 1.
    invariants.check(
      'ramp',
      !before?.enabled || before.percent === undefined,
      () =>
        `${label}: the policy already routed ${before?.percent}% of viewers to the canary before the ramp's first ` +
        `step (set by ${before?.by}): enable-CD enabled it at the weight an earlier ramp left, not by header`,
    );
    const from = history.entries.length;
    const logs: LogLine[] = [];
    const firstAt = clock.now();
    let token: string | undefined;
    let end: { ok: boolean; message: string } | undefined;
    for (let pass = 1; !end; pass++) {
      if (signal.aborted) {
        end = { ok: false, message: 'the approval was answered (by the watch) while the ramp ran' };
        break;
      }
      const jobId = randomUUID();
      const r = await (lambdas.invokers.ramp as Invoker).invoke(codePipelineEvent(jobId, 'ramp', params, token));
      logs.push(...r.logs);
      const report = emulator.jobResults(jobId)[0];
      if (!report) end = { ok: false, message: `ramp job ${jobId.slice(0, 8)} was never reported` };
      else if (report.kind === 'failure') end = { ok: false, message: report.message };
      else if (!report.continuationToken) end = { ok: true, message: `reached ${RAMP_STEPS.at(-1)}%` };
      else if (pass >= 200) end = { ok: false, message: 'still waiting after 200 passes' };
      else {
        const waited = clock.now() - firstAt;
        invariants.check(
          'maxWait',
          waited <= RAMP_MAX_WAIT_MINUTES * 60_000 + 2_000,
          () => `${label}/RampCanary still waited after ${Math.round(waited / 1000)} s (MaxWaitMinutes 30)`,
        );
        token = report.continuationToken;
        clock.advance(60_000);
        for (let n = 0; n < RAMP_VIEWERS_PER_MINUTE; n += 100) await viewers.sample(100);
      }
    }
    observePolicy('after the ramp');
    const problems = checkRampRun(history.entries.slice(from), logs);
    invariants.check('ramp', problems.length === 0, () => `${label}: ${problems.join('; ')}`);
    tl.note(`  ${label} ramp ${end.ok ? 'climbed' : 'stopped'}: ${shorten(end.message, 200)}`);
    if (end.ok) outcomes.rampsClimbed++;
    else {
      outcomes.rampsStopped++;
      rampStopped.set(label, { broken: plan.broken, message: end.message });
    }
    return end;
  }

  /**
   * A bake worker's call, once the emulator answered: a revert's promotion may put the previous release in front of
   * viewers from now on; and no write of the bake may reach CloudFront once a newer promotion was made.
   */
  function observeBakeWrite(call: ProxiedCall): void {
    const writes = ['UpdateDistribution', 'UpdateDistributionWithStagingConfig', 'CreateInvalidation'];
    // 0: the connection was reset or the worker killed, possibly after the write was made.
    const reached = call.status === 0 || call.status < 300;
    if (!baking || !writes.includes(call.operation) || !reached) return;
    if (call.operation === 'UpdateDistributionWithStagingConfig') checked.production.add(baking.previous);
    const { newerAt, label } = baking;
    invariants.check(
      'revertNewer',
      newerAt === undefined || call.startMs < newerAt,
      () =>
        `${label}: ${call.worker} sent ${call.operation} (HTTP ${call.status}) ` +
        `${Math.round(call.startMs - (newerAt ?? 0))} ms after a newer promotion of the primary`,
    );
  }

  /** The newest revert record key of `primaryId` in the artifact bucket, as the bake's lookup finds it. */
  async function newestRecordKeyOf(primaryId: string): Promise<string | undefined> {
    const out = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: ARTIFACT_BUCKET, Prefix: recordPrefix(primaryId) }),
    );
    return newestRecordKey(
      (out.Contents ?? []).map((o) => o.Key ?? ''),
      primaryId,
    );
  }

  /**
   * The bake as CodePipeline runs the BakeProduction action after promote: one job per pass through the faulty Lambda
   * service, the next a virtual minute later with the continuation token, viewers coming meanwhile (on the failing
   * path too when the release fails in production); a cleanly failed action is retried, at most RERUNS times, then
   * once more fault-free. Returns the release production serves once the bake is over.
   */
  async function runBake(plan: CyclePlan, label: string): Promise<string> {
    const bake = plan.bake as NonNullable<CyclePlan['bake']>;
    const v = variablesOf(label);
    // A promote re-run that found the promotion done reports RevertRecord none: the bake then finds the newest record
    // of the primary itself (its lookup is exercised as it is); the checks below need that record's key too.
    const reported = v.RevertRecord;
    const record = reported === 'none' ? await newestRecordKeyOf(site.primaryId) : reported;
    const previous = production;
    outcomes.bakes++;
    // The pipeline resolves #{Promote.RevertRecord} for the bake: a promote that reported none at all is a defect.
    invariants.check('jobs', reported !== undefined, () => `${label}: promote reported no RevertRecord output`);
    if (!record) {
      tl.note(`  ${label} bake skipped: no revert record (RevertRecord ${reported ?? 'missing'})`);
      outcomes.bakesSkipped++;
      bakeNote = 'nothing to bake';
      return plan.version;
    }
    if (reported === 'none') outcomes.bakesFound++;
    if (bake.fails) {
      emulator.setReleaseFailure(`/${plan.version}`, 1, 500, [FAILING_PATH]);
      checked.failing.add(plan.version);
    }
    baking = { previous, newerAt: undefined, label };
    const stagingId = v.StagingDistributionId ?? '';
    const params = JSON.stringify(
      bakeParameters({
        primaryId: site.primaryId,
        stagingId,
        policyId: v.ContinuousDeploymentPolicyId ?? '',
        record: reported === 'none' ? 'none' : record,
        contentBucket: SITE_BUCKET,
        ...(opts.noInvalidation ? { invalidationPaths: [] } : {}),
      }),
    );
    let newer: string | undefined;
    let served = emulator.state().servedRequests;
    const between = async (pass: number) => {
      for (let n = 0; n < BAKE_VIEWERS; n += 20) await viewers.sample(20);
      // As many viewers of the failing path as the minute's others (the production probe's count follows real
      // time, which faults stretch): the failing share stays about half whatever the machine did meanwhile.
      const others = emulator.state().servedRequests - served;
      const failing = Math.min(Math.max(BAKE_FAILING_VIEWERS, others), 2_000);
      const viewer = () => checked.viewer(site.primaryDomain, FAILING_PATH).catch(() => undefined);
      if (bake.fails)
        for (let n = 0; n < failing; n += 20)
          await Promise.all(Array.from({ length: Math.min(20, failing - n) }, viewer));
      served = emulator.state().servedRequests;
      if (bake.newer && pass === 1 && !newer) newer = await promoteNewer(plan, stagingId);
    };
    try {
      let end = await bakeJobs(params, label, previous, between);
      const expected = (e: { ok: boolean; message: string }) =>
        e.ok || /production is back on|no longer carries the promotion/.test(e.message);
      for (let attempt = 2; !expected(end) && attempt <= 1 + RERUNS; attempt++) {
        tl.note(`  ${label} bake failed (${shorten(end.message, 160)}); retrying the action`);
        outcomes.bakeRetries++;
        end = await bakeJobs(params, label, previous, between);
      }
      if (!expected(end)) {
        tl.note(`  ${label} bake failed (${shorten(end.message, 160)}); once more, fault-free`);
        planner.suspended = true;
        try {
          end = await bakeJobs(params, label, previous, between);
        } finally {
          planner.suspended = false;
        }
      }
      return await judgeBakeEnd(plan, label, record, end, previous, newer);
    } finally {
      baking = undefined;
      if (bake.fails) {
        emulator.setReleaseFailure(`/${plan.version}`, 0);
        checked.failing.delete(plan.version);
      }
    }
  }

  /** Checks how a bake ended against what its release did; returns what production serves now. */
  async function judgeBakeEnd(
    plan: CyclePlan,
    label: string,
    record: string,
    end: { ok: boolean; message: string },
    previous: string,
    newer: string | undefined,
  ): Promise<string> {
    const bake = plan.bake as NonNullable<CyclePlan['bake']>;
    const reverted = !end.ok && end.message.includes('production is back on');
    const refused = !end.ok && end.message.includes('no longer carries the promotion');
    tl.note(`  ${label} bake ${end.ok ? 'passed' : reverted ? 'reverted' : 'refused'}: ${shorten(end.message, 200)}`);
    bakeNote = end.ok
      ? 'baked healthy'
      : reverted
        ? `reverted by the bake to ${previous}`
        : newer
          ? `the bake refused to revert over ${newer}`
          : `the bake failed`;
    if (newer) {
      // A newer promotion came during the bake: whatever production did, the bake must refuse and write nothing.
      invariants.check(
        'revertNewer',
        refused,
        () => `${label}: a newer promotion came, the bake ended: ${end.message}`,
      );
      if (refused) outcomes.refused++;
      return newer;
    }
    if (bake.fails) {
      invariants.check('revertRestores', reverted, () => `${label} fails in production; the bake: ${end.message}`);
      if (!reverted) return plan.version;
      outcomes.reverted++;
      const problems = await checkRevertRestored(emulator.saved(), site.primaryId, record);
      invariants.check('revertRestores', problems.length === 0, () => `${label}: ${problems.join('; ')}`);
      return previous;
    }
    invariants.check(
      'revertRestores',
      end.ok,
      () => `${label} is healthy in production, yet the bake ended: ${end.message}`,
    );
    if (end.ok) outcomes.bakedHealthy++;
    return reverted ? previous : plan.version;
  }

  /** One bake action execution: its jobs, a virtual minute apart, until one reports without a token. */
  async function bakeJobs(
    params: string,
    label: string,
    previous: string,
    between: (pass: number) => Promise<void>,
  ): Promise<{ ok: boolean; message: string }> {
    const firstAt = clock.now();
    let token: string | undefined;
    for (let pass = 1; ; pass++) {
      const jobId = randomUUID();
      const r = await (lambdas.invokers.bake as Invoker).invoke(codePipelineEvent(jobId, 'bake', params, token));
      const report = emulator.jobResults(jobId)[0];
      if (!report) return { ok: false, message: `bake job ${jobId.slice(0, 8)} was never reported` };
      if (report.kind === 'failure') {
        // From this report on, viewers must get the previous release: the revert waited for its invalidation.
        if (report.message.includes('production is back on')) checked.promoted(previous);
        return { ok: false, message: report.message };
      }
      if (!report.continuationToken) {
        const outcome = r.logs.find((l) => l.event === 'outcome');
        const why = typeof outcome?.reason === 'string' ? `: ${outcome.reason}` : '';
        return { ok: true, message: `BakeResult ${report.outputVariables?.BakeResult ?? 'missing'}${why}` };
      }
      if (pass >= 200) return { ok: false, message: 'still waiting after 200 passes' };
      const waited = clock.now() - firstAt;
      const limit = (BAKE_MAX_WAIT_MINUTES + BAKE_REVERT_WAIT_MINUTES) * 60_000;
      invariants.check(
        'maxWait',
        waited <= limit + 2_000,
        () => `${label}/BakeProduction still waited after ${Math.round(waited / 1000)} s`,
      );
      token = report.continuationToken;
      clock.advance(60_000);
      await between(pass);
    }
  }

  /**
   * A newer promotion by hand during a bake: a hotfix release put onto the staging, then promoted onto the primary
   * (both ETags). Through the emulator's API, retried: the faults armed for the workers may meet it.
   */
  async function promoteNewer(plan: CyclePlan, stagingId: string): Promise<string> {
    const hot = `v${100_000 + Number(plan.version.slice(1))}`;
    await putPage(hot);
    await putPage(hot, FAILING_PATH);
    const retry = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
      for (let i = 1; ; i++) {
        try {
          return await f();
        } catch (err) {
          if (i >= 10) throw new Error(`the newer promotion: ${what} failed 10 times: ${(err as Error).message}`);
          await sleep(20);
        }
      }
    };
    await retry('UpdateDistribution of the staging', async () => {
      const got = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: stagingId }));
      const config = got.DistributionConfig!;
      for (const o of config.Origins?.Items ?? []) o.OriginPath = `/${hot}`;
      await clients.cloudFront.send(
        new UpdateDistributionCommand({ Id: stagingId, IfMatch: got.ETag, DistributionConfig: config }),
      );
    });
    const deployed = () => emulator.state().distributions.find((d) => d.id === stagingId)?.status === 'Deployed';
    for (let i = 0; i < 500 && !deployed(); i++) await sleep(10);
    // From the promotion's write on, viewers may get the hotfix; no bake write may reach CloudFront after it.
    checked.production.add(hot);
    if (baking) baking.newerAt = performance.now();
    await retry('UpdateDistributionWithStagingConfig', async () => {
      const [primary, staging] = await Promise.all([
        clients.cloudFront.send(new GetDistributionCommand({ Id: site.primaryId })),
        clients.cloudFront.send(new GetDistributionCommand({ Id: stagingId })),
      ]);
      await clients.cloudFront.send(
        new UpdateDistributionWithStagingConfigCommand({
          Id: site.primaryId,
          StagingDistributionId: stagingId,
          IfMatch: `${primary.ETag}, ${staging.ETag}`,
        }),
      );
    });
    // As a careful hand does: the primary Deployed, then its edge caches invalidated, before anything else.
    const primaryState = () => emulator.state().distributions.find((d) => d.id === site.primaryId);
    for (let i = 0; i < 500 && primaryState()?.status !== 'Deployed'; i++) await sleep(10);
    const reference = `chaos-newer-${hot}`;
    await retry('CreateInvalidation', () =>
      clients.cloudFront.send(
        new CreateInvalidationCommand({
          DistributionId: site.primaryId,
          InvalidationBatch: { CallerReference: reference, Paths: { Quantity: 1, Items: ['/*'] } },
        }),
      ),
    );
    const invalidated = () =>
      primaryState()?.invalidations.some((i) => i.callerReference === reference && i.status === 'Completed');
    for (let i = 0; i < 500 && !invalidated(); i++) await sleep(10);
    tl.note(`  ${plan.version}: a newer promotion by hand during the bake (${hot})`);
    return hot;
  }

  /** Plays the planned reviewer; checks the canary is live while it is under review. */
  function reviewer(plan: CyclePlan, label: string): Reviewer {
    return async (_, request) => {
      const { ContinuousDeploymentPolicyId: policyId, StagingDistributionId: stagingId } = variablesOf(label);
      const state = emulator.state();
      const enabled = state.policies.find((p) => p.id === policyId)?.enabled;
      // A staging that serves what production serves (a re-run after its promotion) is no canary: nothing to route.
      const origin = (id: string | undefined) => state.distributions.find((d) => d.id === id)?.origins[0]?.originPath;
      const canary = origin(stagingId) !== origin(site.primaryId);
      // A broken canary may already be rolled back when its reviewer looks: the watch's invariant judges that one.
      if (!request.signal.aborted && !plan.broken)
        invariants.check('policy', enabled === canary, () =>
          canary
            ? `${label} is under review but policy ${policyId} is disabled`
            : `${label}'s staging serves what production serves, yet policy ${policyId} routes viewers to it`,
        );
      if (plan.ramp && canary && !request.signal.aborted) {
        // RampCanary runs before the approval; a failed ramp fails the execution (played here as a rejection).
        const ramp = await runRamp(plan, label, request.signal);
        if (!ramp.ok) return false;
      }
      if (plan.broken) {
        // Viewers keep coming while the reviewer is away (a bounded stream: the emulator's CloudWatch adds up every
        // request); the watch must roll the canary back.
        const until = performance.now() + 30_000;
        for (let round = 0; !request.signal.aborted && performance.now() < until; round++) {
          if (round < BROKEN_TRAFFIC_ROUNDS) await viewers.sample(20);
          await sleep(100);
        }
        return false;
      }
      // After a ramp the policy routes by weight: its reviewer looks as a weighted release's does.
      if (plan.traffic === 'header' && !plan.ramp && canary && enabled && !request.signal.aborted)
        for (let i = 0; i < 3; i++) await checked.reviewerProbe(site.primaryDomain);
      else if (plan.traffic === 'header' && !plan.ramp) await viewers.withHeaderTimes(3);
      else await viewers.sample(40);
      if (plan.approve) {
        approvals.push({ label, etag: variablesOf(label).StagingETag, at: performance.now() });
        checked.production.add(plan.version);
      }
      return plan.approve;
    };
  }

  /**
   * What viewers may be served from now on, as the pipeline reports it: once enable-CD succeeded, staging serves the
   * release under review; once promote succeeded, the primary serves the promoted release and nothing older.
   */
  function expectFrom(e: RunnerEvent): void {
    if (e.type !== 'action-succeeded' || !e.execution) return;
    const version = e.execution.split('#')[0] as string;
    if (e.action === 'PromoteStaging') checked.promoted(version);
    const stagingId = variablesOf(e.execution).StagingDistributionId;
    if (e.action === 'EnableContinuousDeployment' && stagingId) checked.staged = { stagingId, release: version };
  }

  /** Output variables an execution's actions produced so far (staging stack, enable-CD). */
  function variablesOf(label: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { e } of stamped)
      if (e.execution === label && e.type === 'action-succeeded') Object.assign(out, e.variables);
    return out;
  }

  async function checkCycle(
    expected: string,
    from: { calls: number; attempts: number; events: number },
  ): Promise<void> {
    // Read from the emulator's own state, not through its API: the harness must not meet the faults it injects.
    const state = emulator.state();
    const primary = state.distributions.find((d) => d.id === site.primaryId);
    const policyId = primary?.continuousDeploymentPolicyId;
    // The policy: no canary is under review once the cycle is over.
    const enabled = state.policies.find((p) => p.id === policyId)?.enabled;
    invariants.check('policy', enabled !== true, () => `the cycle is over but policy ${policyId} is enabled`);
    // Production: the release the cycle was to end with, in the primary's config and through its cache.
    const originPath = primary?.origins[0]?.originPath;
    invariants.check(
      'production',
      originPath === `/${expected}`,
      () => `the primary's origin path is ${originPath}, expected /${expected}`,
    );
    await viewers.once();
    // The bucket policy: every other owner's statement, the production grant, nothing for the whole account.
    const bucketPolicy = state.buckets.find((b) => b.name === SITE_BUCKET)?.policy;
    const document = (typeof bucketPolicy === 'string' ? JSON.parse(bucketPolicy) : (bucketPolicy ?? {})) as {
      Statement?: Record<string, unknown>[];
    };
    const statements = document.Statement ?? [];
    const lost = othersStatements().filter((s) => !statements.some((t) => JSON.stringify(t) === JSON.stringify(s)));
    invariants.check(
      'bucketPolicy',
      lost.length === 0 &&
        statements.some((s) => s.Sid === 'AllowProductionDistribution') &&
        !JSON.stringify(statements).includes('SourceAccount'),
      () => `statements now: ${statements.map((s) => s.Sid).join(', ')}; lost: ${lost.map((s) => s.Sid).join(', ')}`,
    );
    // Promotions: each one that reached CloudFront carried a reviewed, approved staging ETag.
    for (const call of lambdas.calls.slice(from.calls)) {
      // A bake's revert promotes the recorded config back: its own invariants judge it.
      if (call.operation !== 'UpdateDistributionWithStagingConfig' || call.worker.startsWith('bake')) continue;
      const reached = call.status === 200 || call.status === 0;
      if (!reached) continue;
      const stagingEtag = call.ifMatchValue?.split(',')[1]?.trim();
      const approved = approvals.find((a) => a.etag === stagingEtag && a.at <= call.startMs);
      invariants.check(
        'promotion',
        approved !== undefined,
        () => `${call.worker} promoted staging ETag ${stagingEtag}, which no approval of this cycle reviewed`,
      );
    }
    // Jobs: each reported exactly once; a repeated delivery resolves quietly instead of rejecting.
    const attempts = lambdas.attempts.slice(from.attempts);
    for (const jobId of new Set(attempts.map((a) => a.jobId).filter((j): j is string => j !== undefined))) {
      const reports = emulator.jobResults(jobId).length;
      invariants.check('jobs', reports === 1, () => `job ${jobId} was reported ${reports} times`);
    }
    for (const a of attempts.filter((x) => x.jobId && !x.ok && /InvalidJobState/.test(x.error ?? '')))
      invariants.check(
        'jobs',
        false,
        () => `${a.worker}'s delivery of job ${a.jobId} rejected after the job was reported: ${a.error}`,
      );
    // MaxWaitMinutes: no job hands CodePipeline another continuation once the action has waited that long (a late
    // continuation that finds the work done may still succeed).
    const events = stamped.slice(from.events);
    const firstOf = new Map<string, number>();
    for (const { at, e } of events) {
      // A retried action is a new action execution: its jobs wait on a clock of their own.
      if (e.type === 'action-retried') firstOf.delete(`${e.execution}/${e.action}`);
      if (e.type !== 'invocation' || e.trigger === 'eventbridge') continue;
      const key = `${e.execution}/${e.action}`;
      if (!firstOf.has(key)) firstOf.set(key, at - e.durationMs);
      if (e.reinvokeInMs === undefined) continue;
      const waited = at - (firstOf.get(key) as number);
      invariants.check(
        'maxWait',
        waited <= MAX_WAIT_MINUTES * 60_000 + 2_000,
        () =>
          `${key} job ${e.jobId.slice(0, 8)} still waited after ${Math.round(waited / 1000)} s ` +
          `(MaxWaitMinutes ${MAX_WAIT_MINUTES})`,
      );
    }
  }

  function writeDump(
    o: ChaosOptions,
    violation: Violation,
    plan: CyclePlan,
    from: { calls: number; attempts: number },
  ) {
    const dir = o.dumpDir ?? join(tmpdir(), 'cloudfront-cd-chaos');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `seed-${o.seed}-cycle-${violation.cycle}.json`);
    writeFileSync(
      path,
      JSON.stringify(
        {
          seed: o.seed,
          cycle: violation.cycle,
          violation: { ...violation, invariant: INVARIANTS[violation.invariant] },
          plan,
          faults: planner.injections.filter((f) => f.cycle === violation.cycle),
          emulator: emulator.state(),
          calls: lambdas.calls.slice(from.calls),
          attempts: lambdas.attempts.slice(from.attempts),
          timeline: lines,
        },
        null,
        2,
      ),
    );
    return path;
  }
}

function cycleLine(
  cycle: number,
  of: number,
  plan: CyclePlan,
  end: string,
  injections: Injection[],
  violation: Violation | undefined,
): string {
  const here = injections.filter((f) => f.cycle === cycle);
  const counts = new Map<string, number>();
  for (const f of here) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  const faults = counts.size ? [...counts].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(', ') : 'none';
  const answeredBy = plan.broken ? 'the watch' : plan.approve ? 'approve' : 'reject';
  const traffic = plan.ramp ? `ramp${plan.ramp.probes ? ' with probes' : ''}` : plan.traffic;
  const baked = plan.bake
    ? `, baked${plan.bake.fails ? ', fails in production' : ''}${plan.bake.newer ? ', newer promotion' : ''}`
    : '';
  const kind = plan.broken ? `broken, ${plan.ramp ? traffic : 'weight'}` : traffic;
  const what = `${plan.version} ${kind}, ${answeredBy}${baked}`;
  const verdict = violation ? `✗ ${INVARIANTS[violation.invariant]}: ${violation.detail}` : '✓';
  return `cycle ${String(cycle).padStart(String(of).length)}/${of} ${what} → ${end}; faults: ${faults} ${verdict}`;
}

/** The summary: faults by kind and invariants checked. */
export function summaryTable(s: ChaosSummary): string[] {
  const out = [
    `seed ${s.seed}: ${s.cycles} cycle(s) in ${(s.durationMs / 1000).toFixed(1)} s — ` +
      `${s.outcomes.promoted} promoted, ${s.outcomes['rolled back']} rolled back ` +
      `(of ${s.outcomes.broken} broken releases, the watch caught ${s.outcomes.caught}); ` +
      `after a cleanly failed job: ${s.outcomes.retries} action retries, ${s.outcomes.reruns} release re-runs, ` +
      `${s.outcomes.faultFreeReruns} fault-free re-run(s) once every faulted attempt had failed` +
      (s.outcomes.ramps
        ? `; ramps: ${s.outcomes.ramps} run, ${s.outcomes.rampsClimbed} reached the last step, ` +
          `${s.outcomes.rampsStopped} stopped`
        : '') +
      (s.outcomes.bakes
        ? `; bakes: ${s.outcomes.bakes} run, ${s.outcomes.bakedHealthy} healthy, ${s.outcomes.reverted} reverted, ` +
          `${s.outcomes.refused} refused over a newer promotion, ${s.outcomes.bakesFound} whose record the bake ` +
          `found itself (promote re-run after it had promoted), ${s.outcomes.bakesSkipped} with no record, ` +
          `${s.outcomes.bakeRetries} bake action retries`
        : ''),
    '',
    `${'fault kind'.padEnd(20)}${'injected'.padStart(9)}${'survived'.padStart(9)}`,
  ];
  for (const k of FAULT_KINDS)
    out.push(`${k.padEnd(20)}${String(s.faults[k].injected).padStart(9)}${String(s.faults[k].survived).padStart(9)}`);
  const width = Math.max(...Object.values(INVARIANTS).map((t) => t.length)) + 2;
  out.push('', `${'invariant'.padEnd(width)}${'checked'.padStart(9)}`);
  // A run without --ramp or --bake prints the table it always printed.
  const bakeRows = ['revertRestores', 'revertNewer'];
  for (const [id, text] of Object.entries(INVARIANTS))
    if ((id !== 'ramp' || s.outcomes.ramps > 0) && (!bakeRows.includes(id) || s.outcomes.bakes > 0))
      out.push(`${text.padEnd(width)}${String(s.invariants[id as InvariantId]).padStart(9)}`);
  out.push(
    '',
    s.violation
      ? `VIOLATION at cycle ${s.violation.cycle}: ${INVARIANTS[s.violation.invariant]} — ${s.violation.detail}` +
          (s.dump ? `\nstate dump: ${s.dump}` : '')
      : 'violations: 0',
  );
  return out;
}
