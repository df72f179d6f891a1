/**
 * promote: after the manual approval, copy the staging config onto the primary (one-way, production).
 * read (primary and staging in parallel, then the attached policy) → check and plan → promotion gate (CloudWatch,
 * only when a threshold is set) → promote → wait for the primary to be Deployed via continuation → report. A
 * `promoted` continuation only watches the primary: it never promotes.
 */
import { UpdateDistributionWithStagingConfigCommand } from '@aws-sdk/client-cloudfront';
import { cloudFront } from '../../shared/aws/clients/cloudfront.js';
import { isDeployed, type DistributionState } from '../../shared/domain/resources.js';
import { readDistribution, readPolicy, retryOnStaleEtag } from '../../shared/aws/cloudfront.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { StateCheckError, step } from '../../shared/domain/errors.js';
import { awsCall } from '../../shared/aws/call.js';
import type { Action, JobContext, Outcome } from '../../shared/job/runner.js';
import type { Logger } from '../../shared/log.js';
import { metricsWindow, type MetricsWindow } from '../../shared/domain/traffic-metrics.js';
import { readTraffic } from '../../shared/aws/metrics.js';
import { evaluateGate, gateVariables, judgesErrorRate, routingOf, type GateFigures, type GateVerdict } from './gate.js';
import { parsePromoteParams, type GateParams, type PromoteParams } from './params.js';
import {
  planPromote,
  policyEnabled,
  promotableApartFromPolicy,
  summarizeChanges,
  type PromotePlan,
  type PromoteState,
} from './plan.js';
import {
  CHANGES_MAX_CHARS,
  factsFromData,
  factsToData,
  promotionNote,
  successVariables,
  type PromotionFacts,
} from './result.js';
import { PHASE } from './phases.js';

/**
 * Reads primary and staging in parallel, then the policy the primary names. `onDistributions` runs between the two
 * rounds, so work that needs only the distributions (the gate's metrics read) can overlap the policy read.
 */
async function readState(
  params: PromoteParams,
  log: Logger,
  onDistributions?: (primary: DistributionState, staging: DistributionState) => void,
): Promise<PromoteState> {
  const [primary, staging] = await Promise.all([
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
  ]);
  onDistributions?.(primary, staging);
  const policyId = attachedPolicyId(primary.config);
  const policy = policyId ? await readPolicy(policyId) : undefined;
  log.info('state-read', {
    primary: {
      id: primary.id,
      status: primary.status,
      etag: primary.etag,
      staging: primary.config.Staging ?? false,
      policyId: policyId ?? null,
    },
    staging: {
      id: staging.id,
      status: staging.status,
      etag: staging.etag,
      staging: staging.config.Staging ?? false,
      domainName: staging.domainName,
    },
    policy: policy
      ? {
          id: policy.id,
          etag: policy.etag,
          enabled: policy.config.Enabled,
          stagingDomains: policy.config.StagingDistributionDnsNames?.Items ?? [],
        }
      : null,
  });
  return { primary, staging, policy };
}

/** UpdateDistributionWithStagingConfig: `If-Match` carries both ETags, primary first. Returns the primary's new ETag. */
async function promoteStagingConfig(state: PromoteState, ifMatch: string): Promise<string | undefined> {
  const { primary, staging } = state;
  const out = await awsCall(
    'UpdateDistributionWithStagingConfig',
    `primary distribution ${primary.id} (from staging ${staging.id})`,
    () =>
      cloudFront().send(
        new UpdateDistributionWithStagingConfigCommand({
          Id: primary.id,
          StagingDistributionId: staging.id,
          IfMatch: ifMatch,
        }),
      ),
  );
  return out.ETag;
}

/** What the promotion gate read and decided. */
interface GateResult {
  figures: GateFigures;
  verdict: GateVerdict;
}

/** The plan that was carried out, the state it was made from, the gate's result, and the primary's ETag if this run promoted. */
interface Applied {
  plan: PromotePlan;
  state: PromoteState;
  gate?: GateResult | undefined;
  etagAfterPromote?: string | undefined;
}

/** What the gate's metrics read returned, and the window it covered. */
interface GateReading {
  figures: GateFigures;
  window: MetricsWindow;
}

/**
 * Reads staging's traffic (and the primary's, the baseline, when an error-rate threshold is set) in one
 * GetMetricData call. Only traffic served by the staging's current config proves anything: the window starts no
 * earlier than its last change (a reused staging distribution served the previous release before that).
 */
async function readGateFigures(
  params: PromoteParams,
  gate: GateParams,
  staging: DistributionState,
): Promise<GateReading> {
  const ids = judgesErrorRate(gate) ? [params.stagingId, params.primaryId] : [params.stagingId];
  const window = metricsWindow(gate.windowMinutes, Date.now(), staging.lastModified?.getTime());
  const [stagingFigures, primaryFigures] = await readTraffic(ids, window);
  if (!stagingFigures) throw new Error(`GetMetricData gave no figures for staging ${params.stagingId}`);
  return { figures: { windowMinutes: window.minutes, staging: stagingFigures, primary: primaryFigures }, window };
}

/** Decides the gate from the figures (the policy only shapes the hints in a wait's reason), and logs it. */
function decideGate(
  params: PromoteParams,
  gate: GateParams,
  reading: GateReading,
  state: PromoteState,
  log: Logger,
): GateResult {
  const { figures, window } = reading;
  const verdict = evaluateGate(gate, figures, {
    primaryId: params.primaryId,
    stagingId: params.stagingId,
    routing: routingOf(state.policy),
  });
  // Figures first: they are what the operator looks for in the log line.
  log.info('gate', {
    decision: verdict.kind,
    ...gateVariables(figures),
    ...(figures.primary ? { PrimaryRequests: String(figures.primary.requests) } : {}),
    thresholds: {
      MinStagingRequests: gate.minStagingRequests ?? null,
      MaxStaging5xxErrorRate: gate.maxStaging5xxErrorRate ?? null,
      MaxErrorRateIncrease: gate.maxErrorRateIncrease ?? null,
    },
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
  });
  return { figures, verdict };
}

/**
 * Plans from the state given and promotes if the plan says so and the gate (when on) lets it. Re-run from a fresh
 * read after a stale ETag; `checkGate` decides the gate from metrics read at most once per invocation.
 */
async function planAndPromote(
  state: PromoteState,
  log: Logger,
  checkGate: (state: PromoteState) => Promise<GateResult | undefined>,
): Promise<Applied> {
  const plan = planPromote(state);
  log.info('plan', {
    decision: plan.kind,
    reason: plan.reason,
    ...(plan.kind === 'wait' ? { inProgress: plan.inProgress } : {}),
    ...(plan.kind === 'promote' ? { changes: plan.changes, ifMatch: plan.ifMatch } : {}),
  });
  if (plan.kind !== 'promote') return { plan, state };
  // The gate comes after every check of the state and only once both distributions are Deployed: an already
  // promoted primary needs no gate, and traffic served by a half-propagated staging proves little.
  const gate = await checkGate(state);
  if (gate?.verdict.kind === 'wait') return { plan, state, gate };
  if (gate?.verdict.kind === 'refuse') throw new StateCheckError(gate.verdict.reason);
  if (plan.warning) log.warn('promote-warning', { warning: plan.warning });

  const etagAfterPromote = await promoteStagingConfig(state, plan.ifMatch);
  log.info('write', {
    operation: 'UpdateDistributionWithStagingConfig',
    primaryId: state.primary.id,
    stagingId: state.staging.id,
    primaryEtag: state.primary.etag,
    stagingEtag: state.staging.etag,
    ifMatch: plan.ifMatch,
    newPrimaryEtag: etagAfterPromote ?? null,
    changes: plan.changes,
    // CloudFront disables the policy as part of the promotion: all traffic is back on the primary.
    policyDisabled: state.policy?.id ?? null,
  });
  return { plan, state, gate, etagAfterPromote };
}

function succeed(ctx: JobContext<PromoteParams>, facts: PromotionFacts, primaryEtag: string): Outcome {
  const outputVariables = successVariables(facts, primaryEtag, ctx.params.stagingId);
  ctx.log.info('outcome', { result: 'promoted-and-deployed', ...outputVariables });
  return {
    kind: 'succeeded',
    summary: `primary ${ctx.params.primaryId} serves the config of staging ${ctx.params.stagingId} and is Deployed`,
    outputVariables,
  };
}

function awaitPrimary(ctx: JobContext<PromoteParams>, facts: PromotionFacts): Outcome {
  return {
    kind: 'waiting',
    phase: PHASE.promoted,
    reason: `primary ${ctx.params.primaryId} to be Deployed with the promoted config`,
    inProgress: [ctx.params.primaryId],
    data: factsToData(facts),
  };
}

function outcomeOf(ctx: JobContext<PromoteParams>, applied: Applied): Outcome {
  const { plan, state } = applied;
  const { primaryId, stagingId } = ctx.params;
  const policyId = state.policy?.id;
  switch (plan.kind) {
    case 'wait':
      return {
        kind: 'waiting',
        phase: PHASE.waitingToPromote,
        reason: 'primary and staging to be Deployed before promoting',
        inProgress: plan.inProgress,
      };
    case 'already-promoted': {
      const enabled = policyEnabled(state);
      if (enabled)
        ctx.log.warn('policy-still-enabled', {
          policyId,
          reason: 'nothing was promoted in this run, so CloudFront did not disable the policy',
        });
      const facts: PromotionFacts = {
        changes: 'none: the primary already carried the staging config',
        policyEnabled: String(enabled),
        note: promotionNote({ primaryId, stagingId, policyId, policyEnabled: enabled }),
      };
      return plan.primaryDeployed ? succeed(ctx, facts, state.primary.etag) : awaitPrimary(ctx, facts);
    }
    case 'promote': {
      if (applied.gate?.verdict.kind === 'wait') {
        return { kind: 'waiting', phase: PHASE.gatheringTraffic, reason: applied.gate.verdict.reason, inProgress: [] };
      }
      return awaitPrimary(ctx, {
        changes: summarizeChanges(plan.changes, CHANGES_MAX_CHARS),
        policyEnabled: 'false',
        note: promotionNote({ primaryId, stagingId, policyId, policyEnabled: false }),
        ...(applied.etagAfterPromote ? { etagAfterPromote: applied.etagAfterPromote } : {}),
        ...(applied.gate ? { gate: gateVariables(applied.gate.figures) } : {}),
      });
    }
  }
}

/** A `promoted` continuation: the promotion is done; watch the primary propagate, never promote again. */
async function watchPromotedPrimary(
  ctx: JobContext<PromoteParams>,
  data: Record<string, string> | undefined,
): Promise<Outcome> {
  const facts = factsFromData(data);
  const primary = await step('read the promoted primary', () => readDistribution(ctx.params.primaryId));
  ctx.log.info('state-read', { primary: { id: primary.id, status: primary.status, etag: primary.etag } });
  if (!isDeployed(primary)) return awaitPrimary(ctx, facts);
  if (facts.etagAfterPromote && facts.etagAfterPromote !== primary.etag) {
    ctx.log.warn('primary-changed-since-promotion', {
      etagAfterPromote: facts.etagAfterPromote,
      etagNow: primary.etag,
      reason: 'another writer updated the primary after the promotion',
    });
  }
  return succeed(ctx, facts, primary.etag);
}

async function run(ctx: JobContext<PromoteParams>): Promise<Outcome> {
  const { params, continuation, log } = ctx;
  if (continuation?.phase === PHASE.promoted) return watchPromotedPrimary(ctx, continuation.data);
  if (continuation && continuation.phase !== PHASE.waitingToPromote && continuation.phase !== PHASE.gatheringTraffic) {
    throw new Error(
      `the continuation token has phase "${continuation.phase}", which promote never writes; nothing was changed. Re-run the action.`,
    );
  }
  const gate = params.gate;
  let reading: Promise<GateReading> | undefined;
  const readFigures = (gateParams: GateParams, staging: DistributionState) =>
    (reading ??= step('read staging traffic from CloudWatch', () => readGateFigures(params, gateParams, staging)));
  const checkGate = async (state: PromoteState) =>
    gate ? decideGate(params, gate, await readFigures(gate, state.staging), state, log) : undefined;
  // Once primary and staging show a promotion is coming, read the metrics beside the policy rather than after it.
  // Should the plan then not promote, the early read is dropped unused (a failure of it included).
  const readEarly = (primary: DistributionState, staging: DistributionState) => {
    if (gate && promotableApartFromPolicy(primary, staging)) readFigures(gate, staging).catch(() => undefined);
  };
  const initial = await step('read primary, staging and policy', () => readState(params, log, readEarly));
  const applied = await step('check, plan and promote', () =>
    retryOnStaleEtag(
      'promote staging config',
      log,
      initial,
      () => readState(params, log),
      (state) => planAndPromote(state, log, checkGate),
    ),
  );
  return outcomeOf(ctx, applied);
}

/** The promote CodePipeline action. */
export const promoteAction: Action<PromoteParams> = {
  name: 'promote',
  parseParams: parsePromoteParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  run,
};
