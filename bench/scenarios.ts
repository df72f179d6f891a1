/**
 * The scenarios the bench measures, each with the state it starts from and the shortest critical path it can have.
 * Every starting state is built at 0 ms latency on a fresh emulator and settled (all distributions Deployed) before the
 * measured invocation, so the first invocation finds nothing propagating and does its whole job.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Emulator } from '../local/emulator/index.js';
import { type LocalClients, localClients } from '../local/pipeline/aws.js';
import { FUNCTION_NAMES } from '../infra/bundles.mjs';
import { lambdaNamed, type LocalLambdas } from '../local/pipeline/lambda.js';
import { STAGING_HEADER, SimulatedStagingStack, headerTemplate } from '../local/pipeline/staging-stack.js';
import { SITE_BUCKET, createSite, enableCdParameters } from '../local/pipeline/site.js';
import { manifestKey, releaseOriginPath, serializeManifest } from '../shared/release/manifest.js';
import { runJob } from './invocations.js';

export type Lambdas = LocalLambdas;

/** What the measured invocation receives: UserParameters of a CodePipeline job, or a plain event. */
export type Trigger = { userParameters: string } | { event: unknown };

export interface Minimum {
  requests: number;
  criticalPath: number;
  why: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** The function measured: a functions/<name> folder (infra/bundles.mjs). */
  function: string;
  /** The fewest requests the first invocation can make and the shortest chain of them; `why` says how. */
  minimum: Minimum;
  /**
   * The same for each later invocation of the job, in order (continuations; everything settled in between:
   * distributions Deployed, invalidations Completed); absent when there is none.
   */
  followUpMinima?: Minimum[];
  /** True when the first invocation must not write anything (a re-run with everything in place). */
  noWrites: boolean;
  prepare(emulator: Emulator, lambdas: Lambdas): Promise<Trigger>;
  /** Throws when the completed job did not leave what it should (its figures would then measure something else). */
  verify?(emulator: Emulator): Promise<void>;
}

export interface Ids {
  primaryId: string;
  primaryDomain: string;
  stagingId: string;
  policyId: string;
}

/** What the site's bucket holds besides createSite's folders, and the origin path the staging serves. */
export interface Content {
  stagingOriginPath: string;
  seed(clients: LocalClients): Promise<void>;
}

/**
 * The site and its primary (createSite), then the staging stack as CloudFormation leaves it: staging serving v2 (or
 * `content`'s origin path, after its objects are written), policy enabled.
 */
async function stagingDeployed(emulator: Emulator, content?: Content): Promise<Ids> {
  const clients = localClients(emulator.url);
  const site = await createSite(clients);
  await content?.seed(clients);
  const stack = await new SimulatedStagingStack(clients).deploy(headerTemplate(content?.stagingOriginPath ?? '/v2'));
  emulator.settle();
  return {
    primaryId: site.primaryId,
    primaryDomain: site.primaryDomain,
    stagingId: stack.outputs.StagingDistributionId,
    policyId: stack.outputs.ContinuousDeploymentPolicyId,
  };
}

export const enableCdUserParameters = (ids: Ids) =>
  JSON.stringify(
    enableCdParameters(ids, { StagingDistributionId: ids.stagingId, ContinuousDeploymentPolicyId: ids.policyId }),
  );

/** The staging stack deployed and enable-CD run to completion: the policy is enabled, attached and Deployed. */
export async function continuousDeploymentLive(emulator: Emulator, lambdas: Lambdas, content?: Content): Promise<Ids> {
  const ids = await stagingDeployed(emulator, content);
  await runJob(lambdaNamed(lambdas, 'enable-cd'), emulator, enableCdUserParameters(ids), { between: { settle: true } });
  emulator.settle();
  return ids;
}

/** Release `i` of the promote-prune scenario's bucket: a commit id, release 1 the oldest. */
export const releaseCommit = (i: number) => `${String(i).padStart(2, '0')}${'c'.repeat(38)}`;

/**
 * `count` complete release folders as `cfcd upload` leaves them (two files, then the manifest), release i created
 * (count - i + 1) days ago, the staging serving the newest: what the Ship stage leaves before the approval.
 */
export function releases(count: number): Content {
  return {
    stagingOriginPath: releaseOriginPath(releaseCommit(count)),
    seed: async ({ s3 }) => {
      const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: SITE_BUCKET, Key, Body }));
      for (let i = 1; i <= count; i++) {
        const commit = releaseCommit(i);
        await Promise.all([
          put(`releases/${commit}/index.html`, `<h1>site ${commit}</h1>\n`),
          put(`releases/${commit}/assets/app.js`, `console.log(${i});\n`),
        ]);
        const createdAt = new Date(Date.now() - (count - i + 1) * 86_400_000).toISOString();
        await put(manifestKey(commit), serializeManifest({ v: 1, commit, createdAt, files: [] }));
      }
    },
  };
}

/** The promote-prune scenario's bucket: this many complete releases, of which KeepReleases are kept. */
export const PRUNE_RELEASES = 6;
export const PRUNE_KEEP = 3;

/** The release folders left in the site's bucket, sorted. */
export async function releaseFolders(emulator: Emulator): Promise<string[]> {
  const out = await localClients(emulator.url).s3.send(
    new ListObjectsV2Command({ Bucket: SITE_BUCKET, Prefix: 'releases/', Delimiter: '/' }),
  );
  return (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').sort();
}

// Minimums. A "round" is a set of requests with no data dependency between them, sent together; the critical path
// counts rounds. Every CodePipeline job ends with one report (PutJobSuccessResult, with or without a continuation
// token), which must come last because it carries the outcome of everything before it.
export const SCENARIOS: Scenario[] = [
  {
    id: 'enable-cd-first-run',
    title: 'enable-CD, first run (grant + invalidate, then attach)',
    function: 'enable-cd',
    // Round 1: primary, staging, policy and bucket policy are independent reads, and so is the first page of the
    //   staging's invalidations (which of them count depends on round 1, the request does not): 5 in parallel.
    // Round 2: HeadObject of the release root (<OriginPath>/<DefaultRootObject>, from staging's config in round 1):
    //   viewers must not be routed to a release that was never uploaded, and a refusal writes nothing, so the check
    //   comes before the first write (since 8fad651). The staging was never invalidated: no GetInvalidation.
    // Round 3: the bucket grant (PutBucketPolicy) — it needs both ARNs from round 1 and must land before any viewer
    //   is routed to staging, or staging's first requests to the bucket are refused (403).
    // Round 4: CreateInvalidation on the staging (its caches still hold the last canary); the attach is held until
    //   the invalidation is Completed. (The plan's writes go in order; the grant and the invalidation could overlap,
    //   one round less, but they are the plan's two first writes and a failed grant should stop the invalidation.)
    // Round 5: the report (a continuation, phase invalidating). 5 + 1 + 1 + 1 + 1 = 9 requests, chain 5.
    minimum: { requests: 9, criticalPath: 5, why: 'reads ‖ list → release root → grant → invalidate → report' },
    followUpMinima: [
      // The invalidation is Completed: reads ‖ list → release root ‖ our invalidation (GetInvalidation) → attach (the
      // write that routes viewers) → report (a continuation: the attach propagates). 9 requests, chain 4.
      { requests: 9, criticalPath: 4, why: 'reads ‖ list → root ‖ invalidation → attach → report' },
      // Everything in place: reads ‖ list → our invalidation → report. 7 requests, chain 3.
      { requests: 7, criticalPath: 3, why: 'reads ‖ list → invalidation → report' },
    ],
    noWrites: false,
    prepare: async (emulator) => ({ userParameters: enableCdUserParameters(await stagingDeployed(emulator)) }),
  },
  {
    id: 'enable-cd-rerun',
    title: 'enable-CD, re-run, all in place',
    function: 'enable-cd',
    // Round 1: the same 4 independent reads and the first page of the staging's invalidations (they are what shows
    //   that nothing needs to change). Round 2: GetInvalidation of the one made since the staging's last change: is
    //   it ours for this config (CallerReference) and Completed? Round 3: the success report with the reviewer's
    //   output variables. No write. 7 requests, chain 3 (5 and 2 before the staging's cache was checked).
    minimum: { requests: 7, criticalPath: 3, why: 'reads ‖ list → invalidation → report' },
    noWrites: true,
    prepare: async (emulator, lambdas) => ({
      userParameters: enableCdUserParameters(await continuousDeploymentLive(emulator, lambdas)),
    }),
  },
  {
    id: 'promote',
    title: 'promote',
    function: 'promote',
    // Round 1: primary and staging (independent reads, in parallel).
    // Round 2: the attached policy — its id is only known from the primary's config (promote is not given it), and
    //   it must be read to check that it routes to this staging (what the approval covered).
    // Round 3: UpdateDistributionWithStagingConfig with both ETags from round 1, after the check of round 2.
    // Round 4: the report (a continuation: the primary propagates). 2 + 1 + 1 + 1 = 5 requests, chain 4.
    minimum: { requests: 5, criticalPath: 4, why: 'primary ‖ staging → policy → promote → report' },
    followUpMinima: [
      // `promoted`, the primary Deployed: the primary ‖ the staging (the token's claim that the primary carries its
      // config is re-checked, never trusted) ‖ the first page of the primary's invalidations → CreateInvalidation
      // (none made since the promotion) → report. The bench's emulator completes an invalidation at once, and
      // CloudFront's answer says so, which ends the job here: 5 requests, chain 3. Against CloudFront, whose
      // invalidations take minutes, one more invocation (5 / 3: … → our invalidation, GetInvalidation → report)
      // finds it Completed.
      { requests: 5, criticalPath: 3, why: 'primary ‖ staging ‖ list → invalidate → report' },
    ],
    noWrites: false,
    prepare: async (emulator, lambdas) => {
      const ids = await continuousDeploymentLive(emulator, lambdas);
      return {
        userParameters: JSON.stringify({ PrimaryDistributionId: ids.primaryId, StagingDistributionId: ids.stagingId }),
      };
    },
  },
  {
    id: 'promote-gated',
    title: 'promote with traffic gate',
    function: 'promote',
    // The gate's GetMetricData names staging and primary (both parameters) and a window that ends now: it depends on
    // no read, so it can go out with round 1 (at the price of a wasted metrics read when the plan turns out to be
    // "wait" or "already promoted"). Rounds: primary ‖ staging ‖ metrics → policy → promote → report.
    // 3 + 1 + 1 + 1 = 6 requests, chain 4 — the same chain as without the gate.
    minimum: { requests: 6, criticalPath: 4, why: 'primary ‖ staging ‖ metrics → policy → promote → report' },
    followUpMinima: [{ requests: 5, criticalPath: 3, why: 'primary ‖ staging ‖ list → invalidate → report' }],
    noWrites: false,
    prepare: async (emulator, lambdas) => {
      const ids = await continuousDeploymentLive(emulator, lambdas);
      // Traffic for the gate to find: 20 viewers with the header reach staging, 20 without stay on the primary.
      const header = { [STAGING_HEADER.header]: STAGING_HEADER.value };
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          emulator.viewer(ids.primaryDomain, '/', i % 2 ? { headers: header } : undefined),
        ),
      );
      return {
        userParameters: JSON.stringify({
          PrimaryDistributionId: ids.primaryId,
          StagingDistributionId: ids.stagingId,
          MinStagingRequests: 10,
          MaxStaging5xxErrorRate: 5,
          MaxErrorRateIncrease: 1,
        }),
      };
    },
  },
  {
    id: 'promote-prune',
    title: 'promote, then prune old releases',
    function: 'promote',
    // The bucket holds PRUNE_RELEASES (6) complete releases, the staging serving the newest, the primary /v1;
    // KeepReleases 3. The first invocation is promote's: ReleaseBucket changes nothing until the promotion is done.
    // primary ‖ staging → policy → promote → report: 5 requests, chain 4.
    minimum: { requests: 5, criticalPath: 4, why: 'primary ‖ staging → policy → promote → report' },
    followUpMinima: [
      // `promoted`, as promote's: primary ‖ staging ‖ list → invalidate → report (5 / 3). The emulator answers the
      // invalidation Completed at once, which ends promote's job without a prune; with one due, the job continues so
      // that the prune runs on the pass that plans done (functions/promote/plan.ts withPrune). Against CloudFront the
      // invalidation takes minutes and that pass comes anyway: the prune adds no invocation there.
      { requests: 5, criticalPath: 3, why: 'primary ‖ staging ‖ list → invalidate → report' },
      // `invalidating`, the pass that plans done and prunes (functions/promote/prune.ts). Round 1: primary ‖ staging
      //   ‖ the primary's invalidations. Round 2: our invalidation (GetInvalidation): only its Completed status makes
      //   the plan done, and the prune is planned only then (started earlier, an S3 listing would be wasted on every
      //   pass that still waits). Round 3: ListObjectsV2 of releases/, every key of every folder (one page here: 18
      //   keys). Round 4: the 6 manifests (GetObject, in parallel: their keys come from the listing), whose createdAt
      //   ranks the releases. What the distributions serve is known from round 1 for the first plan: 3 folders to
      //   delete. Then per folder, as the design requires (a folder a distribution started serving meanwhile is kept):
      //   primary ‖ staging read again → DeleteObjects of its keys, 3 × 2 rounds. Last, the report.
      //   3 + 1 + 1 + 6 + 3 × 3 + 1 = 21 requests, chain 1 + 1 + 1 + 1 + 6 + 1 = 11.
      //   The prune as written (shared/aws/release-prune.ts) takes 23 / 12: it reads primary ‖ staging for the first
      //   plan right after the pass read them (one round, 2 requests), kept since the listing may have taken long.
      //   (Before it listed releases/ in one call, it listed each folder and read its manifest one after another:
      //   29 / 23, the chain growing with every release kept.) One DeleteObjects for the 3 folders (9 keys) after
      //   one re-read would take 2 rounds instead of 6, but deletes folder by folder no more.
      {
        requests: 21,
        criticalPath: 11,
        why: 'reads ‖ list → invalidation → list releases/ → manifests → (primary ‖ staging → delete) × 3 → report',
      },
    ],
    noWrites: false,
    prepare: async (emulator, lambdas) => {
      const ids = await continuousDeploymentLive(emulator, lambdas, releases(PRUNE_RELEASES));
      return {
        userParameters: JSON.stringify({
          PrimaryDistributionId: ids.primaryId,
          StagingDistributionId: ids.stagingId,
          ReleaseBucket: SITE_BUCKET,
          KeepReleases: String(PRUNE_KEEP),
        }),
      };
    },
    // The newest KeepReleases are left (the one both distributions serve among them), the older ones deleted.
    verify: async (emulator) => {
      const left = await releaseFolders(emulator);
      const expected = Array.from({ length: PRUNE_KEEP }, (_, k) => `releases/${releaseCommit(PRUNE_RELEASES - k)}/`);
      if (left.join() !== expected.sort().join())
        throw new Error(
          `promote-prune left ${left.join(', ') || 'no release folder'}; expected ${expected.join(', ')}`,
        );
    },
  },
  {
    id: 'abort-job',
    title: 'abort (disable), CodePipeline job',
    function: 'abort',
    // Round 1: the primary. Round 2: the policy attached to it — its id comes from the primary's config, abort is
    //   given only the primary. Round 3: UpdateContinuousDeploymentPolicy Enabled=false with the policy's ETag.
    // Round 4: the report (a continuation). 4 requests, chain 4.
    minimum: { requests: 4, criticalPath: 4, why: 'primary → policy → disable → report' },
    // The continuation carries the policy id the first invocation found, so the primary and the policy no longer
    // depend on each other: primary ‖ policy → report. 3 requests, chain 2.
    followUpMinima: [{ requests: 3, criticalPath: 2, why: 'primary ‖ policy (id from the token) → report' }],
    noWrites: false,
    prepare: async (emulator, lambdas) => {
      const ids = await continuousDeploymentLive(emulator, lambdas);
      return { userParameters: JSON.stringify({ PrimaryDistributionId: ids.primaryId, Mode: 'disable' }) };
    },
  },
  {
    id: 'abort-event',
    title: 'abort (disable), EventBridge event',
    function: 'abort',
    // As the job, without a report: a plain event's outcome is the invocation's result. 3 requests, chain 3.
    minimum: { requests: 3, criticalPath: 3, why: 'primary → policy → disable' },
    noWrites: false,
    prepare: async (emulator, lambdas) => {
      const ids = await continuousDeploymentLive(emulator, lambdas);
      return { event: { PrimaryDistributionId: ids.primaryId, Mode: 'disable' } };
    },
  },
];

for (const s of SCENARIOS)
  if (!FUNCTION_NAMES.includes(s.function)) throw new Error(`scenario ${s.id}: no function ${s.function} to measure`);

/**
 * Every function, in the order the scenarios first exercise it (the order of the bundle rows), then any that no
 * scenario exercises.
 */
export const FUNCTIONS: readonly string[] = [...new Set([...SCENARIOS.map((s) => s.function), ...FUNCTION_NAMES])];

/** Writes are the requests that change AWS state; the CodePipeline report is not one. */
export function isWrite(operation: string): boolean {
  return /^(Put|Update|Create|Delete)/.test(operation) && !/^PutJob(Success|Failure)Result$/.test(operation);
}
