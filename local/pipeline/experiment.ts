/**
 * The documented experiment, end to end against the local emulator and the built bundles: the cycles of cycles.ts,
 * each through the pipeline (deploy the staging stack → enable-CD → manual approval → promote), with the checks
 * each cycle expects. With `approval: 'reject'`, cycle 1's approval is rejected and the abort action (as the
 * EventBridge rule would invoke it) puts all traffic back on the primary.
 */
import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { localClients, policyEnabled, type LocalClients } from './aws.js';
import {
  documentedCycles,
  gatheringTraffic,
  type Check,
  type Cycle,
  type CycleContext,
  type CycleEnd,
} from './cycles.js';
import { lambdaNamed, startLambdas, stopLambdas } from './lambda.js';
import { runPipeline, type JobResultSource, type PipelineResult, type RunnerEvent, type Stage } from './runner.js';
import { SITE_BUCKET, createSite, enableCdParameters, othersStatements, type LocalSite } from './site.js';
import { SimulatedStagingStack } from './staging-stack.js';
import { timeline } from './timeline.js';
import { summarize, viewerProbe, type ViewerSource } from './viewers.js';

export type { Check } from './cycles.js';

/** What the experiment needs from the emulator. */
export interface ExperimentEmulator extends JobResultSource, ViewerSource {
  url: string;
  env: Record<string, string>;
}

export interface ExperimentOptions {
  emulator: ExperimentEmulator;
  /** Real time between a continuation and the next invocation. */
  continuationDelayMs: number;
  approval: 'auto' | 'reject' | ((customData: string) => Promise<boolean>);
  write: (line: string) => void;
  /** Fresh viewers sampled for the weighted share. */
  weightedSample?: number;
  /** Print every log line as the function wrote it (JSON). */
  verbose?: boolean;
}

export interface ExperimentResult {
  ok: boolean;
  checks: Check[];
  site: LocalSite;
  events: RunnerEvent[];
}

/** Runs the experiment; never throws for a failed expectation (it is recorded), only for broken tooling. */
export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentResult> {
  const { emulator, write } = opts;
  const checks: Check[] = [];
  const events: RunnerEvent[] = [];
  const tl = timeline(write, { verbose: opts.verbose ?? false });
  const record = (c: Check) => {
    checks.push(c);
    tl.note(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
  };
  const check = (name: string, ok: boolean, detail: string) => record({ name, ok, detail });

  const clients = localClients(emulator.url);
  const site = await createSite(clients);
  tl.note(
    `world: bucket ${SITE_BUCKET} (v1…v4), production distribution ${site.primaryId} (${site.primaryDomain}) serving v1`,
  );

  const viewers = viewerProbe(emulator, site);
  const v = await viewers.once();
  check('production serves v1 before any cycle', v === 'v1', `a viewer got ${v}`);

  const lambdas = await startLambdas(emulator.env);
  const stack = new SimulatedStagingStack(clients);
  try {
    let previousEnd: CycleEnd | undefined;
    for (const cycle of documentedCycles(opts.weightedSample ?? 1000)) {
      tl.note(`══ ${cycle.name} ══`);
      if (cycle.intro) tl.note(`  ${cycle.intro(previousEnd)}`);
      const context: CycleContext = { viewers, clients, note: tl.note, previous: await viewers.once() };
      const cycleStart = events.length;
      const result = await runCycle(cycle, context);
      if (result.status === 'Failed' && result.rejected) {
        await rollBack(cycle, result, context);
        previousEnd = 'rolled back';
        if (opts.approval === 'reject') break;
        continue;
      }
      check(
        `${cycle.name} pipeline succeeded`,
        result.status === 'Succeeded',
        result.status === 'Failed' ? `${result.action}: ${result.message}` : 'all stages succeeded',
      );
      if (result.status === 'Failed') break;
      const outcome = { events: events.slice(cycleStart), variables: result.variables };
      for (const expectation of cycle.afterPromotion) record(await expectation(context, outcome));
      previousEnd = 'promoted';
    }
    await checkBucketPolicy(clients, site, check);
  } finally {
    await stopLambdas(lambdas);
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
  return { ok, checks, site, events };

  /** The cycle's pipeline, the reviewer's checks before the approval, and any synthetic traffic while promote waits. */
  async function runCycle(cycle: Cycle, context: CycleContext): Promise<PipelineResult> {
    const stages = pipelineStages(site, stack, cycle, async (customData) => {
      for (const c of await cycle.review(context)) record(c);
      return opts.approval === 'auto' ? true : opts.approval === 'reject' ? false : opts.approval(customData);
    });
    let syntheticTraffic: Promise<unknown> | undefined;
    const result = await runPipeline(stages, {
      lambdas,
      results: emulator,
      continuationDelayMs: opts.continuationDelayMs,
      onEvent: (e) => {
        events.push(e);
        tl.event(e);
        if (!syntheticTraffic && cycle.whileGatheringTraffic && gatheringTraffic(e))
          syntheticTraffic = cycle.whileGatheringTraffic(context);
      },
    });
    await syntheticTraffic;
    return result;
  }

  /** A rejected approval: the EventBridge rule invokes abort, which puts all traffic back on the primary. */
  async function rollBack(cycle: Cycle, result: PipelineResult, { previous }: CycleContext): Promise<void> {
    tl.note(`▶ approval rejected → EventBridge rule → abort (Mode disable)`);
    const aborted = await lambdaNamed(lambdas, 'abort').invoke({
      PrimaryDistributionId: site.primaryId,
      Mode: 'disable',
    });
    tl.event({
      type: 'invocation',
      action: 'abort',
      functionName: 'abort',
      trigger: 'eventbridge',
      jobId: '',
      attempt: 1,
      logs: aborted.logs,
      result: undefined,
      durationMs: aborted.durationMs,
    });
    check(
      'abort succeeded',
      aborted.ok,
      aborted.ok
        ? String((aborted.result as { summary?: unknown } | undefined)?.summary ?? JSON.stringify(aborted.result))
        : `${aborted.error?.name}: ${aborted.error?.message}`,
    );
    if (cycle.template.traffic.type === 'header') {
      const withHeader = await viewers.withHeader();
      check(
        `after the rejection, requests with the header get ${previous} again`,
        withHeader === previous,
        `got ${withHeader}`,
      );
    } else {
      const after = await viewers.sample(50);
      check(
        `after the rejection, every viewer gets ${previous} again`,
        after.every((x) => x === previous),
        summarize(after),
      );
    }
    check(
      'the policy is disabled after abort',
      (await policyEnabled(clients, result.variables.StagingStack?.ContinuousDeploymentPolicyId)) === false,
      'policy Enabled=false',
    );
  }
}

/** The pipeline of one cycle: deploy staging stack → enable-CD → approval → promote (with the traffic gate). */
function pipelineStages(
  site: LocalSite,
  stack: SimulatedStagingStack,
  { template, gate }: Cycle,
  decide: (customData: string) => Promise<boolean>,
): Stage[] {
  return [
    {
      name: 'Deploy',
      actions: [
        {
          type: 'custom',
          name: 'DeployStagingStack',
          namespace: 'StagingStack',
          run: async () => {
            const r = await stack.deploy(template);
            return {
              variables: r.outputs,
              summary: `CloudFormation (simulated): staging distribution ${r.outputs.StagingDistributionId} ${r.staging} (origin path ${template.originPath}), policy ${r.outputs.ContinuousDeploymentPolicyId} ${r.policy} (${template.traffic.type})`,
            };
          },
        },
        {
          type: 'invoke',
          name: 'EnableContinuousDeployment',
          functionName: 'enable-cd',
          namespace: 'EnableCd',
          userParameters: enableCdParameters(site, {
            StagingDistributionId: '#{StagingStack.StagingDistributionId}',
            ContinuousDeploymentPolicyId: '#{StagingStack.ContinuousDeploymentPolicyId}',
          }),
        },
      ],
    },
    {
      name: 'Approval',
      actions: [
        {
          type: 'approval',
          name: 'ManualApproval',
          customData: 'Staging is live: #{EnableCd.HowToReachStaging}',
          decide,
        },
      ],
    },
    {
      name: 'Promote',
      actions: [
        {
          type: 'invoke',
          name: 'PromoteStaging',
          functionName: 'promote',
          namespace: 'Promote',
          userParameters: {
            PrimaryDistributionId: site.primaryId,
            StagingDistributionId: '#{StagingStack.StagingDistributionId}',
            ...gate,
          },
        },
      ],
    },
  ];
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
    `${statements.length} statements; others' ${kept ? 'unchanged' : 'CHANGED'}; the original production grant ${primaryGrantKept ? 'kept' : 'LOST'}`,
  );
  check(
    'no grant to the whole account',
    !JSON.stringify(statements).includes('SourceAccount'),
    site.primaryArn.split(':')[4] ?? '',
  );
}
