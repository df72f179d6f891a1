/**
 * The documented experiment, end to end against the local emulator and the built bundles: the pipeline of
 * infra/pipeline.yml (template-pipeline.ts) run by the local CodePipeline, its EventBridge rule (a failed approval →
 * abort, with the rule's InputTransformer) and the watch's schedule, through the cycles of cycles.ts, with the checks
 * each cycle expects. With `approval: 'reject'`, cycle 1's approval is rejected, abort puts all traffic back on the
 * primary, and the experiment stops there.
 */
import { CreateBucketCommand, GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { localClients, type LocalClients } from './aws.js';
import { bakeCycles } from './bake-cycles.js';
import type { Check, CycleContext, CycleEnd } from './cycle-kit.js';
import { localBuildEnvironment } from './codebuild.js';
import { documentedCycles } from './cycles.js';
import { startDeployment, type DeploymentEmulator, type LocalDeployment } from './deployment.js';
import { startLambdas, stopLambdas } from './lambda.js';
import { ARTIFACT_BUCKET, PIPELINE_NAME, type StackSettings } from './pipeline-definition.js';
import type { RunnerEvent } from './local-codepipeline.js';
import { rampCycles } from './ramp-cycles.js';
import { shippedCycles } from './shipped-cycles.js';
import { SITE_BUCKET, createSite, othersStatements, type LocalSite } from './site.js';
import { shorten, timeline } from './timeline.js';
import { localViewerAddresses, viewerProbe, type ViewerSource } from './viewers.js';
import { onVirtualClock, virtualClock } from './virtual-clock.js';
import type { WatchSchedule, WatchTick } from './watch-schedule.js';

export type { Check } from './cycle-kit.js';

/** What the experiment needs from the emulator. */
export interface ExperimentEmulator extends DeploymentEmulator, ViewerSource {
  url: string;
  env: Record<string, string>;
  setReleaseFailure(originPath: string, share5xx: number, status?: number, paths?: readonly string[]): void;
  ageTraffic(ms: number): void;
  advanceClock(ms: number): void;
}

export interface ExperimentOptions {
  emulator: ExperimentEmulator;
  /** Real time between a continuation and the next invocation, and between watch ticks (a minute, scaled). */
  continuationDelayMs: number;
  approval: 'auto' | 'reject' | ((customData: string) => Promise<boolean>);
  write: (line: string) => void;
  /** Fresh viewers sampled for the weighted share. */
  weightedSample?: number;
  /** Print every log line as the function wrote it (JSON). */
  verbose?: boolean;
  /** `cfcd status` of a primary, as text: printed at the end, so newcomers meet the command. */
  status?: (primaryId: string, bucket: string) => Promise<string>;
}

export interface ExperimentResult {
  ok: boolean;
  checks: Check[];
  site: LocalSite;
  events: RunnerEvent[];
  /** Every watch tick, in order. */
  ticks: WatchTick[];
}

/**
 * The pipeline stack's settings: the promotion gate (cycle 1's header review sends fewer staging requests than it
 * wants, so it waits for the synthetic check; the weighted reviews send plenty) and the watch's thresholds.
 */
export const STACK_SETTINGS: StackSettings = {
  promoteMinStagingRequests: 5,
  promoteMaxStaging5xxErrorRate: 1,
  promoteMaxErrorRateIncrease: 0.5,
  metricsWindowMinutes: 15,
  watchMaxStaging5xxErrorRate: 5,
  watchMinStagingRequests: 20,
  watchWindowMinutes: 15,
};

/** Runs the experiment; never throws for a failed expectation (it is recorded), only for broken tooling. */
export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentResult> {
  const { emulator, write } = opts;
  const checks: Check[] = [];
  const record = (c: Check) => {
    checks.push(c);
    tl.note(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${shorten(c.detail, Math.max(60, 180 - c.name.length))}`);
  };
  const check = (name: string, ok: boolean, detail: string) => record({ name, ok, detail });

  const clients = localClients(emulator.url);
  const site = await createSite(clients);
  // The pipeline stack's artifact bucket: where promote records what a promotion replaces, once the bake is on.
  await clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACT_BUCKET }));
  let deployment: LocalDeployment | undefined;
  const approvalText = (customData: string) => localViewerAddresses(customData, emulator.url);
  const tl = timeline(write, {
    verbose: opts.verbose ?? false,
    occupancy: () => deployment?.pipeline.occupancy() ?? [],
    approvalText,
  });
  tl.note(`world: bucket ${SITE_BUCKET}, production distribution ${site.primaryId} (${site.primaryDomain}) serving v1`);

  const viewers = viewerProbe(emulator, site);
  const v = await viewers.once();
  check('production serves v1 before any cycle', v === 'v1', `a viewer got ${v}`);

  const lambdas = await startLambdas(emulator.env);
  // Real time until a cycle asks for virtual minutes (the ramp's), then a minute per continuation.
  const clock = virtualClock(emulator, tl.note);
  const invokers = onVirtualClock(lambdas, clock);
  const deploy = (parameters: Record<string, string>, stack?: LocalDeployment['stack']) => {
    const d = startDeployment({
      emulator,
      clients,
      site,
      lambdas: invokers,
      settings: STACK_SETTINGS,
      continuationDelayMs: opts.continuationDelayMs,
      timeline: tl,
      parameters,
      buildEnvironment: localBuildEnvironment(emulator.env),
      ...(stack ? { stack } : {}),
    });
    const stages = d.layout.stages.map((s) => `${s.name} [${s.actions.map((a) => a.name).join(' → ')}]`).join(', ');
    tl.note(`  pipeline ${PIPELINE_NAME} from infra/pipeline.yml (${d.layout.executionMode}): ${stages}`);
    watches.push(d.watch);
    return d;
  };
  // Every watch schedule of the run (one per pipeline stack deployed), for its ticks.
  const watches: WatchSchedule[] = [];
  deployment = deploy({});
  // The runner's events of every pipeline stack the run deploys, in order.
  const events: RunnerEvent[] = [];
  let seen = 0;
  const allEvents = () => {
    const d = deployment as LocalDeployment;
    events.push(...d.events.slice(seen));
    seen = d.events.length;
    return events;
  };
  const decideDocumented = async (customData: string) =>
    opts.approval === 'auto' ? true : opts.approval === 'reject' ? false : opts.approval(approvalText(customData));

  try {
    let previousEnd: CycleEnd | undefined;
    // A rejection (--reject) ends the run after cycle 1, before the pipeline ships the site.
    const cycles = [
      ...documentedCycles(opts.weightedSample ?? 1000),
      ...shippedCycles(),
      ...rampCycles(),
      ...bakeCycles(),
    ];
    for (const cycle of cycles) {
      if (cycle.updatesPipeline) {
        allEvents();
        const { stack } = deployment;
        await deployment.stop();
        tl.note(`══ pipeline stack update: ${cycle.updatesPipeline.why} ══`);
        // The update and the next push come minutes later: the traffic so far leaves the metrics windows (here
        // the run compresses those minutes), so the next canary is judged on its own requests only.
        emulator.ageTraffic(20 * 60_000);
        tl.note('  (20 minutes later: the viewer traffic so far is out of every metrics window)');
        deployment = deploy(cycle.updatesPipeline.parameters, stack);
        seen = 0;
      }
      const d = deployment;
      tl.note(`══ ${cycle.name} ══`);
      if (clock.running) {
        // The next push comes minutes later: the canary before it is out of the watch's and the gate's windows.
        clock.skip(20);
        tl.note('  (20 minutes later, in virtual time: the next push)');
      } else if (cycle.virtualMinutes) {
        clock.start();
        tl.note(
          '  from here each continuation is a minute of virtual time (CodePipeline re-invokes about once a minute): ' +
            "the emulator's and the functions' clocks move a minute ahead, then that minute's viewers come",
        );
      }
      const intro = cycle.intro?.(previousEnd, typeof opts.approval === 'function');
      if (intro) tl.note(`  ${intro}`);
      const context: CycleContext = {
        viewers,
        clients,
        primaryId: site.primaryId,
        note: tl.note,
        previous: await viewers.once(),
        record,
        decide: decideDocumented,
        commit: d.commit,
        eventsOf: (label) => allEvents().filter((e) => e.execution === label),
        events: () => [...allEvents()],
        deliveries: d.deliveries,
        holdDeliveries: d.holdDeliveries,
        failRelease: (originPath, share, paths) => emulator.setReleaseFailure(originPath, share, 500, paths),
        watch: d.watch,
        clock,
      };
      previousEnd = await cycle.run(context);
      if (opts.approval === 'reject' && previousEnd === 'rolled back') break;
    }
    await checkBucketPolicy(clients, site, check);
  } finally {
    await deployment.stop();
    await stopLambdas(lambdas);
  }
  if (opts.status) {
    tl.note(`where production stands now — cfcd status --primary ${site.primaryId} --bucket ${SITE_BUCKET}:`);
    for (const line of (await opts.status(site.primaryId, SITE_BUCKET)).split('\n')) tl.note(`  ${line}`);
  }
  const ok = checks.every((c) => c.ok);
  tl.note(
    `${checks.filter((c) => c.ok).length} of ${checks.length} expectations held${
      ok
        ? ''
        : ` — FAILED: ${checks
            .filter((c) => !c.ok)
            .map((c) => c.name)
            .join('; ')}`
    }`,
  );
  return { ok, checks, site, events: [...allEvents()], ticks: watches.flatMap((w) => w.ticks) };
}

async function checkBucketPolicy(
  clients: LocalClients,
  site: LocalSite,
  check: (name: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const out = await clients.s3.send(new GetBucketPolicyCommand({ Bucket: SITE_BUCKET }));
  const statements = (JSON.parse(out.Policy ?? '{}') as { Statement?: Record<string, unknown>[] }).Statement ?? [];
  const kept = othersStatements().every((s) => statements.some((t) => JSON.stringify(t) === JSON.stringify(s)));
  const primaryGrantKept = statements.some((s) => s.Sid === 'AllowProductionDistribution');
  check(
    'statements other owners put in the bucket policy are intact',
    kept && primaryGrantKept,
    `${statements.length} statements; others' ${kept ? 'unchanged' : 'CHANGED'}; ` +
      `the original production grant ${primaryGrantKept ? 'kept' : 'LOST'}`,
  );
  check(
    'no grant to the whole account',
    !JSON.stringify(statements).includes('SourceAccount'),
    site.primaryArn.split(':')[4] ?? '',
  );
}
