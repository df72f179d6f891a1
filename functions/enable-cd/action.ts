/**
 * enable-CD: after the staging stack deploys, leave continuous deployment switched on and live.
 * read (in parallel) → plan → apply → outcome from the plan's `then` (wait via continuation, or report).
 */
import { type PlanSteps, applyPlan } from '../../shared/aws/apply-plan.js';
import { readBucketPolicy, writeBucketPolicy } from '../../shared/aws/bucket-policy-store.js';
import {
  readDistribution,
  readPolicy,
  writeDistributionConfig,
  writePolicyConfig,
} from '../../shared/aws/cloudfront.js';
import { withPolicyEnabled, withPolicyId } from '../../shared/domain/distribution-config.js';
import { distributionLogFields } from '../../shared/domain/resources.js';
import { step } from '../../shared/domain/errors.js';
import type { Action, JobContext, Outcome } from '../../shared/job/runner.js';
import { waitingOutcome } from '../../shared/job/runner.js';
import type { Logger } from '../../shared/log.js';
import { type EnableCdParams, parseEnableCdParams } from './params.js';
import { type EnableCdPhase, PHASES } from './phases.js';
import { type EnableCdChange, type EnableCdPlan, type EnableCdState, planEnableCd, reviewerVariables } from './plan.js';

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

function logState(state: EnableCdState, log: Logger): void {
  log.info('state-read', {
    primary: distributionLogFields(state.primary),
    staging: distributionLogFields(state.staging),
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
}

const STEP_NAMES: Record<EnableCdChange['kind'], string> = {
  'grant-bucket-read': 'grant staging read access in the bucket policy',
  'enable-policy': 're-enable the continuous deployment policy',
  'attach-policy': 'attach the policy to the primary',
};

/** Makes one planned change against the state it was planned from. */
async function write(change: EnableCdChange, state: EnableCdState, log: Logger): Promise<boolean> {
  switch (change.kind) {
    case 'grant-bucket-read':
      await writeBucketPolicy(change.bucket, change.json);
      log.info('write', { change: change.kind, bucket: change.bucket, reason: change.reason });
      return true;
    case 'enable-policy': {
      const etag = await writePolicyConfig(state.policy, withPolicyEnabled(state.policy.config, true));
      log.info('write', {
        change: change.kind,
        policyId: state.policy.id,
        ifMatch: state.policy.etag,
        newEtag: etag,
        reason: change.reason,
      });
      return true;
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
      return true;
    }
  }
}

/** How enable-CD reads, plans and writes: the job's run and a dry run (`cfcd plan enable-cd`) share it. */
export function enableCdSteps(params: EnableCdParams, log: Logger): PlanSteps<EnableCdState, EnableCdPlan> {
  return {
    read: async () => {
      const state = await readState(params);
      logState(state, log);
      return state;
    },
    plan: (s) => planEnableCd(s, params),
    write: (change, s) => write(change, s, log),
    stepName: (change) => STEP_NAMES[change.kind],
  };
}

async function run({ params, log }: JobContext<EnableCdParams, EnableCdPhase>): Promise<Outcome<EnableCdPhase>> {
  const steps = enableCdSteps(params, log);
  const initial = await step('read primary, staging, policy and bucket policy', () => steps.read());
  const { state, written, then } = await applyPlan(steps, initial, log);
  if (then.kind === 'wait') return waitingOutcome(then);
  return {
    kind: 'succeeded',
    summary: written.length
      ? `applied ${written.map((c) => c.kind).join(', ')}; continuous deployment is live`
      : 'continuous deployment already live; nothing to change',
    outputVariables: { ...reviewerVariables(state), PolicyEnabled: 'true' },
  };
}

export const enableCdAction: Action<EnableCdParams, EnableCdPhase> = {
  name: 'enable-cd',
  parseParams: parseEnableCdParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: PHASES,
  run,
};
