/**
 * enable-CD: after the staging stack deploys, leave continuous deployment switched on and live.
 * read (in parallel) → check and plan → apply → wait for propagation via continuation → report.
 */
import type { Action, JobContext, Outcome } from '../../shared/job.js';
import { readDistribution, readPolicy, retryOnStaleEtag, writeDistributionConfig, writePolicyConfig } from '../../shared/cloudfront.js';
import { withPolicyEnabled, withPolicyId } from '../../shared/distribution-config.js';
import { step } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { readBucketPolicy, writeBucketPolicy } from '../../shared/s3-bucket-policy.js';
import { parseEnableCdParams, type EnableCdParams } from './params.js';
import { planAttach, planEnableCd, planEnablePolicy, reviewerVariables, type EnableCdChange, type EnableCdState } from './plan.js';

async function readState(params: EnableCdParams): Promise<EnableCdState> {
  const [primary, staging, policy, bucketPolicy] = await Promise.all([
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
    readPolicy(params.policyId),
    params.bucket ? readBucketPolicy(params.bucket).then((json) => ({ bucket: params.bucket as string, json })) : undefined,
  ]);
  return { primary, staging, policy, ...(bucketPolicy ? { bucketPolicy } : {}) };
}

/** Applies one change. CloudFront writes re-read and re-plan on a stale ETag. */
async function apply(change: EnableCdChange, state: EnableCdState, log: Logger): Promise<void> {
  switch (change.kind) {
    case 'grant-bucket-read':
      await writeBucketPolicy(change.bucket, change.json);
      log.info('write', { change: change.kind, bucket: change.bucket, reason: change.reason });
      return;
    case 'enable-policy':
      await retryOnStaleEtag('re-enable policy', log, state.policy, () => readPolicy(change.policyId), async (policy) => {
        if (!planEnablePolicy(policy)) return log.info('write-skipped', { change: change.kind, reason: 'already enabled on re-read' });
        const etag = await writePolicyConfig(policy, withPolicyEnabled(policy.config, true));
        log.info('write', { change: change.kind, policyId: policy.id, ifMatch: policy.etag, newEtag: etag, reason: change.reason });
      });
      return;
    case 'attach-policy':
      await retryOnStaleEtag('attach policy', log, state.primary, () => readDistribution(change.primaryId), async (primary) => {
        const attach = planAttach(primary, change.policyId);
        if (!attach) return log.info('write-skipped', { change: change.kind, reason: 'already attached on re-read' });
        const etag = await writeDistributionConfig(primary, withPolicyId(primary.config, change.policyId));
        log.info('write', { change: change.kind, primaryId: primary.id, policyId: change.policyId, replaces: attach.replaces ?? null, ifMatch: primary.etag, newEtag: etag, reason: attach.reason });
      });
      return;
  }
}

const STEP_NAMES: Record<EnableCdChange['kind'], string> = {
  'grant-bucket-read': 'grant staging read access in the bucket policy',
  'enable-policy': 're-enable the continuous deployment policy',
  'attach-policy': 'attach the policy to the primary',
};

async function run({ params, log }: JobContext<EnableCdParams>): Promise<Outcome> {
  const state = await step('read primary, staging, policy and bucket policy', () => readState(params));
  log.info('state-read', {
    primary: { id: state.primary.id, status: state.primary.status, etag: state.primary.etag, policyId: state.primary.config.ContinuousDeploymentPolicyId ?? '' },
    staging: { id: state.staging.id, status: state.staging.status, etag: state.staging.etag, domainName: state.staging.domainName },
    policy: { id: state.policy.id, enabled: state.policy.config.Enabled, etag: state.policy.etag, traffic: state.policy.config.TrafficConfig?.Type },
    bucketPolicy: state.bucketPolicy ? { bucket: state.bucketPolicy.bucket, exists: state.bucketPolicy.json !== undefined } : null,
  });

  const plan = await step('check and plan', async () => planEnableCd(state, params));
  log.info('plan', { changes: plan.changes.map(({ kind, reason }) => ({ kind, reason })), inProgress: plan.inProgress, deferred: plan.deferred });

  for (const change of plan.changes) await step(STEP_NAMES[change.kind], () => apply(change, state, log));

  const wroteCloudFront = plan.changes.some((c) => c.kind !== 'grant-bucket-read');
  if (plan.deferred || wroteCloudFront || plan.inProgress.length > 0) {
    // Any CloudFront write starts a propagation; the next invocation re-reads and decides again.
    return {
      kind: 'waiting',
      phase: plan.deferred ? 'waiting-to-apply' : 'propagating',
      reason: plan.deferred ? 'distributions to finish propagating before changing the policy or the primary' : 'primary and staging to be Deployed',
      inProgress: wroteCloudFront ? [params.primaryId] : plan.inProgress,
    };
  }
  return {
    kind: 'succeeded',
    summary: plan.changes.length ? `applied ${plan.changes.map((c) => c.kind).join(', ')}; continuous deployment is live` : 'continuous deployment already live; nothing to change',
    outputVariables: { ...reviewerVariables(state), PolicyEnabled: 'true' },
  };
}

export const enableCdAction: Action<EnableCdParams> = {
  name: 'enable-cd',
  parseParams: parseEnableCdParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  run,
};
