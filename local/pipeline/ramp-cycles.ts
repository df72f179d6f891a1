/**
 * The ramp's cycles of `npm start` (docs/ramp.md). The pipeline stack is updated with RampSteps [1, 5, 15]: a
 * RampCanary action runs between enable-CD and the approval. These cycles run on virtual minutes (virtual-clock.ts):
 * each continuation is a minute, at the end of which a minute's viewers come, so that each step's 1-minute figures
 * hold its own traffic.
 *   10 — a healthy release, its staging stack on header routing: the ramp sets 1 %, then 5 %, then 15 %, each once
 *        the primary is Deployed at the step below and that step's own minutes were judged healthy; the approval
 *        shows the ramp's figures; approved, promoted.
 *   11 — a release that answers 500 only under real traffic (the emulator's failing release on its releases/<commit>
 *        folder), its staging stack unchanged: CloudFormation leaves the policy as cycle 10's promotion left it —
 *        disabled, and (promote told RampHeader) put back on header routing instead of its 15 % — so enable-CD switches
 *        it on as it is, on header routing; the ramp sets 1 %, judges that step unhealthy, disables the policy and puts
 *        it back on header routing in one write, and fails naming the step, before anyone is asked to approve; no
 *        viewer is routed above 1 %. A ramp's weights end with its release: cycle 12's enable-CD, the ramp off,
 *        finds header routing, never a weight to switch back on.
 */
import { GetContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { policyEnabled } from './aws.js';
import {
  everyoneGets,
  expectRolledBack,
  promotionDisabledPolicy,
  type Check,
  type Cycle,
  type CycleContext,
} from './cycle-kit.js';
import type { LogLine } from './lambda.js';
import type { PipelineResult, RunnerEvent } from './local-codepipeline.js';
import type { Release } from './pipeline-definition.js';
import { SHIPPING_PARAMETERS, shippedRelease } from './shipped-cycles.js';
import { summarize } from './viewers.js';

/** The ladder, in percent. */
export const RAMP_STEPS = [1, 5, 15] as const;

/**
 * The pipeline stack with the ramp: still shipping the site, RampSteps set, each step baking 1 minute. The watch's
 * MinStagingRequests goes back to its default, 100 (cycle 7 set 20 to show it acting fast): at 1 % a minute holds a
 * handful of staging requests, and it is the ramp that judges each step on its own minutes; the watch keeps guarding.
 */
export const RAMP_PARAMETERS = {
  ...SHIPPING_PARAMETERS,
  RampSteps: `[${RAMP_STEPS.join(', ')}]`,
  RampStepMinutes: '1',
  WatchMinStagingRequests: '100',
} as const;

/** Fresh viewers each virtual minute: at 1 % about 10 reach staging, enough for the gate's MinStagingRequests (5). */
const VIEWERS_PER_MINUTE = 1000;
/** Requests sent side by side. */
const BATCH = 100;

/** One virtual minute's viewers: what they got, and how the policy routed when the minute ended. */
interface Minute {
  routing: string;
  got: string[];
}

/** `1%`, `header`, `disabled`, or `no policy yet`: how the policy routes now. */
async function routingNow(c: CycleContext, policyId: string | undefined): Promise<string> {
  if (!policyId) return 'no policy yet';
  const out = await c.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  const config = out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
  if (config?.Enabled !== true) return 'disabled';
  const traffic = config.TrafficConfig;
  if (traffic?.Type === 'SingleHeader') return 'header';
  return `${Math.round((traffic?.SingleWeightConfig?.Weight ?? 0) * 100_000) / 1000}%`;
}

/** The policy's traffic type as it is now, enabled or not (`SingleHeader` or `SingleWeight`). */
async function trafficTypeOf(c: CycleContext, policyId: string): Promise<string | undefined> {
  const out = await c.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  return out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig?.TrafficConfig?.Type;
}

/** The staging stack's policy of an execution, once its Deploy action succeeded. */
function policyOf(c: CycleContext, label: string): string | undefined {
  const deployed = c
    .eventsOf(label)
    .find((e) => e.type === 'action-succeeded' && 'ContinuousDeploymentPolicyId' in e.variables);
  return deployed?.type === 'action-succeeded' ? deployed.variables.ContinuousDeploymentPolicyId : undefined;
}

/** Each minute, {@link VIEWERS_PER_MINUTE} fresh viewers; recorded in `minutes`, summed up for the timeline. */
function viewersEachMinute(c: CycleContext, r: Release, minutes: Minute[]) {
  return async () => {
    const got: string[] = [];
    for (let sent = 0; sent < VIEWERS_PER_MINUTE; sent += BATCH) got.push(...(await c.viewers.sample(BATCH)));
    const routing = await routingNow(c, policyOf(c, r.version));
    minutes.push({ routing, got });
    return `${got.length} viewers: ${summarize(got)} (policy ${routing === 'header' ? 'on header routing' : routing})`;
  };
}

/** The ramp's invocations in an execution, in order, with their log lines. */
const rampInvocations = (events: RunnerEvent[]) =>
  events.flatMap((e) => (e.type === 'invocation' && e.functionName === 'ramp' ? [e.logs] : []));

/** The changes enable-CD wrote in an execution, in order. */
const enableCdWrites = (events: RunnerEvent[]) =>
  events.flatMap((e) =>
    e.type === 'invocation' && e.functionName === 'enable-cd'
      ? e.logs.filter((l) => l.event === 'write').map((l) => String(l.change))
      : [],
  );

/** A healthy judgement a pass logged with its plan (`judged`: the step's figures). */
const judgedIn = (logs: LogLine[]) =>
  logs.find((l) => l.event === 'plan' && l.judged !== undefined)?.judged as { percent?: number } | undefined;

/**
 * The weight only moved up along the ladder, each move made in the pass that judged the step below it healthy.
 * Returns the weights written (`disable` for a rollback) and the first move that broke the rule.
 */
function ladderWrites(events: RunnerEvent[]): { written: string[]; broken: string | undefined } {
  const written: string[] = [];
  let broken: string | undefined;
  let previous: number | undefined;
  for (const logs of rampInvocations(events))
    for (const line of logs.filter((l) => l.event === 'write')) {
      if (line.change !== 'set-weight') {
        written.push(String(line.change));
        continue;
      }
      const percent = Number(line.weightPercent);
      written.push(`${percent}%`);
      const index = RAMP_STEPS.indexOf(percent as (typeof RAMP_STEPS)[number]);
      const below = index > 0 ? RAMP_STEPS[index - 1] : undefined;
      if (index === -1 || (previous !== undefined && percent <= previous)) broken ??= `${percent}% is off the way up`;
      else if (below !== undefined && judgedIn(logs)?.percent !== below)
        broken ??= `${percent}% was set without a healthy judgement of ${below}% in the same pass`;
      previous = percent;
    }
  return { written, broken };
}

/** The share of a minute's viewers that got `version`, in percent. */
const shareOf = (m: Minute, version: string) => (100 * m.got.filter((g) => g === version).length) / m.got.length;

/** Each step's minutes: about the step's share of viewers got the release; the steps in the ladder's order. */
function sharesFollowLadder(minutes: Minute[], version: string): Check {
  const weighted = minutes.filter((m) => m.routing.endsWith('%'));
  const seen = [...new Set(weighted.map((m) => m.routing))];
  const shares = seen.map((routing) => {
    const at = weighted.filter((m) => m.routing === routing);
    const share = at.reduce((sum, m) => sum + shareOf(m, version), 0) / at.length;
    const percent = Number.parseFloat(routing);
    return { routing, share, ok: Math.abs(share - percent) <= Math.max(1.5, percent / 3) };
  });
  return {
    name: `each minute's fresh viewers reached ${version} about as often as the step's weight, 1 % → 5 % → 15 %`,
    ok: seen.join(',') === RAMP_STEPS.map((s) => `${s}%`).join(',') && shares.every((s) => s.ok),
    detail: shares.map((s) => `at ${s.routing}: ${s.share.toFixed(1)}%`).join('; ') || 'no weighted minute',
  };
}

const rampSucceeded = (events: RunnerEvent[]) =>
  events.find((e) => e.type === 'action-succeeded' && e.action === 'RampCanary');

/** What the ramp did for a healthy release. */
function healthyRampChecks(c: CycleContext, r: Release, minutes: Minute[]): Check[] {
  const events = c.eventsOf(r.version);
  const ramp = rampSucceeded(events);
  const variables = ramp?.type === 'action-succeeded' ? ramp.variables : {};
  const approvalAsked = events.findIndex((e) => e.type === 'approval-pending');
  const { written, broken } = ladderWrites(events);
  const figures = variables.RampFigures ?? '';
  const judged = [...figures.matchAll(/(\d+)%: (\d+) req, 5xx 0%/g)].map((m) => Number(m[2]));
  const approval = events.find((e) => e.type === 'approval-pending');
  const customData = approval?.type === 'approval-pending' ? approval.customData : '';
  return [
    {
      name: `${r.version}'s ramp succeeded at 15 % with every step judged, before anyone was asked to approve`,
      ok:
        ramp !== undefined &&
        variables.FinalWeight === '15' &&
        variables.StepsJudged === '3' &&
        approvalAsked > events.indexOf(ramp),
      detail: ramp ? `FinalWeight=${variables.FinalWeight}, StepsJudged=${variables.StepsJudged}` : 'no RampCanary',
    },
    {
      name: 'the ramp set 1 % → 5 % → 15 %, only up, each move in the pass that judged the step below healthy',
      ok: written.join(' → ') === '1% → 5% → 15%' && broken === undefined,
      detail: `wrote ${written.join(' → ') || 'nothing'}${broken ? `; ${broken}` : ''}`,
    },
    {
      name: "each step was judged on its own minutes of viewers' requests, none with a 5xx",
      ok: judged.length === RAMP_STEPS.length && judged.every((n) => n > 0),
      detail: `RampFigures: ${figures || '(none)'}`,
    },
    sharesFollowLadder(minutes, r.version),
    {
      name: "the approval's instructions show the ramp's figures and its routing by weight, not enable-CD's header",
      ok:
        customData.includes(`Ramped to 15%, each step healthy: ${figures}`) &&
        customData.includes('(SingleWeight). about 15% of viewers') &&
        !customData.includes('curl -H'),
      detail:
        [/\(Single\w+\)\. about [\d.]+% of viewers|curl -H '[^']*'/, /Ramped to[^.]*\./]
          .map((pattern) => pattern.exec(customData)?.[0])
          .filter((found) => found !== undefined)
          .join(' … ') || 'no ramp figures in the CustomData',
    },
  ];
}

const failureOf = (r: PipelineResult) => (r.status === 'Failed' ? `${r.action}: ${r.message}` : 'succeeded');

export function rampCycles(): Cycle[] {
  const healthy = shippedRelease('v14');
  // Its staging template is cycle 10's, unchanged: nothing is edited by hand between the two ramped releases.
  const broken = shippedRelease('v15');
  return [
    {
      name: 'cycle 10: a release ramped 1 % → 5 % → 15 %',
      updatesPipeline: {
        parameters: RAMP_PARAMETERS,
        why:
          `the pipeline stack is updated with RampSteps=${RAMP_PARAMETERS.RampSteps}, ` +
          `RampStepMinutes=${RAMP_PARAMETERS.RampStepMinutes} and WatchMinStagingRequests=100 (the watch's default: ` +
          'the ramp judges each step); the staging stack is left as it is',
      },
      virtualMinutes: true,
      intro: () =>
        'the staging stack stays on header routing: the ramp sets the weights, each step judged on its own minutes',
      run: async (c) => {
        const minutes: Minute[] = [];
        c.clock.trafficEachMinute(viewersEachMinute(c, healthy, minutes));
        const execution = c.commit(healthy, (customData) => c.decide(customData));
        const result = await execution.done;
        c.clock.trafficEachMinute(undefined);
        for (const x of healthyRampChecks(c, healthy, minutes)) c.record(x);
        if (result.status === 'Failed' && result.rejected) {
          await expectRolledBack(c, healthy, result);
          return 'rolled back';
        }
        c.record({
          name: `${healthy.version}'s pipeline succeeded (Source → Ship → Release with RampCanary)`,
          ok: result.status === 'Succeeded',
          detail: failureOf(result).split('\n')[0] as string,
        });
        if (result.status === 'Failed') return 'failed';
        const outcome = { events: c.eventsOf(healthy.version), variables: result.variables };
        c.record(await everyoneGets(healthy.version)(c, outcome));
        c.record(await promotionDisabledPolicy(c, outcome));
        return 'promoted';
      },
    },
    {
      name: 'cycle 11: a release broken under traffic is stopped at its first step',
      intro: () =>
        "v15 answers 500 to every viewer; its staging template is unchanged, so the policy is as cycle 10's " +
        'promotion left it, disabled and back on header routing (not at 15 %): enable-CD switches it on as it is, ' +
        'and the ramp sets 1 %',
      run: async (c) => {
        const folder = `/releases/${broken.commit}`;
        c.failRelease(folder, 1);
        const minutes: Minute[] = [];
        c.clock.trafficEachMinute(viewersEachMinute(c, broken, minutes));
        const execution = c.commit(broken, async () => {
          c.note('  a reviewer was asked, which the ramp should have prevented');
          return false;
        });
        const result = await execution.done;
        c.clock.trafficEachMinute(undefined);
        const events = c.eventsOf(broken.version);
        const errors = minutes.flatMap((m) => m.got.filter((g) => /^HTTP 5\d\d$/.test(g)).map(() => m.routing));
        c.record({
          name: `viewers routed to ${broken.version}'s staging got errors, at 1 % only`,
          ok: errors.length > 0 && errors.every((routing) => routing === '1%'),
          detail:
            `${errors.length} 5xx in ${minutes.length} virtual minute(s): ${summarize(errors)} ` +
            '(the policy when each minute ended)',
        });
        const message = result.status === 'Failed' ? result.message : '';
        const asked = events.some((e) => e.type === 'approval-pending');
        c.record({
          name: 'the ramp judged step 1 (1 %) unhealthy and failed naming it, before any approval was asked',
          ok:
            result.status === 'Failed' &&
            result.action === 'RampCanary' &&
            message.includes('ramp step 1 of 3 (1% of viewers) was unhealthy') &&
            !asked,
          detail: `${failureOf(result).split('. ')[0]}${asked ? '; an approval was asked' : ''}`,
        });
        const { written } = ladderWrites(events);
        const policyId = policyOf(c, broken.version);
        const enabled = await policyEnabled(c.clients, policyId);
        const left = policyId ? await trafficTypeOf(c, policyId) : undefined;
        const enableCd = enableCdWrites(events);
        const above = minutes.filter((m) => m.routing.endsWith('%') && m.routing !== '1%').map((m) => m.routing);
        // Promoted, cycle 10's release had promote put the policy back on header routing (RampHeader), so enable-CD
        // only switched it on: a route-by-header here would mean the promotion had left its 15 % for this release.
        // Rejected (--interactive), abort disabled it at its weight, and enable-CD had to put it on the header itself.
        const afterPromotion = c.previous === healthy.version;
        const switchedOnByHeader = afterPromotion
          ? enableCd.includes('enable-policy') && !enableCd.includes('route-by-header')
          : enableCd.includes('route-by-header');
        c.record({
          name:
            "the weight never left 1 %: enable-CD switched the policy on by header, not at cycle 10's 15 %; " +
            'the ramp set 1 %, then only the rollback',
          ok:
            switchedOnByHeader &&
            written.join(',') === '1%,disable-policy' &&
            above.length === 0 &&
            enabled === false &&
            left === 'SingleHeader',
          detail:
            `enable-CD wrote ${enableCd.join(', ') || 'nothing'}; ramp wrote ${written.join(', ') || 'nothing'}; ` +
            `minutes above 1 %: ${above.length ? above.join(', ') : 'none'}; policy Enabled=${enabled}, ` +
            `routing ${left ?? 'unknown'}`,
        });
        const after = await c.viewers.sample(50);
        c.record({
          name: `production kept serving ${c.previous}: every viewer gets it`,
          ok: after.every((x) => x === c.previous),
          detail: summarize(after),
        });
        c.failRelease(folder, 0);
        return 'rolled back';
      },
    },
  ];
}
