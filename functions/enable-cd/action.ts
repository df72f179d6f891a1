/**
 * enable-CD: after the staging stack deploys, leave continuous deployment switched on and live.
 * read (in parallel) → check and plan → apply → wait for propagation via continuation → report.
 */
import type { Action, JobContext, Outcome } from '../../shared/job/runner.js';
import {
  readDistribution,
  readPolicy,
  retryOnStaleEtag,
  writeDistributionConfig,
  writePolicyConfig,
} from '../../shared/aws/cloudfront.js';
import { withPolicyEnabled, withPolicyId } from '../../shared/domain/distribution-config.js';
import { step } from '../../shared/domain/errors.js';
import type { Logger } from '../../shared/log.js';
import { readBucketPolicy, writeBucketPolicy } from '../../shared/aws/bucket-policy-store.js';
import { parseEnableCdParams, type EnableCdParams } from './params.js';
import { planEnableCd, reviewerVariables, type EnableCdChange, type EnableCdState } from './plan.js';

async function readState(params: EnableCdParams): Promise<EnableCdState> {
  const [primary, staging, policy, bucketPolicy] = await Promise.all([
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
    readPolicy(params.policyId),
    params.bucket
      ? readBucketPolicy(params.bucket).then((json) => ({ bucket: params.bucket as string, json }))
      : undefined,
  ]);
  return { primary, staging, policy, ...(bucketPolicy ? { bucketPolicy } : {}) };
}

const STEP_NAMES: Record<EnableCdChange['kind'], string> = {
  'grant-bucket-read': 'grant staging read access in the bucket policy',
  'enable-policy': 're-enable the continuous deployment policy',
  'attach-policy': 'attach the policy to the primary',
};

/** Makes one planned change against the state it was planned from. */
async function write(change: EnableCdChange, state: EnableCdState, log: Logger): Promise<void> {
  switch (change.kind) {
    case 'grant-bucket-read':
      await writeBucketPolicy(change.bucket, change.json);
      log.info('write', { change: change.kind, bucket: change.bucket, reason: change.reason });
      return;
    case 'enable-policy': {
      const etag = await writePolicyConfig(state.policy, withPolicyEnabled(state.policy.config, true));
      log.info('write', {
        change: change.kind,
        policyId: state.policy.id,
        ifMatch: state.policy.etag,
        newEtag: etag,
        reason: change.reason,
      });
      return;
    }
    case 'attach-policy': {
      const etag = await writeDistributionConfig(state.primary, withPolicyId(state.primary.config, change.policyId));
      log.info('write', {
        change: change.kind,
        primaryId: state.primary.id,
        policyId: change.policyId,
        replaces: change.replaces ?? null,
        ifMatch: state.primary.etag,
        newEtag: etag,
        reason: change.reason,
      });
      return;
    }
  }
}

/**
 * Applies one change. On a stale ETag everything is read and planned again, checks included: another writer has
 * just changed something, most likely leaving a distribution InProgress, and then the change waits for the next
 * invocation instead of being stacked on a propagating config.
 */
async function apply(
  kind: EnableCdChange['kind'],
  params: EnableCdParams,
  initial: EnableCdState,
  log: Logger,
): Promise<void> {
  await retryOnStaleEtag(
    STEP_NAMES[kind],
    log,
    initial,
    () => readState(params),
    async (state) => {
      const plan = planEnableCd(state, params);
      const change = plan.changes.find((c) => c.kind === kind);
      if (!change) {
        const reason = plan.deferred
          ? `held on re-read: ${plan.inProgress.join(', ')} InProgress; the next invocation plans again`
          : 'already in place on re-read';
        return log.info('write-skipped', { change: kind, reason });
      }
      await write(change, state, log);
    },
  );
}

async function run({ params, log }: JobContext<EnableCdParams>): Promise<Outcome> {
  const state = await step('read primary, staging, policy and bucket policy', () => readState(params));
  log.info('state-read', {
    primary: {
      id: state.primary.id,
      status: state.primary.status,
      etag: state.primary.etag,
      policyId: state.primary.config.ContinuousDeploymentPolicyId ?? '',
    },
    staging: {
      id: state.staging.id,
      status: state.staging.status,
      etag: state.staging.etag,
      domainName: state.staging.domainName,
    },
    policy: {
      id: state.policy.id,
      enabled: state.policy.config.Enabled,
      etag: state.policy.etag,
      traffic: state.policy.config.TrafficConfig?.Type,
    },
    bucketPolicy: state.bucketPolicy
      ? { bucket: state.bucketPolicy.bucket, exists: state.bucketPolicy.json !== undefined }
      : null,
  });

  const plan = await step('check and plan', async () => planEnableCd(state, params));
  log.info('plan', {
    changes: plan.changes.map(({ kind, reason }) => ({ kind, reason })),
    inProgress: plan.inProgress,
    deferred: plan.deferred,
  });

  for (const { kind } of plan.changes) await step(STEP_NAMES[kind], () => apply(kind, params, state, log));

  const wroteCloudFront = plan.changes.some((c) => c.kind !== 'grant-bucket-read');
  if (plan.deferred || wroteCloudFront || plan.inProgress.length > 0) {
    // Any CloudFront write starts a propagation; the next invocation re-reads and decides again.
    return {
      kind: 'waiting',
      phase: plan.deferred ? 'waiting-to-apply' : 'propagating',
      reason: plan.deferred
        ? 'distributions to finish propagating before changing the policy or the primary'
        : 'primary and staging to be Deployed',
      inProgress: wroteCloudFront ? [params.primaryId] : plan.inProgress,
    };
  }
  return {
    kind: 'succeeded',
    summary: plan.changes.length
      ? `applied ${plan.changes.map((c) => c.kind).join(', ')}; continuous deployment is live`
      : 'continuous deployment already live; nothing to change',
    outputVariables: { ...reviewerVariables(state), PolicyEnabled: 'true' },
  };
}

export const enableCdAction: Action<EnableCdParams> = {
  name: 'enable-cd',
  parseParams: parseEnableCdParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  run,
};
