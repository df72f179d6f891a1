/**
 * What the edge-cache invalidations add to a release, side by side with a release without them (`InvalidationPaths`
 * `[]`, what every release did before): one release — enable-CD, then promote — run to completion through
 * continuations under a timing model scaled down from minutes to milliseconds, and what viewers of the primary get
 * right after promote reports success.
 *
 * The model (CloudFront and CodePipeline times are not measurable here; these are the figures the docs and reports
 * give): a distribution propagates in about 5 minutes, an invalidation completes in about 2 (commonly quoted as 60 to
 * 300 s), and CodePipeline re-invokes a continuation after about a minute. Each wait costs whole re-invocation
 * intervals, so a job's time in the model is its number of continuations × the interval; the handlers' own
 * milliseconds are reported apart (they are not scaled).
 */
import { localClients } from '../local/pipeline/aws.js';
import { lambdaNamed } from '../local/pipeline/lambda.js';
import { createSite, enableCdParameters } from '../local/pipeline/site.js';
import { SimulatedStagingStack, headerTemplate } from '../local/pipeline/staging-stack.js';
import type { EmulatorSlot } from './emulator-slot.js';
import { runJob, type MeasuredInvocation } from './invocations.js';
import type { Lambdas } from './scenarios.js';
import { median, round } from './stats.js';

/** The timing model, in minutes, and the real milliseconds one modelled minute takes here. */
export const TIMING_MODEL = { propagationMinutes: 5, invalidationMinutes: 2, reinvokeMinutes: 1, msPerMinute: 100 };

/** Paths viewers of the primary ask for before and after the release (CachingOptimized keeps them a day). */
const VIEWER_PATHS = ['/', '/index.html'];
const VIEWERS_PER_PATH = 10;

export interface JobTimeline {
  function: 'enable-cd' | 'promote';
  invocations: number;
  /** Continuations × the re-invocation interval: what the job's waits cost in the model. */
  modelMinutes: number;
  requests: number;
  /** The invalidation requests among them (List, Get, Create). */
  invalidationRequests: number;
  handlerMs: number;
}

export interface ReleaseTimeline {
  variant: 'without invalidation' | 'with invalidation';
  invalidationPaths: string[];
  repetitions: number;
  /** Medians over the repetitions. */
  jobs: JobTimeline[];
  releaseModelMinutes: number;
  releaseRequests: number;
  /** Of the viewer requests to the primary right after promote's success, the share that got the promoted release. */
  viewersOnPromotedRelease: number;
}

const isInvalidationCall = (operation: string) => /Invalidation/.test(operation);

function jobTimeline(fn: JobTimeline['function'], invocations: MeasuredInvocation[]): JobTimeline {
  const requests = invocations.flatMap((i) => i.requests);
  return {
    function: fn,
    invocations: invocations.length,
    modelMinutes: (invocations.length - 1) * TIMING_MODEL.reinvokeMinutes,
    requests: requests.length,
    invalidationRequests: requests.filter((r) => isInvalidationCall(r.operation)).length,
    handlerMs: invocations.reduce((s, i) => s + i.handlerMs, 0),
  };
}

/** One release, start to finish, on a fresh emulator. */
async function oneRelease(slot: EmulatorSlot, lambdas: Lambdas, invalidationPaths: string[]) {
  const emulator = await slot.fresh();
  const clients = localClients(emulator.url);
  const site = await createSite(clients);
  const staging = (await new SimulatedStagingStack(clients).deploy(headerTemplate('/v2'))).outputs;
  emulator.settle();
  // Production has been serving v1: its viewers filled the primary's caches.
  for (const path of VIEWER_PATHS) await emulator.viewer(site.primaryDomain, path);

  const ms = (minutes: number) => minutes * TIMING_MODEL.msPerMinute;
  emulator.setPropagationMs(ms(TIMING_MODEL.propagationMinutes));
  emulator.setInvalidationMs(ms(TIMING_MODEL.invalidationMinutes));
  const between = { delayMs: ms(TIMING_MODEL.reinvokeMinutes) };
  const paths = { InvalidationPaths: invalidationPaths };
  const enable = await runJob(
    lambdaNamed(lambdas, 'enable-cd'),
    emulator,
    JSON.stringify({ ...enableCdParameters(site, staging), ...paths }),
    { between, maxInvocations: 100 },
  );
  const promote = await runJob(
    lambdaNamed(lambdas, 'promote'),
    emulator,
    JSON.stringify({
      PrimaryDistributionId: site.primaryId,
      StagingDistributionId: staging.StagingDistributionId,
      ...paths,
    }),
    { between, maxInvocations: 100 },
  );
  let promoted = 0;
  for (const path of VIEWER_PATHS)
    for (let i = 0; i < VIEWERS_PER_PATH; i++)
      if (/site v2/.test((await emulator.viewer(site.primaryDomain, path)).body)) promoted++;
  return {
    jobs: [jobTimeline('enable-cd', enable), jobTimeline('promote', promote)],
    viewersOnPromotedRelease: promoted / (VIEWER_PATHS.length * VIEWERS_PER_PATH),
  };
}

/** Both variants, interleaved repetition by repetition so that load on the machine falls on both alike. */
export async function measureReleaseTimelines(
  slot: EmulatorSlot,
  lambdas: Lambdas,
  repetitions: number,
): Promise<ReleaseTimeline[]> {
  const variants = [
    { variant: 'without invalidation', invalidationPaths: [] },
    { variant: 'with invalidation', invalidationPaths: ['/*'] },
  ] as const;
  const runs = variants.map(() => [] as Awaited<ReturnType<typeof oneRelease>>[]);
  for (let rep = 0; rep < repetitions; rep++)
    for (const [k, v] of variants.entries()) runs[k]!.push(await oneRelease(slot, lambdas, [...v.invalidationPaths]));
  return variants.map((v, k) => {
    const all = runs[k]!;
    const jobs = (['enable-cd', 'promote'] as const).map((fn, j) => {
      const of = all.map((r) => r.jobs[j]!);
      const mid = (f: (x: JobTimeline) => number) => median(of.map(f));
      return {
        function: fn,
        invocations: mid((x) => x.invocations),
        modelMinutes: mid((x) => x.modelMinutes),
        requests: mid((x) => x.requests),
        invalidationRequests: mid((x) => x.invalidationRequests),
        handlerMs: round(mid((x) => x.handlerMs)),
      };
    });
    return {
      variant: v.variant,
      invalidationPaths: [...v.invalidationPaths],
      repetitions,
      jobs,
      releaseModelMinutes: jobs.reduce((s, j) => s + j.modelMinutes, 0),
      releaseRequests: jobs.reduce((s, j) => s + j.requests, 0),
      viewersOnPromotedRelease: median(all.map((r) => r.viewersOnPromotedRelease)),
    };
  });
}
