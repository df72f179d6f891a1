/** The emulated account: every resource the services share, plus the clock and the seeded random source. */
import { EdgeCache } from './edge-cache.js';
import type { InvalidationRecord } from './invalidations.js';
import { PipelineRegistry } from './pipelines.js';
import { seededRandom } from './random.js';
import { textAt, type XmlElement } from './xml.js';

export interface DistributionRecord {
  id: string;
  arn: string;
  domainName: string;
  /** The `DistributionConfig` element exactly as last written by a client (plus what promotion copies). */
  config: XmlElement;
  etag: string;
  /** Clock time at which the last change finishes propagating. */
  deployedAt: number;
  lastModified: number;
  /**
   * The config the distribution last had while Deployed, and when the propagation away from it began: while the
   * distribution is InProgress, edge locations that have not switched yet still fetch with it. A write during
   * InProgress keeps the older one (those edges never saw the intermediate config).
   */
  lastDeployed?: { config: XmlElement; changedAt: number };
}

export interface PolicyRecord {
  id: string;
  /** The `ContinuousDeploymentPolicyConfig` element as last written. */
  config: XmlElement;
  etag: string;
  lastModified: number;
}

export interface S3Object {
  body: Buffer;
  contentType: string;
  /** Kept as given on PutObject and answered on GET/HEAD: CloudFront's TTL follows them. */
  cacheControl?: string;
  expires?: string;
  etag: string;
  lastModified: number;
}

export interface Bucket {
  name: string;
  policy?: string;
  objects: Map<string, S3Object>;
}

/** One report a function made for a CodePipeline job, in the order received. */
export type JobResult =
  | { kind: 'success'; continuationToken?: string; outputVariables?: Record<string, string> }
  | { kind: 'failure'; type: string; message: string };

/** One viewer response, the raw material of the CloudWatch metrics. */
export interface ServedRequest {
  time: number;
  distributionId: string;
  status: number;
}

/** A release that fails: the share of viewer requests answered with a 5xx, whichever distribution serves it. */
export interface ReleaseFailure {
  share5xx: number;
  status: number;
  /** Only viewer requests whose path starts with one of these fail; absent: every path. */
  paths?: string[];
}

/** An origin path as a release key: one leading slash, no trailing one (`v2/` and `/v2` are the same release). */
export const releaseKey = (originPath: string) => `/${originPath.replace(/^\/+|\/+$/g, '')}`;

export interface AccountOptions {
  propagationMs: number;
  invalidationMs: number;
  seed: number;
  accountId: string;
  region: string;
  now: () => number;
}

/** Derived facts about a distribution config that several services need. */
export const isStaging = (d: DistributionRecord) => textAt(d.config, 'Staging') === 'true';
export const isEnabled = (d: DistributionRecord) => textAt(d.config, 'Enabled') === 'true';
/** The attached policy id; '' or absent both mean "none". */
export const attachedPolicyId = (d: DistributionRecord) =>
  textAt(d.config, 'ContinuousDeploymentPolicyId') || undefined;

export class EmulatedAccount {
  readonly distributions = new Map<string, DistributionRecord>();
  readonly policies = new Map<string, PolicyRecord>();
  readonly buckets = new Map<string, Bucket>();
  readonly jobs = new Map<string, JobResult[]>();
  readonly served: ServedRequest[] = [];
  readonly errorRates = new Map<string, number>();
  /** Failing releases by origin path: every distribution serving that path answers `status` for `share` of requests. */
  readonly releaseFailures = new Map<string, ReleaseFailure>();
  readonly random: () => number;
  readonly pipelines: PipelineRegistry;
  /** Each distribution's edge cache, by distribution id. */
  readonly caches = new Map<string, EdgeCache>();
  /** Each distribution's invalidations, oldest first. */
  readonly invalidations = new Map<string, InvalidationRecord[]>();
  /**
   * The edge's own seeded stream (previous-config and invalidation-progress draws), apart from `random` so that
   * caching does not shift the routing and fault draws that seeded chaos runs depend on.
   */
  readonly edgeRandom: () => number;
  /** While InProgress, the share of requests fetched with the previous config: fixed, or falling linearly to 0. */
  previousConfigShare: number | 'linear' = 'linear';
  private edgeWrites = 0;

  constructor(readonly opts: AccountOptions) {
    this.random = seededRandom(opts.seed);
    this.edgeRandom = seededRandom(opts.seed ^ 0x5bd1e995);
    this.pipelines = new PipelineRegistry(() => this.now(), opts.accountId);
  }

  now(): number {
    return this.opts.now();
  }

  status(d: DistributionRecord): 'InProgress' | 'Deployed' {
    return this.now() >= d.deployedAt ? 'Deployed' : 'InProgress';
  }

  /**
   * Marks a distribution as changed: InProgress for `propagationMs` from now. Call it before replacing the config,
   * so that a distribution leaving Deployed remembers the config its edges still serve.
   */
  touch(d: DistributionRecord): void {
    const now = this.now();
    if (now >= d.deployedAt) d.lastDeployed = { config: d.config, changedAt: now };
    d.lastModified = now;
    d.deployedAt = now + this.opts.propagationMs;
  }

  /** Every distribution Deployed and every invalidation Completed, now. */
  settle(): void {
    const now = this.now();
    for (const d of this.distributions.values()) d.deployedAt = Math.min(d.deployedAt, now);
    for (const list of this.invalidations.values())
      for (const inv of list) inv.completeAt = Math.min(inv.completeAt, now);
  }

  cacheOf(distributionId: string): EdgeCache {
    let cache = this.caches.get(distributionId);
    if (!cache) {
      cache = new EdgeCache();
      this.caches.set(distributionId, cache);
    }
    return cache;
  }

  /** A strictly increasing stamp for cache writes and invalidations: which came first, even within one clock tick. */
  nextEdgeWrite(): number {
    return ++this.edgeWrites;
  }

  distributionByDomain(domainName: string): DistributionRecord | undefined {
    for (const d of this.distributions.values()) if (d.domainName === domainName) return d;
    return undefined;
  }
}
