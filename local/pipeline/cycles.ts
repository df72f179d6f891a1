/**
 * The cycles of the documented experiment (`npm start`). A cycle commits one or more releases to the pipeline,
 * plays their reviewers, and records what it expects; experiment.ts runs them in order with one pipeline, one
 * EventBridge rule and one watch schedule for the whole run.
 *   1–3: one release each, reviewed by whoever `npm start` was told approves (auto, --reject, --interactive);
 *   4–7: scenarios whose reviewers are part of the story (scenarios.ts) — a release committed while another waits
 *        for its reviewer, a staging changed by hand under review, a rejection whose abort arrives after the next
 *        release went live, a broken release the watch rolls back before anyone answers.
 */
import { PHASE as PROMOTE_PHASE } from '../../functions/promote/phases.js';
import {
  everyoneGets,
  expectRolledBack,
  gatheringTraffic,
  headerReview,
  pageAfterPromotion,
  pageBeforePromotion,
  promotionDisabledPolicy,
  syntheticCheck,
  type Check,
  type Cycle,
  type CycleContext,
  type CycleOutcome,
  type Expectation,
} from './cycle-kit.js';
import { release } from './pipeline-definition.js';
import { brokenRelease, changeStagingByHand, lateAbort, queuedRelease } from './scenarios.js';
import { headerTemplate, type StagingTemplate } from './staging-stack.js';

const WEIGHT = 0.15;
const WEIGHTED = { type: 'weight', weight: WEIGHT, idleTTL: 300, maximumTTL: 600 } as const;

/**
 * The documented cycles; `sample` is the number of fresh viewers the weighted reviews send.
 *   cycle 1 — header routing: only requests with the header reach v2; production's page comes from the primary's
 *             edge cache; approve; promote's traffic gate wants more staging requests than the reviewer sent, so it
 *             waits (gathering-traffic) until a synthetic check sends requests with the header; promote, which
 *             invalidates the primary's cache once it is Deployed; the page is v2 at once, and everyone gets v2.
 *   cycle 2 — weighted routing with stickiness: about the configured share reaches v3, sticky per cookie; approve;
 *             the gate passes at once on the reviewers' traffic; promote; everyone gets v3.
 *   cycle 3 — a content-only change (v4) with the weighted policy unchanged: CloudFormation skips the policy, which
 *             cycle 2's promotion (or abort) disabled, so enable-CD must re-enable it (the drift nobody else handles).
 *   cycles 4–7 — see scenarios.ts.
 */
export function documentedCycles(sample: number): Cycle[] {
  return [
    singleRelease({
      name: 'cycle 1: header routing',
      version: 'v2',
      template: headerTemplate('/v2'),
      review: async (c) => [...(await headerReview('v2')(c)), await pageBeforePromotion(c)],
      whileGatheringTraffic: syntheticCheck,
      afterPromotion: [gateWaitedForTraffic, pageAfterPromotion('v2'), everyoneGets('v2'), promotionDisabledPolicy],
    }),
    singleRelease({
      name: 'cycle 2: weighted routing',
      version: 'v3',
      template: { originPath: '/v3', traffic: WEIGHTED },
      review: weightedReview('v3', sample),
      afterPromotion: [gatePassedAtOnce, everyoneGets('v3'), promotionDisabledPolicy],
    }),
    singleRelease({
      name: 'cycle 3: content-only change',
      version: 'v4',
      template: { originPath: '/v4', traffic: WEIGHTED },
      review: weightedReview('v4', sample),
      intro: (previous) => {
        const disabledBy =
          previous === 'rolled back'
            ? "abort disabled it after cycle 2's rejection"
            : "cycle 2's promotion disabled it";
        return (
          'the template leaves the policy as it was, so CloudFormation skips it: ' +
          `it is still disabled (${disabledBy}); enable-CD must re-enable it`
        );
      },
      afterPromotion: [gatePassedAtOnce, everyoneGets('v4'), promotionDisabledPolicy, enableCdReEnabledPolicy],
    }),
    queuedRelease,
    changeStagingByHand,
    lateAbort,
    brokenRelease,
  ];
}

/** A cycle of one release, reviewed by the configured reviewer. */
interface SingleRelease {
  name: string;
  version: string;
  template: StagingTemplate;
  intro?: Cycle['intro'];
  /** What the reviewer checks on staging before deciding. */
  review(c: CycleContext): Promise<Check[]>;
  /** Traffic a synthetic check sends once promote waits for staging traffic, before CodePipeline re-invokes it. */
  whileGatheringTraffic?(c: CycleContext): Promise<void>;
  /** Checked in order once the pipeline succeeded. */
  afterPromotion: Expectation[];
}

function singleRelease(spec: SingleRelease): Cycle {
  return {
    name: spec.name,
    ...(spec.intro ? { intro: spec.intro } : {}),
    run: async (c) => {
      const r = release(spec.version, spec.template);
      const execution = c.commit(
        r,
        async (customData) => {
          for (const x of await spec.review(c)) c.record(x);
          return c.decide(customData);
        },
        spec.whileGatheringTraffic ? { whileGatheringTraffic: () => spec.whileGatheringTraffic!(c) } : {},
      );
      const result = await execution.done;
      if (result.status === 'Failed' && result.rejected) {
        await expectRolledBack(c, r, result);
        return 'rolled back';
      }
      c.record({
        name: `${spec.name} pipeline succeeded`,
        ok: result.status === 'Succeeded',
        detail: result.status === 'Failed' ? `${result.action}: ${result.message}` : 'all stages succeeded',
      });
      if (result.status === 'Failed') return 'failed';
      const outcome = { events: c.eventsOf(r.version), variables: result.variables };
      for (const expectation of spec.afterPromotion) c.record(await expectation(c, outcome));
      return 'promoted';
    },
  };
}

/** About the weighted share of fresh viewers reach staging, and stay there by their cookie. */
const weightedReview =
  (version: string, sample: number) =>
  async ({ viewers }: CycleContext): Promise<Check[]> => {
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
  };

/** Whether promote waited for staging traffic, and what the gate's figures were. */
function gateOutcome({ events, variables }: CycleOutcome) {
  const promoted = variables.Promote ?? {};
  const waited = events.some(gatheringTraffic);
  const gate = events
    .flatMap((e) => (e.type === 'invocation' && e.functionName === 'promote' ? e.logs : []))
    .filter((l) => l.event === 'gate')
    .at(-1);
  const min = Number((gate?.thresholds as { MinStagingRequests?: number } | undefined)?.MinStagingRequests ?? 0);
  const enough = Number(promoted.StagingRequests) >= min;
  const primaryRate = promoted.Primary5xxErrorRate === undefined ? '(not read)' : `${promoted.Primary5xxErrorRate}%`;
  const figures =
    `StagingRequests=${promoted.StagingRequests}, Staging5xxErrorRate=${promoted.Staging5xxErrorRate}%, ` +
    `Primary5xxErrorRate=${primaryRate}, window ${promoted.MetricsWindowMinutes} min (MinStagingRequests ${min})`;
  return { waited, enough, figures };
}

/** The reviewers sent too little staging traffic: the gate waited for more, then promoted. */
const gateWaitedForTraffic: Expectation = (_, outcome) => {
  const { waited, enough, figures } = gateOutcome(outcome);
  return {
    name: `the promotion gate waited for staging traffic (${PROMOTE_PHASE.gatheringTraffic}), then promoted`,
    ok: waited && enough,
    detail: `${waited ? 'waited' : 'did NOT wait'}; ${figures}`,
  };
};

/** The reviewers' traffic was enough: the gate passed without waiting. */
const gatePassedAtOnce: Expectation = (_, outcome) => {
  const { waited, enough, figures } = gateOutcome(outcome);
  return {
    name: "the promotion gate passed at once on the reviewers' traffic",
    ok: !waited && enough,
    detail: `${waited ? 'WAITED' : 'no wait'}; ${figures}`,
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
