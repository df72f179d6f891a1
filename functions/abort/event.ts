/**
 * abort invoked by an EventBridge rule when the pipeline's approval action fails (rejected or timed out). The rule
 * must send a constant Input such as `{"PrimaryDistributionId": "E…", "Mode": "disable"}`, not the matched event.
 * There is no job to report to: the summary is the invocation's result, and a failure is thrown so that the
 * invocation is marked failed and Lambda's asynchronous retries run it again (every pass is idempotent).
 */
import { InputError } from '../../shared/domain/errors.js';
import { jsonKind } from '../../shared/domain/params.js';
import { runPass } from '../../shared/job/driver.js';
import { createLogger, errorFields } from '../../shared/log.js';
import { emitMetrics } from '../../shared/metrics-emf.js';
import { type AbortMode, type AbortParams, parameterNames, parseAbortObject } from '../../shared/rollback/params.js';
import type { AbortChangeKind } from '../../shared/rollback/plan.js';
import { rollbackSummary } from '../../shared/rollback/steps.js';
import { abortAction } from './action.js';

/** How abort's event errors name a field: `abort: event field <field>: …`. */
const ABORT_EVENT = { function: 'abort', noun: 'event field' } as const;

/** What a plain-event invocation returns. */
export interface AbortSummary {
  mode: AbortMode;
  primaryId: string;
  /** The policy found attached to the primary; null when none was. */
  policyId: string | null;
  /** The changes written by this invocation, in order; empty on a re-run. */
  changes: AbortChangeKind[];
  outcome: 'applied' | 'no-op';
  summary: string;
}

const EXAMPLE = '{"PrimaryDistributionId": "E2QWRUHAPOMQZL", "Mode": "disable"}';

/** Parses a plain event into abort's parameters; throws an {@link InputError} before any AWS call. */
export function parseAbortEvent(event: unknown): AbortParams {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InputError(
      'event',
      `the event must be a JSON object such as ${EXAMPLE}, got ${jsonKind(event)}`,
      ABORT_EVENT,
    );
  }
  if ('detail-type' in event || 'detail' in event) {
    throw new InputError(
      'event',
      "received a whole EventBridge event; configure the rule's target with a constant Input " +
        `such as ${EXAMPLE} (keys: ${parameterNames.join(', ')})`,
      ABORT_EVENT,
    );
  }
  let params: AbortParams;
  try {
    params = parseAbortObject(event as Record<string, unknown>);
  } catch (err) {
    // A plain event has no UserParameters: name the event field instead.
    throw err instanceof InputError && err.source === 'UserParameters' ? err.from(ABORT_EVENT) : err;
  }
  if (params.mode === 'teardown') {
    throw new InputError(
      'Mode',
      '"teardown" must wait for the primary to propagate between the detach and the policy delete, ' +
        'which only a CodePipeline job can do (continuation tokens). ' +
        'Send Mode "detach" from EventBridge, and run teardown as a pipeline action.',
      ABORT_EVENT,
    );
  }
  return params;
}

/**
 * abort's metrics once it is done, whatever triggered it: the changes written and whether traffic went back to the
 * primary (the policy disabled or detached) — a revert after a rejected approval, or a teardown.
 */
export function emitAbortMetrics(primaryId: string, changes: readonly string[]): void {
  const rollback = changes.some((kind) => kind === 'disable-policy' || kind === 'detach-policy');
  emitMetrics({ action: 'abort', primaryId }, { Steps: changes.length, Rollbacks: Number(rollback) });
}

/** Runs one pass of abort for a plain event and returns its summary; throws on any failure. Never logs the event. */
export async function abortFromEvent(event: unknown): Promise<AbortSummary> {
  const log = createLogger({ function: 'abort', trigger: 'event' });
  let primaryId: string | undefined;
  try {
    const params = parseAbortEvent(event);
    primaryId = params.primaryId;
    log.info('event-started', { params });
    // No continuation without a job: the pass's `next` (wait for the primary) is left to CloudFront.
    const pass = await runPass(abortAction, { params, continuation: undefined, log });
    const result: AbortSummary = {
      mode: params.mode,
      primaryId: params.primaryId,
      policyId: pass.state.policyId ?? null,
      changes: pass.written as AbortChangeKind[],
      outcome: pass.written.length ? 'applied' : 'no-op',
      summary: rollbackSummary(params.mode, params.primaryId, pass.written, pass.plan.nothingToDo, false),
    };
    log.info('event-succeeded', { ...result });
    emitAbortMetrics(params.primaryId, pass.written);
    return result;
  } catch (err) {
    log.error('event-failed', { error: errorFields(err) });
    emitMetrics({ action: 'abort', primaryId }, { Failures: 1 });
    throw err;
  }
}
