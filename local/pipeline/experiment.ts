/**
 * The documented experiment, end to end against the local emulator and the built bundles:
 *   cycle 1 — header routing: only requests with the header reach v2; approve; promote's traffic gate wants more
 *             staging requests than the reviewer sent, so it waits (gathering-traffic) until a synthetic check sends
 *             requests with the header; promote; everyone gets v2.
 *   cycle 2 — weighted routing with stickiness: about the configured share reaches v3, sticky per cookie; approve;
 *             the gate passes at once on the reviewers' traffic (count and 5xx rate against the primary's); promote;
 *             everyone gets v3.
 *   cycle 3 — a content-only change (v4) with the weighted policy unchanged: CloudFormation skips the policy, which
 *             cycle 2's promotion disabled, so enable-CD must re-enable it (the drift nobody else handles).
 * With `approval: 'reject'`, cycle 1's approval is rejected and the abort action (as the EventBridge rule would
 * invoke it) puts all traffic back on the primary.
 */
import { GetContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { localClients, type LocalClients } from './aws.js';
import { lambdaNamed, startLambdas, stopLambdas } from './lambda.js';
import { runPipeline, type JobResultSource, type RunnerEvent, type Stage } from './runner.js';
import { SimulatedStagingStack, type StagingTemplate } from './staging-stack.js';
import { timeline } from './timeline.js';
import { SITE_BUCKET, createSite, othersStatements, type LocalSite } from './site.js';

/** What the experiment needs from the emulator. */
export interface ExperimentEmulator extends JobResultSource {
  url: string;
  env: Record<string, string>;
  viewer(
    domainName: string,
    path: string,
    init?: { headers?: Record<string, string> },
  ): Promise<{ status: number; body: string; servedBy?: string; setCookie?: string }>;
}

export interface ExperimentOptions {
  emulator: ExperimentEmulator;
  /** Real time between a continuation and the next invocation. */
  continuationDelayMs: number;
  approval: 'auto' | 'reject' | ((customData: string) => Promise<boolean>);
  write: (line: string) => void;
  /** Fresh viewers sampled for the weighted share. */
  weightedSample?: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ExperimentResult {
  ok: boolean;
  checks: Check[];
  site: LocalSite;
  events: RunnerEvent[];
}

const HEADER = { header: 'aws-cf-cd-staging', value: 'true' };
const WEIGHT = 0.15;
/** Requests with the header the synthetic check sends while promote gathers staging traffic in cycle 1. */
const SYNTHETIC_REQUESTS = 10;

/** Promote's gate parameters for a cycle; `sample` is the number of fresh viewers the weighted review sends. */
type GateFor = (sample: number) => Record<string, number>;
/** The reviewer sends one request with the header: the gate wants more, so promote waits for the synthetic check. */
const HEADER_GATE: GateFor = () => ({ MinStagingRequests: 5, MaxStaging5xxErrorRate: 1 });
/** Half the staging share the review's fresh viewers should bring: met at once, so the gate passes without waiting. */
const WEIGHT_GATE: GateFor = (sample) => ({
  MinStagingRequests: Math.floor((sample * WEIGHT) / 2),
  MaxStaging5xxErrorRate: 1,
  MaxErrorRateIncrease: 0.5,
});

const CYCLES: { name: string; version: string; template: StagingTemplate; gate: GateFor }[] = [
  {
    name: 'cycle 1: header routing',
    version: 'v2',
    template: { originPath: '/v2', traffic: { type: 'header', ...HEADER } },
    gate: HEADER_GATE,
  },
  {
    name: 'cycle 2: weighted routing',
    version: 'v3',
    template: { originPath: '/v3', traffic: { type: 'weight', weight: WEIGHT, idleTTL: 300, maximumTTL: 600 } },
    gate: WEIGHT_GATE,
  },
  {
    name: 'cycle 3: content-only change, policy left disabled by the last promotion',
    version: 'v4',
    template: { originPath: '/v4', traffic: { type: 'weight', weight: WEIGHT, idleTTL: 300, maximumTTL: 600 } },
    gate: WEIGHT_GATE,
  },
];

const versionOf = (body: string) => /site (v\d+)/.exec(body)?.[1] ?? `HTTP body ${JSON.stringify(body.slice(0, 40))}`;

/** Runs the experiment; never throws for a failed expectation (it is recorded), only for broken tooling. */
export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentResult> {
  const { emulator, write } = opts;
  const checks: Check[] = [];
  const events: RunnerEvent[] = [];
  const tl = timeline(write);
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    tl.note(`  ${ok ? '✓' : '✗'} ${name}: ${detail}`);
  };

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
    for (const cycle of CYCLES) {
      tl.note(`══ ${cycle.name} ══`);
      const previous = await viewers.once();
      const rejectThisCycle = opts.approval === 'reject';
      const gate = cycle.gate(opts.weightedSample ?? 1000);
      const stages = pipelineStages(site, stack, cycle.template, gate, async (customData) => {
        await reviewStaging(cycle, previous);
        return opts.approval === 'auto' ? true : opts.approval === 'reject' ? false : opts.approval(customData);
      });
      const cycleStart = events.length;
      let syntheticTraffic: Promise<unknown> | undefined;
      const result = await runPipeline(stages, {
        lambdas,
        results: emulator,
        continuationDelayMs: opts.continuationDelayMs,
        onEvent: (e) => {
          events.push(e);
          tl.event(e);
          // Header routing reaches staging only with the header: while promote gathers traffic, a synthetic check
          // (what testers or a canary would send) supplies it before CodePipeline re-invokes.
          if (!syntheticTraffic && cycle.template.traffic.type === 'header' && gatheringTraffic(e)) {
            tl.note(
              `      synthetic check: ${SYNTHETIC_REQUESTS} requests with the header ${HEADER.header}: ${HEADER.value}`,
            );
            syntheticTraffic = viewers.withHeaderTimes(SYNTHETIC_REQUESTS);
          }
        },
      });
      await syntheticTraffic;

      if (result.status === 'Failed' && result.rejected) {
        tl.note(`▶ approval rejected → EventBridge rule → abort (Mode disable)`);
        const aborted = await lambdaNamed(lambdas, 'abort').invoke({
          PrimaryDistributionId: site.primaryId,
          Mode: 'disable',
        });
        tl.event({
          type: 'invocation',
          action: 'abort',
          functionName: 'abort',
          jobId: 'eventbridge',
          attempt: 1,
          logs: aborted.logs,
          result: undefined,
          durationMs: aborted.durationMs,
        });
        check(
          'abort succeeded',
          aborted.ok,
          aborted.ok ? JSON.stringify(aborted.result) : `${aborted.error?.name}: ${aborted.error?.message}`,
        );
        const withHeader = await viewers.withHeader();
        check(
          `after the rejection, requests with the header get ${previous} again`,
          withHeader === previous,
          `got ${withHeader}`,
        );
        check(
          'the policy is disabled after abort',
          (await policyEnabled(clients, result.variables.StagingStack?.ContinuousDeploymentPolicyId)) === false,
          'policy Enabled=false',
        );
        if (rejectThisCycle) break;
        continue;
      }
      check(
        `${cycle.name} pipeline succeeded`,
        result.status === 'Succeeded',
        result.status === 'Failed' ? `${result.action}: ${result.message}` : 'all stages succeeded',
      );
      if (result.status === 'Failed') break;

      checkGate(cycle, gate, events.slice(cycleStart), result.variables.Promote ?? {});
      const after = await viewers.sample(50);
      check(
        `after promotion everyone gets ${cycle.version}`,
        after.every((x) => x === cycle.version),
        summarize(after),
      );
      const policyId = result.variables.StagingStack?.ContinuousDeploymentPolicyId;
      check(
        'promotion disabled the policy (the next enable-CD re-enables it)',
        (await policyEnabled(clients, policyId)) === false,
        `policy ${policyId} Enabled=false`,
      );
      if (cycle.version === 'v4') {
        const reEnabled = events.some(
          (e) =>
            e.type === 'invocation' &&
            e.functionName === 'enable-cd' &&
            e.logs.some((l) => l.event === 'write' && l.change === 'enable-policy'),
        );
        check(
          'enable-CD re-enabled the policy that CloudFormation skipped',
          reEnabled,
          reEnabled ? 'an enable-policy write is in the log' : 'no enable-policy write was made',
        );
      }
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

  /** The gate waited for traffic where the reviewers sent too little (header), and passed at once where they did not. */
  function checkGate(
    cycle: (typeof CYCLES)[number],
    gate: Record<string, number>,
    cycleEvents: RunnerEvent[],
    promoted: Record<string, string>,
  ): void {
    const waited = cycleEvents.some(gatheringTraffic);
    const served = Number(promoted.StagingRequests);
    const min = gate.MinStagingRequests ?? 0;
    const figures = `StagingRequests=${promoted.StagingRequests}, Staging5xxErrorRate=${promoted.Staging5xxErrorRate}%, Primary5xxErrorRate=${promoted.Primary5xxErrorRate ?? '(not read)'}, window ${promoted.MetricsWindowMinutes} min`;
    if (cycle.template.traffic.type === 'header') {
      check(
        'the promotion gate waited for staging traffic (gathering-traffic), then promoted',
        waited && served >= min,
        `${waited ? 'waited' : 'did NOT wait'}; ${figures} (MinStagingRequests ${min})`,
      );
    } else {
      check(
        "the promotion gate passed at once on the reviewers' traffic",
        !waited && served >= min,
        `${waited ? 'WAITED' : 'no wait'}; ${figures} (MinStagingRequests ${min})`,
      );
    }
  }

  /** What a reviewer (and the timeline) sees of staging before deciding. */
  async function reviewStaging(cycle: (typeof CYCLES)[number], previous: string): Promise<void> {
    if (cycle.template.traffic.type === 'header') {
      const withHeader = await viewers.withHeader();
      const without = await viewers.once();
      check(`with the header, requests reach ${cycle.version}`, withHeader === cycle.version, `got ${withHeader}`);
      check(`without the header, requests get ${previous}`, without === previous, `got ${without}`);
      return;
    }
    const n = opts.weightedSample ?? 1000;
    const { share, sticky } = await viewers.weighted(n, cycle.version);
    const low = WEIGHT - 0.05;
    const high = WEIGHT + 0.05;
    check(
      `about ${WEIGHT * 100}% of fresh viewers reach ${cycle.version}`,
      share >= low && share <= high,
      `${(share * 100).toFixed(1)}% of ${n} viewers (accepting ${low * 100}–${high * 100}%)`,
    );
    check(
      'a viewer routed to staging stays there (sticky cookie)',
      sticky,
      sticky ? '20 follow-up requests with the cookie all reached staging' : 'a follow-up request left staging',
    );
  }
}

/** A promote invocation that ended waiting for staging traffic (the gate). */
function gatheringTraffic(e: RunnerEvent): boolean {
  return (
    e.type === 'invocation' &&
    e.functionName === 'promote' &&
    e.logs.some((l) => l.event === 'job-waiting' && l.phase === 'gathering-traffic')
  );
}

/** The pipeline of one cycle: deploy staging stack → enable-CD → approval → promote (with the traffic gate). */
function pipelineStages(
  site: LocalSite,
  stack: SimulatedStagingStack,
  template: StagingTemplate,
  gate: Record<string, number>,
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
          userParameters: {
            PrimaryDistributionId: site.primaryId,
            StagingDistributionId: '#{StagingStack.StagingDistributionId}',
            ContinuousDeploymentPolicyId: '#{StagingStack.ContinuousDeploymentPolicyId}',
            StaticResourceBucketName: SITE_BUCKET,
          },
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

function summarize(versions: string[]): string {
  const counts = new Map<string, number>();
  for (const v of versions) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${n}× ${v}`).join(', ');
}

async function policyEnabled(clients: LocalClients, policyId: string | undefined): Promise<boolean | undefined> {
  if (!policyId) return undefined;
  const out = await clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  return out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig?.Enabled;
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

/** Viewer requests against the primary's domain, as a browser would send them. */
function viewerProbe(emulator: ExperimentEmulator, site: LocalSite) {
  const get = async (headers?: Record<string, string>) =>
    emulator.viewer(site.primaryDomain, '/', headers ? { headers } : undefined);
  return {
    once: async () => versionOf((await get()).body),
    withHeader: async () => versionOf((await get({ [HEADER.header]: HEADER.value })).body),
    withHeaderTimes: async (n: number) => {
      for (let i = 0; i < n; i++) await get({ [HEADER.header]: HEADER.value });
    },
    sample: async (n: number) => Promise.all(Array.from({ length: n }, async () => versionOf((await get()).body))),
    /** `n` fresh viewers (no cookie); then one viewer that reached staging keeps its cookie for 20 requests. */
    weighted: async (n: number, stagingVersion: string) => {
      let hits = 0;
      let stickyCookie: string | undefined;
      for (let i = 0; i < n; i++) {
        const r = await get();
        if (versionOf(r.body) === stagingVersion) {
          hits++;
          stickyCookie ??= r.setCookie?.split(';')[0];
        }
      }
      let sticky = stickyCookie !== undefined;
      for (let i = 0; sticky && i < 20; i++)
        sticky = versionOf((await get({ cookie: stickyCookie as string })).body) === stagingVersion;
      return { share: hits / n, sticky };
    },
  };
}
