/**
 * The watch's parameters: the constant JSON input of its EventBridge schedule. Every problem is an {@link InputError}
 * naming the input field, raised before the watch makes any AWS call.
 */
import { type AlarmRef, parseAlarmNames } from '../../shared/domain/alarms.js';
import { InputError } from '../../shared/domain/errors.js';
import { type GateParams, judgesErrorRate, parseGate } from '../../shared/domain/gate.js';
import { ParamReader, jsonKind, present } from '../../shared/domain/params.js';

/** Every key of the schedule's constant input (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'PipelineName',
  'ApprovalStageName',
  'ApprovalActionName',
  'MaxStaging5xxErrorRate',
  'MaxErrorRateIncrease',
  'MinStagingRequests',
  'WindowMinutes',
  'AlarmNames',
] as const;

export const DEFAULT_APPROVAL_STAGE = 'Approval';
export const DEFAULT_APPROVAL_ACTION = 'ApproveStaging';

/**
 * The staging requests the watch waits for before it judges an error rate, when `MinStagingRequests` is not given.
 * The gate judges once, at approval time; the watch judges every minute from the first request on, and one 5xx among
 * the first few requests of a healthy release must not roll it back.
 */
export const DEFAULT_WATCH_MIN_STAGING_REQUESTS = 100;

/** The manual approval the watch rejects when it rolls a canary back. */
export interface ApprovalTarget {
  pipelineName: string;
  stageName: string;
  actionName: string;
}

export interface WatchParams {
  primaryId: string;
  /** The staging distribution to judge; undefined: the one the primary's policy routes to, found by its domain. */
  stagingId: string | undefined;
  /** Undefined without `PipelineName`: the watch then only disables the policy. */
  approval: ApprovalTarget | undefined;
  /** The promotion gate's thresholds, judged on staging; undefined when none is set. */
  gate: GateParams | undefined;
  /** Alarms whose ALARM state means the canary is unhealthy; empty when none is named. */
  alarms: AlarmRef[];
}

/** How the watch's input errors name a field: `watch: input field <field>: …`. */
const WATCH_INPUT = { function: 'watch', noun: 'input field' } as const;

/** An input problem of the watch's. */
const inputError = (field: string, problem: string) => new InputError(field, problem, WATCH_INPUT);

const EXAMPLE =
  '{"PrimaryDistributionId": "E2QWRUHAPOMQZL", "PipelineName": "site", ' +
  '"MaxStaging5xxErrorRate": 5, "MinStagingRequests": 100}';

function approvalTarget(p: ParamReader): ApprovalTarget | undefined {
  const pipelineName = p.optionalName('PipelineName', 'CodePipeline pipeline name');
  const stageName = p.optionalName('ApprovalStageName', 'CodePipeline stage name');
  const actionName = p.optionalName('ApprovalActionName', 'CodePipeline action name');
  if (!pipelineName) {
    // Without a pipeline there is no approval to reject: a stage or action name alone would be silently unused.
    const orphan = stageName ? 'ApprovalStageName' : actionName ? 'ApprovalActionName' : undefined;
    if (orphan) throw inputError(orphan, 'is only used with PipelineName, which is not set');
    return undefined;
  }
  return {
    pipelineName,
    stageName: stageName ?? DEFAULT_APPROVAL_STAGE,
    actionName: actionName ?? DEFAULT_APPROVAL_ACTION,
  };
}

/**
 * The gate's thresholds, with the watch's own default for MinStagingRequests. Without an error-rate threshold the gate
 * can only wait or pass, never find a canary unhealthy, so the watch then reads no metric at all (like the gate, which
 * a window alone leaves off).
 */
function watchGate(p: ParamReader): GateParams | undefined {
  const gate = parseGate(p, 'WindowMinutes');
  if (!gate || !judgesErrorRate(gate)) return undefined;
  return { ...gate, minStagingRequests: gate.minStagingRequests ?? DEFAULT_WATCH_MIN_STAGING_REQUESTS };
}

function parseObject(values: Record<string, unknown>): WatchParams {
  try {
    const p = new ParamReader(values, parameterNames);
    const primaryId = p.distributionId('PrimaryDistributionId');
    const stagingId = present(values.StagingDistributionId) ? p.primaryAndStaging().stagingId : undefined;
    const gate = watchGate(p);
    const params: WatchParams = {
      primaryId,
      stagingId,
      approval: approvalTarget(p),
      gate,
      alarms: parseAlarmNames(values.AlarmNames),
    };
    // MinStagingRequests alone never finds a canary unhealthy: it only says when an error rate may be judged.
    if (!params.gate && params.alarms.length === 0) {
      throw inputError(
        'MaxStaging5xxErrorRate',
        'the watch has nothing to judge: ' +
          'set MaxStaging5xxErrorRate or MaxErrorRateIncrease (with MinStagingRequests), or AlarmNames',
      );
    }
    return params;
  } catch (err) {
    // The shared reader speaks of UserParameters; a schedule's input has fields.
    throw err instanceof InputError && err.source === 'UserParameters' ? err.from(WATCH_INPUT) : err;
  }
}

/**
 * Parses the schedule's constant input. Throws an {@link InputError} before any AWS call for anything else: the
 * whole scheduled event (the rule's target has no constant Input), a CodePipeline job, an unknown or malformed field.
 */
export function parseWatchParams(event: unknown): WatchParams {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw inputError('event', `the input must be a JSON object such as ${EXAMPLE}, got ${jsonKind(event)}`);
  }
  if ('CodePipeline.job' in event) {
    throw inputError(
      'event',
      'received a CodePipeline job: the watch is not a pipeline action; ' +
        'run it from an EventBridge schedule with a constant Input',
    );
  }
  if ('detail-type' in event || 'detail' in event) {
    throw inputError(
      'event',
      "received a whole EventBridge event; give the schedule's target a constant Input " +
        `such as ${EXAMPLE} (keys: ${parameterNames.join(', ')})`,
    );
  }
  return parseObject(event as Record<string, unknown>);
}
