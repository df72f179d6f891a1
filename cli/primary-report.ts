/**
 * `cfcd status`: where a primary stands, read-only — the primary, its policy, the staging that policy routes to and
 * how a person reaches it, what a promotion would change, the release each serves, the bucket grant, and what looks
 * wrong. Every judgement comes from the actions' own pure code (config diff, preflight, bucket-policy merge, reviewer
 * variables, the release manifest's origin path).
 */
import { reviewerVariables } from '../shared/domain/reviewer.js';
import { readBucketPolicy } from '../shared/aws/bucket-policy-store.js';
import { readDistribution, readPolicyIfExists } from '../shared/aws/cloudfront.js';
import { readLatestInvalidation } from '../shared/aws/invalidations.js';
import { type InvalidationRecord, callerReferencePrefix } from '../shared/domain/invalidation.js';
import { planBucketGrant } from '../shared/domain/bucket-policy-merge.js';
import { routesTo } from '../shared/domain/checks.js';
import { diffConfigs } from '../shared/domain/config-diff.js';
import { attachedPolicyId, stagingDomainsOf, usesHttp3 } from '../shared/domain/distribution-config.js';
import { cdExclusions, preflightProblems } from '../shared/domain/preflight.js';
import { type DistributionState, type PolicyState, isDeployed } from '../shared/domain/resources.js';
import { type Routing, routingOf } from '../shared/domain/traffic-config.js';
import { awsErrorOf } from '../shared/aws/call.js';
import { newestRecordOf, readRecord } from '../shared/aws/revert-record.js';
import { type RevertTarget, judgeTarget, recordPrefix } from '../shared/revert/target.js';
import { listDistributions, listPolicies } from './cloudfront-lists.js';
import {
  type FolderState,
  type ServedOrigin,
  checkReleaseFolders,
  describeServed,
  servedOrigins,
  withFolderStates,
} from './served-releases.js';
import { type Paint, painter } from './terminal.js';

export interface StatusOptions {
  /**
   * The S3 origin bucket behind OAC: report whether primary and staging may read it, and whether the release folders
   * they serve from it are complete.
   */
  bucket?: string | undefined;
  /** The staging to report on; without it, the one the attached policy routes to (found by ListDistributions). */
  stagingId?: string | undefined;
  /** The pipeline's artifact bucket: report the revert target (the newest record under `cfcd-revert/<primary>/`). */
  recordBucket?: string | undefined;
}

/** Where a revert stands (`--record-bucket`): the newest record of the primary, judged against the live primary. */
export interface RevertReport {
  recordBucket: string;
  /** The newest record, judged; null when there is none, or it could not be read (then a warning says why). */
  target: RevertTarget | null;
  /** One line: what a revert would go back to, that one is under way or done, or that production changed since. */
  summary: string;
}

/** A distribution's latest invalidation, and whether it was made after the distribution's last change. */
export interface InvalidationReport {
  id: string;
  status: string;
  createTime: string;
  paths: string[];
  /** False when the distribution changed after it: its caches may hold what it served before. Null if unknown. */
  afterLastChange: boolean | null;
  /**
   * True when enable-cd or promote made it for the config the distribution serves now (its CallerReference names
   * the config's ETag): what they wait for before viewers get a release. A later change that was not to the config
   * (a policy update) leaves it true although `afterLastChange` turns false.
   */
  forCurrentConfig: boolean;
}

export interface DistributionReport {
  id: string;
  domainName: string;
  status: string;
  etag: string;
  staging: boolean;
  httpVersion: string | null;
  /** Its latest invalidation; null when it has none (or it could not be read: see the warnings). */
  latestInvalidation: InvalidationReport | null;
  /** Its S3 origins: the origin path, the release (`/releases/<commit>`) and, with a bucket, its folder's state. */
  serves: ServedOrigin[];
}

/** What `cfcd status --json` prints. */
export interface StatusReport {
  primary: DistributionReport & { aliases: string[]; policyId: string | null };
  /** The attached policy; `exists: false` when the primary names one that was deleted. */
  policy:
    | { id: string; exists: true; etag: string; enabled: boolean; traffic: Routing; stagingDomains: string[] }
    | { id: string; exists: false }
    | null;
  /** The staging the policy routes to (or `--staging`), with how a person reaches it; null when there is none. */
  staging: (DistributionReport & { howToReach: string | null }) | null;
  /** What promoting the staging now would change on the primary, one line each; null without a staging. */
  promoteChanges: string[] | null;
  bucket: { name: string; hasPolicy: boolean; primaryGranted: boolean; stagingGranted: boolean | null } | null;
  /** How many staging distributions and policies the account has, against CloudFront's quota; absent if unread. */
  quota?: Quota | undefined;
  /** With `--record-bucket`: the revert target and whether a revert is under way. */
  revert?: RevertReport | undefined;
  warnings: string[];
}

/**
 * The account's headroom: "Maximum number of staging distributions per AWS account: 20", "Maximum number of
 * continuous deployment policies per AWS account: 20" (developer guide, "Quotas and other considerations for
 * continuous deployment"). Past it, CopyDistribution answers TooManyDistributions and
 * CreateContinuousDeploymentPolicy TooManyContinuousDeploymentPolicies.
 */
export interface Quota {
  stagingDistributions: number;
  policies: number;
  max: number;
}

export const CD_QUOTA = 20;

/** A distribution InProgress, said calmly: it is what every change looks like for a few minutes. */
export function inProgressWarning(id: string, status: string): string {
  return `${id} is ${status}: propagating (normal for a few minutes after a change); what it serves may still change`;
}

/**
 * Why the policy is disabled, as far as the state tells. A promotion copies the staging config onto the primary and
 * disables the policy, so a staging that differs from the primary was not just promoted: a rollback (the watch or
 * cfcd abort) disabled it, or the staging changed since. Without a staging to compare, both are said.
 */
export function policyDisabledWarning(policyId: string, promoteChanges: string[] | null): string {
  const by =
    promoteChanges === null
      ? 'by a promotion or a rollback'
      : promoteChanges.length === 0
        ? 'by the last promotion (the primary carries the staging config)'
        : 'by a rollback (the watch or cfcd abort), or the staging changed after a promotion: it differs from the primary';
  return `policy ${policyId} is disabled ${by}: staging gets no traffic until enable-cd re-enables it`;
}

/** Warnings when the account nears the quota. */
export function quotaWarnings(q: Quota): string[] {
  const near = (n: number, what: string, code: string) =>
    n >= q.max - 2
      ? [`${n} of ${q.max} ${what} in the account: ${n >= q.max ? 'at' : 'near'} CloudFront's quota (${code})`]
      : [];
  return [
    ...near(q.stagingDistributions, 'staging distributions', 'TooManyDistributions'),
    ...near(q.policies, 'continuous deployment policies', 'TooManyContinuousDeploymentPolicies; `cfcd cleanup`'),
  ];
}

/** The account's staging distributions and policies, counted; a failed list becomes a warning. */
async function readQuota(warnings: string[]): Promise<Quota | undefined> {
  try {
    const [distributions, policies] = await Promise.all([listDistributions(), listPolicies()]);
    const quota = {
      stagingDistributions: distributions.filter((d) => d.Staging === true).length,
      policies: policies.length,
      max: CD_QUOTA,
    };
    warnings.push(...quotaWarnings(quota));
    return quota;
  } catch (err) {
    warnings.push(`could not count the account's staging distributions and policies (${awsErrorOf(err).name})`);
    return undefined;
  }
}

function distributionReport(
  d: DistributionState,
  latest: InvalidationRecord | undefined,
  serves: ServedOrigin[],
): DistributionReport {
  return {
    id: d.id,
    domainName: d.domainName,
    status: d.status,
    etag: d.etag,
    staging: d.config.Staging === true,
    httpVersion: d.config.HttpVersion ?? null,
    latestInvalidation: latest
      ? {
          id: latest.id,
          status: latest.status,
          createTime: latest.createTime.toISOString(),
          paths: latest.paths,
          afterLastChange: d.lastModified ? latest.createTime.getTime() >= d.lastModified.getTime() : null,
          forCurrentConfig: latest.callerReference.startsWith(callerReferencePrefix(d)),
        }
      : null,
    serves,
  };
}

/** The latest invalidation of `d`; a read that fails (e.g. no cloudfront:ListInvalidations) becomes a warning. */
async function latestInvalidationOf(
  d: DistributionState | undefined,
  warnings: string[],
): Promise<InvalidationRecord | undefined> {
  if (!d) return undefined;
  try {
    return await readLatestInvalidation(d.id);
  } catch (err) {
    warnings.push(`could not read the invalidations of ${d.id} (${awsErrorOf(err).name}): its cache is not shown`);
    return undefined;
  }
}

/** Reads a distribution, or undefined when it does not exist. */
async function readIfExists(id: string): Promise<DistributionState | undefined> {
  try {
    return await readDistribution(id);
  } catch (err) {
    if (awsErrorOf(err).name === 'NoSuchDistribution') return undefined;
    throw err;
  }
}

/** The staging a policy routes to, found by its domain among the account's distributions. */
async function findStaging(policy: PolicyState, warnings: string[]): Promise<DistributionState | undefined> {
  const domains = stagingDomainsOf(policy.config);
  let listed: Awaited<ReturnType<typeof listDistributions>>;
  try {
    listed = await listDistributions();
  } catch (err) {
    warnings.push(
      `could not list distributions to find the staging that policy ${policy.id} routes to ` +
        `(${awsErrorOf(err).name}); pass --staging <id>`,
    );
    return undefined;
  }
  for (const domain of domains) {
    const found = listed.find((d) => d.DomainName === domain);
    if (!found?.Id) {
      warnings.push(
        `policy ${policy.id} routes to ${domain}, which is no longer a distribution (a deleted staging?): ` +
          'nothing reaches staging; `cfcd cleanup` lists such policies',
      );
      continue;
    }
    return readIfExists(found.Id);
  }
  return undefined;
}

/**
 * The revert target of `primary`: the newest record in `bucket`, judged against the primary and the staging the record
 * names (`known` when status read it already). Read failures become a warning: status stays a report.
 */
export async function readRevertReport(
  bucket: string,
  primary: DistributionState,
  known: DistributionState | undefined,
  warnings: string[],
): Promise<RevertReport> {
  const prefix = recordPrefix(primary.id);
  try {
    const key = await newestRecordOf(bucket, primary.id);
    if (!key)
      return {
        recordBucket: bucket,
        target: null,
        summary: `no revert record in s3://${bucket}/${prefix}: nothing to revert to`,
      };
    const record = await readRecord(bucket, key, primary.id);
    const staging = known?.id === record.stagingId ? known : await readIfExists(record.stagingId);
    const target = judgeTarget(record, { bucket, key }, primary, staging);
    return { recordBucket: bucket, target, summary: target.summary };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    warnings.push(`could not read the revert records in s3://${bucket}/${prefix}: ${why}`);
    return { recordBucket: bucket, target: null, summary: 'not known (the records could not be read)' };
  }
}

/** Reads everything `cfcd status` reports on. */
export async function readStatus(primaryId: string, options: StatusOptions = {}): Promise<StatusReport> {
  const warnings: string[] = [];
  const bucketPolicy = options.bucket ? readBucketPolicy(options.bucket) : undefined;
  bucketPolicy?.catch(() => undefined);
  const named = options.stagingId ? readIfExists(options.stagingId) : undefined;
  named?.catch(() => undefined);
  const quotaWarnings: string[] = [];
  const quota = readQuota(quotaWarnings);

  const primary = await readDistribution(primaryId);
  const policyId = attachedPolicyId(primary.config);
  const policy = policyId ? await readPolicyIfExists(policyId) : undefined;
  if (policyId && !policy)
    warnings.push(`primary ${primaryId} names policy ${policyId}, which does not exist: nothing reaches staging`);

  let staging: DistributionState | undefined;
  if (named) {
    staging = await named;
    if (!staging) warnings.push(`staging ${options.stagingId} does not exist`);
    else if (policy && !routesTo(policy, staging))
      warnings.push(
        `policy ${policy.id} routes to ${stagingDomainsOf(policy.config).join(', ')}, ` +
          `not to staging ${staging.id} (${staging.domainName})`,
      );
  } else if (policy) staging = await findStaging(policy, warnings);

  if (primary.config.Staging)
    warnings.push(`${primaryId} is a staging distribution: pass the production distribution as --primary`);
  const promoteChanges = staging ? diffConfigs(primary.config, staging.config) : null;
  if (policy && !policy.config.Enabled) warnings.push(policyDisabledWarning(policy.id, promoteChanges));
  for (const d of [primary, staging]) {
    if (d && usesHttp3(d.config))
      warnings.push(`${d.id} has HttpVersion ${d.config.HttpVersion}: continuous deployment does not support HTTP/3`);
    if (d && !isDeployed(d)) warnings.push(inProgressWarning(d.id, d.status));
  }
  if (!staging)
    for (const e of cdExclusions(primary.config))
      warnings.push(
        `continuous deployment cannot be used with primary ${primaryId}: ${e.field} is ${e.value} (${e.why})`,
      );
  if (staging && !staging.config.Staging)
    warnings.push(`${staging.id} is not a staging distribution (Staging=false): it cannot be promoted`);
  else if (staging)
    for (const p of preflightProblems(primary.config, staging.config)) {
      // HTTP/3 has its own warning above.
      if (p.field === 'HttpVersion' && (usesHttp3(primary.config) || usesHttp3(staging.config))) continue;
      warnings.push(
        `staging can never be promoted: ${p.field} is ${p.primary} on the primary, ${p.staging} on staging (${p.why})`,
      );
    }

  let bucket: StatusReport['bucket'] = null;
  if (options.bucket && bucketPolicy) {
    const json = await bucketPolicy;
    const granted = (d: DistributionState) =>
      !planBucketGrant({ bucket: options.bucket as string, primaryId, distributionArns: [d.arn], current: json })
        .change;
    bucket = {
      name: options.bucket,
      hasPolicy: json !== undefined,
      primaryGranted: granted(primary),
      stagingGranted: staging ? granted(staging) : null,
    };
    if (!bucket.primaryGranted) warnings.push(`bucket ${bucket.name} does not grant primary ${primaryId} read access`);
    if (staging && !bucket.stagingGranted)
      warnings.push(
        `bucket ${bucket.name} does not grant staging ${staging.id} read access (enable-cd adds the grant)`,
      );
  }

  const primaryServes = servedOrigins(primary.config);
  const stagingServes = staging ? servedOrigins(staging.config) : [];
  const folderWarnings: string[] = [];
  const revertWarnings: string[] = [];
  const [primaryInvalidation, stagingInvalidation, folders, revert] = await Promise.all([
    latestInvalidationOf(primary, warnings),
    latestInvalidationOf(staging, warnings),
    options.bucket
      ? checkReleaseFolders(
          options.bucket,
          [
            { by: `primary ${primary.id}`, origins: primaryServes },
            ...(staging ? [{ by: `staging ${staging.id}`, origins: stagingServes }] : []),
          ],
          folderWarnings,
        )
      : new Map<string, FolderState>(),
    options.recordBucket ? readRevertReport(options.recordBucket, primary, staging, revertWarnings) : undefined,
  ]);
  const checked = (origins: ServedOrigin[]) =>
    options.bucket ? withFolderStates(origins, options.bucket, folders) : origins;
  const howToReach =
    staging && policy ? (reviewerVariables({ primary, staging, policy }).HowToReachStaging ?? null) : null;
  return {
    primary: {
      ...distributionReport(primary, primaryInvalidation, checked(primaryServes)),
      aliases: primary.config.Aliases?.Items ?? [],
      policyId: policyId ?? null,
    },
    policy: policyId
      ? policy
        ? {
            id: policy.id,
            exists: true,
            etag: policy.etag,
            enabled: policy.config.Enabled === true,
            traffic: routingOf(policy.config),
            stagingDomains: stagingDomainsOf(policy.config),
          }
        : { id: policyId, exists: false }
      : null,
    staging: staging
      ? { ...distributionReport(staging, stagingInvalidation, checked(stagingServes)), howToReach }
      : null,
    promoteChanges,
    bucket,
    quota: await quota,
    ...(revert ? { revert } : {}),
    warnings: [...warnings, ...folderWarnings, ...revertWarnings, ...quotaWarnings],
  };
}

function describeRouting(r: Routing): string {
  switch (r.type) {
    case 'header':
      return `header ${r.header}: ${r.value}`;
    case 'weight': {
      const share = `weight ${r.weight} (${Math.round(r.weight * 1000) / 10}% of viewers)`;
      return r.stickiness
        ? `${share}, sticky sessions (idle ${r.stickiness.idleTTL}s, max ${r.stickiness.maximumTTL}s)`
        : share;
    }
    case 'unknown':
      return `traffic config ${r.trafficType}`;
  }
}

/**
 * Where a ramp stands, as far as the policy tells: its weight now. The ladder is a pipeline parameter (`RampSteps`) and
 * each step's judgement is the RampCanary action's output, neither of which status reads: so the weight, and where to
 * look. Disabled, the policy keeps its last weight (CloudFormation leaves a policy whose template did not change as it
 * is): enable-cd with RampHeader puts it back on header routing, without switches that weight back on. Undefined
 * unless the policy routes by weight.
 */
export function describeRampStep(policy: StatusReport['policy']): string | undefined {
  if (!policy?.exists || policy.traffic.type !== 'weight') return undefined;
  const percent = `${Math.round(policy.traffic.weight * 100_000) / 1000} %`;
  return policy.enabled
    ? `weight ${percent} now; a ramp (RampSteps) moves it up its ladder, each step judged first: ` +
        "the pipeline's RampCanary action shows the step and its figures"
    : `weight ${percent} kept while disabled: with RampSteps, enable-cd puts the policy back on header routing ` +
        `(RampHeader) and the ramp starts from its first step; without, enable-cd switches it back on at ${percent}`;
}

/** A distribution's edge cache as one line: its latest invalidation and whether it is older than its last change. */
function describeCache(d: DistributionReport, paint: Paint): string {
  const inv = d.latestInvalidation;
  if (!inv) return 'never invalidated';
  const state = paint(inv.status === 'Completed' ? 'green' : 'yellow', inv.status);
  const when = inv.forCurrentConfig
    ? ', for its current config'
    : inv.afterLastChange === false
      ? `, ${paint('yellow', 'before its last change')}`
      : inv.afterLastChange
        ? ', after its last change'
        : '';
  return `invalidation ${inv.id} ${state}  ${inv.createTime}  ${inv.paths.join(' ')}${when}`;
}

/**
 * What a distribution's S3 origins serve, one line each: the release and, when checked, whether its folder is
 * complete. The origin's id leads only when there are several.
 */
function describeServes(d: DistributionReport, paint: Paint): string[] {
  const several = d.serves.length > 1;
  return d.serves.map((o) => {
    const folder =
      o.folder === null ? '' : `  ${o.folder === 'complete' ? paint('green', 'complete') : paint('red', o.folder)}`;
    return `${several ? `${o.originId}: ` : ''}${describeServed(o)}${folder}`;
  });
}

/**
 * The revert target as status lines: what a revert would go back to and the config it would change, or that one is
 * under way, done, or that production changed since the newest record (a newer promotion, a hand change).
 */
export function describeRevert(revert: RevertReport, paint: Paint, label: (text: string) => string): string[] {
  const t = revert.target;
  if (!t) return [`${label('Revert')}${revert.summary}`];
  const record = `${label('  record')}${t.recordAt} (recorded ${t.recordedAt})`;
  const state =
    t.standing === 'changed'
      ? paint('yellow', 'none safe')
      : t.standing === 'reverted'
        ? paint('green', 'done')
        : t.underWay
          ? paint('yellow', 'under way')
          : paint('green', 'possible');
  const changes = t.standing === 'promoted' && !t.underWay ? t.changes.map((c) => `           - ${c}`) : [];
  return [`${label('Revert')}${state}: ${t.brief}`, record, ...changes];
}

/** `cfcd status` as text, one fact per line; `paint` colours it (or not). */
export function formatStatus(report: StatusReport, paint: Paint = painter(false)): string {
  const label = (text: string) => paint('bold', text.padEnd(9));
  const status = (s: string) => paint(s === 'Deployed' ? 'green' : 'yellow', s);
  const lines: string[] = [];
  const { primary, policy, staging } = report;
  const aliases = primary.aliases.length ? `  ${primary.aliases.join(', ')}` : '';
  lines.push(
    `${label('Primary')}${primary.id}  ${status(primary.status)}  ` +
      `ETag ${primary.etag}  ${primary.domainName}${aliases}`,
  );
  lines.push(`${label('  cache')}${describeCache(primary, paint)}`);
  for (const line of describeServes(primary, paint)) lines.push(`${label('  serves')}${line}`);
  if (!policy) lines.push(`${label('Policy')}none attached`);
  else if (!policy.exists) lines.push(`${label('Policy')}${policy.id}  ${paint('red', 'missing')}`);
  else {
    const enabled = policy.enabled ? paint('green', 'enabled') : paint('yellow', 'disabled');
    lines.push(`${label('Policy')}${policy.id}  ${enabled}  ${describeRouting(policy.traffic)}`);
    const ramp = describeRampStep(policy);
    if (ramp) lines.push(`${label('  ramp')}${ramp}`);
  }
  if (staging) {
    lines.push(
      `${label('Staging')}${staging.id}  ${status(staging.status)}  ETag ${staging.etag}  ${staging.domainName}`,
    );
    lines.push(`${label('  cache')}${describeCache(staging, paint)}`);
    for (const line of describeServes(staging, paint)) lines.push(`${label('  serves')}${line}`);
    if (staging.howToReach) {
      // How a viewer reaches staging holds only while the policy routes: disabled, nobody does.
      const routing = policy?.exists === true && policy.enabled;
      lines.push(
        `${label('  reach')}${routing ? '' : 'nobody while the policy is disabled; once enabled: '}${staging.howToReach}`,
      );
    }
  } else if (policy?.exists) lines.push(`${label('Staging')}${paint('red', 'not found')}`);
  if (report.promoteChanges) {
    // "Promote would change" only while a canary is live: with the policy disabled (after a promotion or a rollback)
    // nobody is about to promote, and the difference is a fact about the staging, not an announcement.
    const live = policy?.exists === true && policy.enabled;
    const n = report.promoteChanges.length;
    if (n === 0)
      lines.push(
        live
          ? `${label('Promote')}would change nothing: the primary already carries the staging config`
          : `${label('Staging')}same config as the primary`,
      );
    else {
      lines.push(
        live
          ? `${label('Promote')}would change ${n} thing(s) on the primary:`
          : `${label('Staging')}differs from the primary by ${n} thing(s):`,
      );
      for (const change of report.promoteChanges) lines.push(`           - ${change}`);
    }
  }
  if (report.bucket) {
    const mark = (ok: boolean | null) => (ok === null ? '-' : ok ? paint('green', 'yes') : paint('red', 'no'));
    lines.push(
      `${label('Bucket')}${report.bucket.name}  ` +
        `grants primary ${mark(report.bucket.primaryGranted)}, staging ${mark(report.bucket.stagingGranted)}`,
    );
  }
  if (report.revert) lines.push(...describeRevert(report.revert, paint, label));
  if (report.quota)
    lines.push(
      `${label('Quota')}staging distributions ${report.quota.stagingDistributions}/${report.quota.max}, ` +
        `policies ${report.quota.policies}/${report.quota.max}`,
    );
  for (const w of report.warnings) lines.push(`${paint('yellow', '!')} ${w}`);
  return lines.join('\n');
}

/**
 * `cfcd status` of a primary as text, for other tools to print in-process (e.g. at the end of `npm start`). The AWS
 * clients read their endpoint and credentials from the environment when they are first used: pass `env` (e.g. the
 * emulator's `env`) to set them in process.env before the first call.
 */
export async function renderStatus(
  primaryId: string,
  options: StatusOptions & { color?: boolean; env?: Record<string, string> } = {},
): Promise<string> {
  if (options.env) Object.assign(process.env, options.env);
  return formatStatus(await readStatus(primaryId, options), painter(options.color ?? false));
}
