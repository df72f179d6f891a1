/**
 * abort invoked by an EventBridge rule when the pipeline's approval action fails (rejected or timed out). The rule
 * must send a constant Input such as `{"PrimaryDistributionId": "E…", "Mode": "disable"}`, not the matched event.
 * There is no job to report to: the summary is the invocation's result, and a failure is thrown so that the
 * invocation is marked failed and Lambda's asynchronous retries run it again (every pass is idempotent).
 */
import { ConfigurationError } from '../../shared/domain/errors.js';
import { createLogger } from '../../shared/log.js';
import { parameterNames, parseAbortObject, type AbortMode, type AbortParams } from '../../shared/rollback/params.js';
import type { AbortChangeKind } from '../../shared/rollback/plan.js';
import { rollBackToPrimary, rollbackSummary } from '../../shared/rollback/steps.js';

/** A plain event abort cannot act on; the message names the field or says what the rule must send. */
export class AbortEventError extends Error {
  override readonly name = 'AbortEventError';
}

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

/** Parses a plain event into abort's parameters; throws {@link AbortEventError} before any AWS call. */
export function parseAbortEvent(event: unknown): AbortParams {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new AbortEventError(
      `abort: the event must be a JSON object such as ${EXAMPLE}, got ${Array.isArray(event) ? 'an array' : event === null ? 'null' : typeof event}`,
    );
  }
  if ('detail-type' in event || 'detail' in event) {
    throw new AbortEventError(
      `abort: received a whole EventBridge event; configure the rule's target with a constant Input such as ${EXAMPLE} (keys: ${parameterNames.join(', ')})`,
    );
  }
  let params: AbortParams;
  try {
    params = parseAbortObject(event as Record<string, unknown>);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    // A plain event has no UserParameters: name the event field instead.
    throw new AbortEventError(`abort: event field ${err.field}: ${err.problem}`);
  }
  if (params.mode === 'teardown') {
    throw new AbortEventError(
      'abort: Mode "teardown" must wait for the primary to propagate between the detach and the policy delete, which only a CodePipeline job can do (continuation tokens). ' +
        'Send Mode "detach" from EventBridge, and run teardown as a pipeline action.',
    );
  }
  return params;
}

/** Runs one pass of abort for a plain event and returns its summary; throws on any failure. Never logs the event. */
export async function abortFromEvent(event: unknown): Promise<AbortSummary> {
  const log = createLogger({ function: 'abort', trigger: 'event' });
  try {
    const params = parseAbortEvent(event);
    log.info('event-started', { params });
    // No continuation without a job: the pass's `then` (wait for the primary) is left to CloudFront.
    const pass = await rollBackToPrimary(params, undefined, log);
    const result: AbortSummary = {
      mode: params.mode,
      primaryId: params.primaryId,
      policyId: pass.policyId ?? null,
      changes: pass.written,
      outcome: pass.written.length ? 'applied' : 'no-op',
      summary: rollbackSummary(params.mode, params.primaryId, pass.written, pass.plan.nothingToDo, false),
    };
    log.info('event-succeeded', { ...result });
    return result;
  } catch (err) {
    log.error('event-failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    throw err;
  }
}
