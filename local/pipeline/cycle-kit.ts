/**
 * What an `npm start` cycle is and works with (experiment.ts provides the context), and the checks several cycles
 * share: what reviewers see on staging, what viewers get after a promotion or a rejection.
 */
import { PHASE as PROMOTE_PHASE } from '../../functions/promote/phases.js';
import { policyEnabled, type LocalClients } from './aws.js';
import type { InvocationResult } from './lambda.js';
import type { Release } from './pipeline-definition.js';
import type {
  ApprovalRequest,
  PipelineExecution,
  PipelineResult,
  RunnerEvent,
  Variables,
} from './local-codepipeline.js';
import { STAGING_HEADER } from './staging-stack.js';
import { describePage, summarize, type ViewerProbe } from './viewers.js';
import type { VirtualClock } from './virtual-clock.js';
import type { WatchSchedule } from './watch-schedule.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** A release's reviewer: resolves true to approve, false to reject. */
export type Reviewer = (customData: string, request: ApprovalRequest) => Promise<boolean>;

/** How a cycle ended. */
export type CycleEnd = 'promoted' | 'rolled back' | 'refused' | 'failed' | 'reverted';

/** What a cycle works with. */
export interface CycleContext {
  viewers: ViewerProbe;
  clients: LocalClients;
  /** The production distribution. */
  primaryId: string;
  /** A line on the timeline. */
  note: (text: string) => void;
  /** The version production served when the cycle began. */
  previous: string;
  record(check: Check): void;
  /** The reviewer `npm start` was told to be: approve, reject, or ask on the terminal. */
  decide(customData: string): Promise<boolean>;
  /** Commits a release: a new pipeline execution labelled by its version. */
  commit(r: Release, reviewer: Reviewer, more?: { whileGatheringTraffic?: () => Promise<void> }): PipelineExecution;
  /** The runner's events of one execution so far. */
  eventsOf(execution: string): RunnerEvent[];
  /** Every runner event of the run so far, in order. */
  events(): RunnerEvent[];
  /** What EventBridge's rules invoked for the execution's failed actions (abort after a rejection), once done. */
  deliveries(execution: string): Promise<InvocationResult[]>;
  /** Holds EventBridge's deliveries for the execution until `until` settles (Lambda's asynchronous retry, late). */
  holdDeliveries(execution: string, until: Promise<unknown>): void;
  /**
   * The emulator's failing release: `share` of the requests served from `originPath` answer 500; with `paths`, only
   * the requests whose path starts with one of them.
   */
  failRelease(originPath: string, share: number, paths?: readonly string[]): void;
  watch: Pick<WatchSchedule, 'ticks' | 'waitFor'>;
  /** The run's virtual minutes: running once a cycle with `virtualMinutes` began; its viewers set by the cycle. */
  clock: Pick<VirtualClock, 'running' | 'offsetMs' | 'trafficEachMinute'>;
}

/** What a release's pipeline left behind, for its expectations. */
export interface CycleOutcome {
  events: RunnerEvent[];
  variables: Variables;
}

export type Expectation = (c: CycleContext, outcome: CycleOutcome) => Check | Promise<Check>;

export interface Cycle {
  name: string;
  /**
   * An update of the pipeline stack before this cycle (new parameter values, e.g. SitePath), and why: the pipeline
   * is redeployed from infra/pipeline.yml with them; the staging stack, a stack of its own, stays as it is.
   */
  updatesPipeline?: { parameters: Record<string, string>; why: string };
  /**
   * From this cycle on, each continuation is a minute of virtual time (virtual-clock.ts): for a cycle whose action
   * judges minutes of traffic (the ramp). The cycles before it run in real time, unchanged.
   */
  virtualMinutes?: boolean;
  /** A line on what this cycle starts from, given how the previous one ended. */
  intro?(previous: CycleEnd | undefined, interactive: boolean): string | undefined;
  /** Commits the cycle's releases, plays their reviewers and records the checks; says how it ended. */
  run(c: CycleContext): Promise<CycleEnd>;
}

/** A rejected approval: the EventBridge rule invoked abort, which put all traffic back on the primary. */
export async function expectRolledBack(c: CycleContext, r: Release, result: PipelineResult): Promise<void> {
  const [aborted] = await c.deliveries(r.version);
  const summary = (aborted?.result as { summary?: unknown } | undefined)?.summary;
  c.record({
    name: 'abort succeeded',
    ok: aborted?.ok === true,
    detail: !aborted
      ? 'EventBridge invoked nothing'
      : aborted.ok
        ? String(summary ?? JSON.stringify(aborted.result))
        : `${aborted.error?.name}: ${aborted.error?.message}`,
  });
  if (r.template.traffic.type === 'header') {
    const withHeader = await c.viewers.withHeader();
    c.record({
      name: `after the rejection, requests with the header get ${c.previous} again`,
      ok: withHeader === c.previous,
      detail: `got ${withHeader}`,
    });
  } else {
    const after = await c.viewers.sample(50);
    c.record({
      name: `after the rejection, every viewer gets ${c.previous} again`,
      ok: after.every((x) => x === c.previous),
      detail: summarize(after),
    });
  }
  c.record({
    name: 'the policy is disabled after abort',
    ok: (await policyEnabled(c.clients, result.variables.StagingStack?.ContinuousDeploymentPolicyId)) === false,
    detail: 'policy Enabled=false',
  });
}

/** With the header, requests reach staging's version; without it, production's. */
export const headerReview =
  (version: string) =>
  async ({ viewers, previous }: CycleContext): Promise<Check[]> => {
    const withHeader = await viewers.withHeader();
    const without = await viewers.once();
    return [
      { name: `with the header, requests reach ${version}`, ok: withHeader === version, detail: `got ${withHeader}` },
      { name: `without the header, requests get ${previous}`, ok: without === previous, detail: `got ${without}` },
    ];
  };

/** Requests with the header the synthetic check sends while promote gathers staging traffic. */
const SYNTHETIC_REQUESTS = 10;

/** Header routing reaches staging only with the header: a synthetic check sends some while promote waits. */
export const syntheticCheck = ({ viewers, note }: CycleContext): Promise<void> => {
  const header = `${STAGING_HEADER.header}: ${STAGING_HEADER.value}`;
  note(`      synthetic check: ${SYNTHETIC_REQUESTS} requests with the header ${header}`);
  return viewers.withHeaderTimes(SYNTHETIC_REQUESTS);
};

/** A promote invocation that ended waiting for staging traffic (the gate). */
export function gatheringTraffic(e: RunnerEvent): boolean {
  return (
    e.type === 'invocation' &&
    e.functionName === 'promote' &&
    e.logs.some((l) => l.event === 'job-waiting' && l.phase === PROMOTE_PHASE.gatheringTraffic)
  );
}

/**
 * Just before the promotion: production's page comes from the primary's edge cache (a Hit), where CachingOptimized
 * would keep it a day — what promote's invalidation is for.
 */
export async function pageBeforePromotion({ viewers, previous, note }: CycleContext): Promise<Check> {
  await viewers.page();
  const page = await viewers.page();
  note(`      production's page just before the promotion: ${describePage(page)}`);
  return {
    name: `just before the promotion, production's page is ${previous} from the primary's edge cache`,
    ok: page.version === previous && page.xCache === 'Hit from cloudfront',
    detail: describePage(page),
  };
}

/** Just after the promotion: the page is the promoted release, although the cache held the previous one. */
export const pageAfterPromotion =
  (version: string): Expectation =>
  async ({ viewers, note }) => {
    const first = await viewers.page();
    const next = await viewers.page();
    note(`      production's page just after the promotion: ${describePage(first)}, then ${describePage(next)}`);
    return {
      name: `just after the promotion, production's page is ${version}: promote invalidated the primary's cache`,
      ok: first.version === version && next.version === version,
      detail: `${describePage(first)}, then ${describePage(next)}`,
    };
  };

export const everyoneGets =
  (version: string): Expectation =>
  async ({ viewers }) => {
    const after = await viewers.sample(50);
    return {
      name: `after promotion everyone gets ${version}`,
      ok: after.every((x) => x === version),
      detail: summarize(after),
    };
  };

export const promotionDisabledPolicy: Expectation = async ({ clients }, { variables }) => {
  const policyId = variables.StagingStack?.ContinuousDeploymentPolicyId;
  return {
    name: 'promotion disabled the policy (the next enable-CD re-enables it)',
    ok: (await policyEnabled(clients, policyId)) === false,
    detail: `policy ${policyId} Enabled=false`,
  };
};
