/**
 * The cycles of the documented experiment (`npm start`). Each carries what the staging stack deploys, how promote
 * is gated, what the reviewer checks on staging before deciding, any traffic a synthetic check adds while promote
 * gathers staging traffic, and the expectations after promotion; experiment.ts runs them in order.
 */
import { PHASE as PROMOTE_PHASE } from '../../functions/promote/phases.js';
import { policyEnabled, type LocalClients } from './aws.js';
import type { RunnerEvent, Variables } from './runner.js';
import { STAGING_HEADER, headerTemplate, type StagingTemplate } from './staging-stack.js';
import { summarize, type ViewerProbe } from './viewers.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** What a cycle's review and expectations work with. */
export interface CycleContext {
  viewers: ViewerProbe;
  clients: LocalClients;
  /** A line on the timeline. */
  note: (text: string) => void;
  /** The version production served when the cycle began. */
  previous: string;
}

/** What the cycle's pipeline left behind. */
export interface CycleOutcome {
  /** The runner's events of this cycle. */
  events: RunnerEvent[];
  variables: Variables;
}

export type Expectation = (c: CycleContext, outcome: CycleOutcome) => Check | Promise<Check>;

/** How the previous cycle ended: promoted, or rejected and rolled back by abort. */
export type CycleEnd = 'promoted' | 'rolled back';

export interface Cycle {
  name: string;
  /** A line on what this cycle starts from, given how the previous one ended. */
  intro?(previous: CycleEnd | undefined): string;
  /** The content version staging serves, and production after the promotion. */
  version: string;
  template: StagingTemplate;
  /** Promote's traffic-gate parameters. */
  gate: Record<string, number>;
  /** What the reviewer checks on staging before deciding. */
  review(c: CycleContext): Promise<Check[]>;
  /**
   * Traffic a synthetic check (what testers or a canary would send) supplies once promote waits for staging traffic,
   * before CodePipeline re-invokes it; absent when the reviewers' own traffic is enough.
   */
  whileGatheringTraffic?(c: CycleContext): Promise<void>;
  /** Checked in order once the pipeline succeeded. */
  afterPromotion: Expectation[];
}

const WEIGHT = 0.15;
const WEIGHTED = { type: 'weight', weight: WEIGHT, idleTTL: 300, maximumTTL: 600 } as const;
/** Requests with the header the synthetic check sends while promote gathers staging traffic in cycle 1. */
const SYNTHETIC_REQUESTS = 10;

/**
 * The documented cycles; `sample` is the number of fresh viewers the weighted reviews send.
 *   cycle 1 — header routing: only requests with the header reach v2; approve; promote's traffic gate wants more
 *             staging requests than the reviewer sent, so it waits (gathering-traffic) until a synthetic check sends
 *             requests with the header; promote; everyone gets v2.
 *   cycle 2 — weighted routing with stickiness: about the configured share reaches v3, sticky per cookie; approve;
 *             the gate passes at once on the reviewers' traffic (count and 5xx rate against the primary's); promote;
 *             everyone gets v3.
 *   cycle 3 — a content-only change (v4) with the weighted policy unchanged: CloudFormation skips the policy, which
 *             cycle 2's promotion disabled, so enable-CD must re-enable it (the drift nobody else handles).
 */
export function documentedCycles(sample: number): Cycle[] {
  return [
    headerRouting('cycle 1: header routing', 'v2'),
    weightedRouting('cycle 2: weighted routing', 'v3', sample),
    {
      ...weightedRouting('cycle 3: content-only change', 'v4', sample, [enableCdReEnabledPolicy]),
      intro: (previous) =>
        `the template leaves the policy as it was, so CloudFormation skips it: it is still disabled (${previous === 'rolled back' ? "abort disabled it after cycle 2's rejection" : "cycle 2's promotion disabled it"}); enable-CD must re-enable it`,
    },
  ];
}

function headerRouting(name: string, version: string): Cycle {
  // The reviewer sends one request with the header: the gate wants more, so promote waits for the synthetic check.
  const gate = { MinStagingRequests: 5, MaxStaging5xxErrorRate: 1 };
  return {
    name,
    version,
    template: headerTemplate(`/${version}`),
    gate,
    review: async ({ viewers, previous }) => {
      const withHeader = await viewers.withHeader();
      const without = await viewers.once();
      return [
        { name: `with the header, requests reach ${version}`, ok: withHeader === version, detail: `got ${withHeader}` },
        { name: `without the header, requests get ${previous}`, ok: without === previous, detail: `got ${without}` },
      ];
    },
    // Header routing reaches staging only with the header.
    whileGatheringTraffic: ({ viewers, note }) => {
      note(
        `      synthetic check: ${SYNTHETIC_REQUESTS} requests with the header ${STAGING_HEADER.header}: ${STAGING_HEADER.value}`,
      );
      return viewers.withHeaderTimes(SYNTHETIC_REQUESTS);
    },
    afterPromotion: [gateWaitedForTraffic(gate), everyoneGets(version), promotionDisabledPolicy],
  };
}

function weightedRouting(name: string, version: string, sample: number, more: Expectation[] = []): Cycle {
  // Half the staging share the review's fresh viewers should bring: met at once, so the gate passes without waiting.
  const gate = {
    MinStagingRequests: Math.floor((sample * WEIGHT) / 2),
    MaxStaging5xxErrorRate: 1,
    MaxErrorRateIncrease: 0.5,
  };
  return {
    name,
    version,
    template: { originPath: `/${version}`, traffic: WEIGHTED },
    gate,
    review: async ({ viewers }) => {
      const { share, sticky } = await viewers.weighted(sample, version);
      const low = WEIGHT - 0.05;
      const high = WEIGHT + 0.05;
      return [
        {
          name: `about ${WEIGHT * 100}% of fresh viewers reach ${version}`,
          ok: share >= low && share <= high,
          detail: `${(share * 100).toFixed(1)}% of ${sample} viewers (accepting ${low * 100}–${high * 100}%)`,
        },
        {
          name: 'a viewer routed to staging stays there (sticky cookie)',
          ok: sticky,
          detail: sticky
            ? '20 follow-up requests with the cookie all reached staging'
            : 'a follow-up request left staging',
        },
      ];
    },
    afterPromotion: [gatePassedAtOnce(gate), everyoneGets(version), promotionDisabledPolicy, ...more],
  };
}

/** A promote invocation that ended waiting for staging traffic (the gate). */
export function gatheringTraffic(e: RunnerEvent): boolean {
  return (
    e.type === 'invocation' &&
    e.functionName === 'promote' &&
    e.logs.some((l) => l.event === 'job-waiting' && l.phase === PROMOTE_PHASE.gatheringTraffic)
  );
}

/** Whether promote waited for staging traffic, and what the gate's figures were. */
function gateOutcome(gate: Record<string, number>, { events, variables }: CycleOutcome) {
  const promoted = variables.Promote ?? {};
  const waited = events.some(gatheringTraffic);
  const min = gate.MinStagingRequests ?? 0;
  const enough = Number(promoted.StagingRequests) >= min;
  const figures = `StagingRequests=${promoted.StagingRequests}, Staging5xxErrorRate=${promoted.Staging5xxErrorRate}%, Primary5xxErrorRate=${promoted.Primary5xxErrorRate === undefined ? '(not read)' : `${promoted.Primary5xxErrorRate}%`}, window ${promoted.MetricsWindowMinutes} min (MinStagingRequests ${min})`;
  return { waited, enough, figures };
}

/** The reviewers sent too little staging traffic: the gate waited for more, then promoted. */
const gateWaitedForTraffic =
  (gate: Record<string, number>): Expectation =>
  (_, outcome) => {
    const { waited, enough, figures } = gateOutcome(gate, outcome);
    return {
      name: `the promotion gate waited for staging traffic (${PROMOTE_PHASE.gatheringTraffic}), then promoted`,
      ok: waited && enough,
      detail: `${waited ? 'waited' : 'did NOT wait'}; ${figures}`,
    };
  };

/** The reviewers' traffic was enough: the gate passed without waiting. */
const gatePassedAtOnce =
  (gate: Record<string, number>): Expectation =>
  (_, outcome) => {
    const { waited, enough, figures } = gateOutcome(gate, outcome);
    return {
      name: "the promotion gate passed at once on the reviewers' traffic",
      ok: !waited && enough,
      detail: `${waited ? 'WAITED' : 'no wait'}; ${figures}`,
    };
  };

const everyoneGets =
  (version: string): Expectation =>
  async ({ viewers }) => {
    const after = await viewers.sample(50);
    return {
      name: `after promotion everyone gets ${version}`,
      ok: after.every((x) => x === version),
      detail: summarize(after),
    };
  };

const promotionDisabledPolicy: Expectation = async ({ clients }, { variables }) => {
  const policyId = variables.StagingStack?.ContinuousDeploymentPolicyId;
  return {
    name: 'promotion disabled the policy (the next enable-CD re-enables it)',
    ok: (await policyEnabled(clients, policyId)) === false,
    detail: `policy ${policyId} Enabled=false`,
  };
};

const enableCdReEnabledPolicy: Expectation = (_, { events }) => {
  const reEnabled = events.some(
    (e) =>
      e.type === 'invocation' &&
      e.functionName === 'enable-cd' &&
      e.logs.some((l) => l.event === 'write' && l.change === 'enable-policy'),
  );
  return {
    name: 'enable-CD re-enabled the policy that CloudFormation skipped',
    ok: reEnabled,
    detail: reEnabled ? 'an enable-policy write is in the log' : 'no enable-policy write was made',
  };
};
