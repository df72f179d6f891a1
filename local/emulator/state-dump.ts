/** A JSON snapshot of the emulated account, for `GET /_emulator/state` and `emulator.state()`. */
import type { FaultSpec } from './faults.js';
import { attachedPolicyId, isEnabled, isStaging, type JobResult, type EmulatedAccount } from './account.js';
import type { PipelineSummary } from './pipelines.js';
import { invalidatedForGood, invalidationStatus } from './invalidations.js';
import { child, textAt } from './xml.js';

export interface DistributionSummary {
  id: string;
  arn: string;
  domainName: string;
  status: 'InProgress' | 'Deployed';
  etag: string;
  callerReference: string;
  comment: string;
  enabled: boolean;
  staging: boolean;
  continuousDeploymentPolicyId?: string;
  httpVersion?: string;
  aliases: string[];
  defaultRootObject?: string;
  origins: { id: string; domainName: string; originPath: string }[];
  /** Its invalidations, oldest first. */
  invalidations: InvalidationSummary[];
  /** Its edge cache: the live entries (an InProgress invalidation may still remove some on their next request). */
  cache: CacheSummary;
}

export interface InvalidationSummary {
  id: string;
  status: 'InProgress' | 'Completed';
  createTime: string;
  callerReference: string;
  paths: string[];
}

export interface CacheSummary {
  entries: number;
  keys: { key: string; originPath: string; ageSeconds: number; ttlSeconds: number }[];
}

export interface PolicySummary {
  id: string;
  etag: string;
  enabled: boolean;
  stagingDistributionDnsNames: string[];
  traffic: { type: string; header?: string; value?: string; weight?: number; idleTTL?: number; maximumTTL?: number };
}

export interface EmulatorState {
  propagationMs: number;
  invalidationMs: number;
  /** While a distribution is InProgress, the share of requests fetched with its previous config. */
  previousConfigShare: number | 'linear';
  latencyMs: number;
  distributions: DistributionSummary[];
  policies: PolicySummary[];
  buckets: { name: string; policy?: unknown; objects: string[] }[];
  jobs: Record<string, JobResult[]>;
  /** CodePipeline's pipelines as the local runner registered them, with their runs. */
  pipelines: PipelineSummary[];
  pendingFaults: FaultSpec[];
  errorRates: Record<string, number>;
  /** Failing releases by origin path (`POST /_emulator/failures`). */
  releaseFailures: Record<string, { share5xx: number; status: number }>;
  servedRequests: number;
}

const items = (el: ReturnType<typeof child>) => (child(el, 'Items')?.children ?? []).map((c) => c.text ?? '');
const optional = <K extends string, V>(key: K, v: V | undefined) =>
  v === undefined ? {} : ({ [key]: v } as Record<K, V>);
const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));

export function dumpState(
  account: EmulatedAccount,
  extra: { latencyMs: number; pendingFaults: FaultSpec[] },
): EmulatorState {
  const now = account.now();
  const cacheOf = (id: string): CacheSummary => {
    const live = (account.caches.get(id)?.live(now) ?? []).filter((e) => !invalidatedForGood(account, id, e));
    return {
      entries: live.length,
      keys: live.map((e) => ({
        key: e.key,
        originPath: e.originPath,
        ageSeconds: Math.floor((now - e.storedAt) / 1000),
        ttlSeconds: Math.round((e.expiresAt - e.storedAt) / 1000),
      })),
    };
  };
  return {
    propagationMs: account.opts.propagationMs,
    invalidationMs: account.opts.invalidationMs,
    previousConfigShare: account.previousConfigShare,
    latencyMs: extra.latencyMs,
    distributions: [...account.distributions.values()].map((d) => ({
      id: d.id,
      arn: d.arn,
      domainName: d.domainName,
      status: account.status(d),
      etag: d.etag,
      callerReference: textAt(d.config, 'CallerReference') ?? '',
      comment: textAt(d.config, 'Comment') ?? '',
      enabled: isEnabled(d),
      staging: isStaging(d),
      ...optional('continuousDeploymentPolicyId', attachedPolicyId(d)),
      ...optional('httpVersion', textAt(d.config, 'HttpVersion')),
      aliases: items(child(d.config, 'Aliases')),
      ...optional('defaultRootObject', textAt(d.config, 'DefaultRootObject')),
      origins: (child(child(d.config, 'Origins'), 'Items')?.children ?? []).map((o) => ({
        id: textAt(o, 'Id') ?? '',
        domainName: textAt(o, 'DomainName') ?? '',
        originPath: textAt(o, 'OriginPath') ?? '',
      })),
      invalidations: (account.invalidations.get(d.id) ?? []).map((i) => ({
        id: i.id,
        status: invalidationStatus(i, now),
        createTime: new Date(i.createTime).toISOString(),
        callerReference: i.callerReference,
        paths: [...i.paths],
      })),
      cache: cacheOf(d.id),
    })),
    policies: [...account.policies.values()].map((p) => {
      const traffic = child(p.config, 'TrafficConfig');
      return {
        id: p.id,
        etag: p.etag,
        enabled: textAt(p.config, 'Enabled') === 'true',
        stagingDistributionDnsNames: items(child(p.config, 'StagingDistributionDnsNames')),
        traffic: {
          type: textAt(traffic, 'Type') ?? '',
          ...optional('header', textAt(traffic, 'SingleHeaderConfig', 'Header')),
          ...optional('value', textAt(traffic, 'SingleHeaderConfig', 'Value')),
          ...optional('weight', num(textAt(traffic, 'SingleWeightConfig', 'Weight'))),
          ...optional('idleTTL', num(textAt(traffic, 'SingleWeightConfig', 'SessionStickinessConfig', 'IdleTTL'))),
          ...optional(
            'maximumTTL',
            num(textAt(traffic, 'SingleWeightConfig', 'SessionStickinessConfig', 'MaximumTTL')),
          ),
        },
      };
    }),
    buckets: [...account.buckets.values()].map((b) => ({
      name: b.name,
      ...optional('policy', b.policy === undefined ? undefined : (JSON.parse(b.policy) as unknown)),
      objects: [...b.objects.keys()].sort(),
    })),
    jobs: Object.fromEntries(account.jobs),
    pipelines: account.pipelines.snapshot(),
    pendingFaults: extra.pendingFaults,
    errorRates: Object.fromEntries(account.errorRates),
    releaseFailures: Object.fromEntries([...account.releaseFailures].map(([k, v]) => [k, { ...v }])),
    servedRequests: account.served.length,
  };
}
