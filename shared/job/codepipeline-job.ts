/**
 * The CodePipeline trigger: an adapter around the driver (driver.ts). It parses UserParameters, reads the token back,
 * runs one pass of the action, and reports the job to CodePipeline exactly once — success (with output variables, or
 * with a continuation token while CloudFront propagates) or failure, typed by the error's kind. Nothing thrown escapes
 * unreported; the handler rejects only when reporting itself failed, so that the Lambda invocation error is visible.
 */
import { PutJobFailureResultCommand, PutJobSuccessResultCommand, type FailureType } from '@aws-sdk/client-codepipeline';
import type { CodePipelineEvent } from 'aws-lambda';
import { runCancellable } from '../aws/cancellation.js';
import { codePipeline } from '../aws/clients/codepipeline.js';
import { awsCall, awsErrorOf } from '../aws/call.js';
import { CfcdError, FAILURE_TYPE, kindOf } from '../domain/errors.js';
import type { Change, Plan } from '../domain/plan.js';
import { createLogger, errorFields, type Logger } from '../log.js';
import { VERSION } from '../version.js';
import { type Continuation, clampStartedAt, decodeContinuation, encodeContinuation } from './continuation.js';
import {
  type ActionDefinition,
  type AnyAction,
  type Memory,
  checkWaitLimit,
  continuationFor,
  runAction,
} from './driver.js';

/** The part of the Lambda context the CodePipeline adapter uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

type AnyPlanOf<Phase extends string> = Plan<Change, Phase>;

/** The run outlived the Lambda's time: reported before the timeout, so CodePipeline does not wait 20 minutes. */
class DeadlineError extends CfcdError {
  override readonly name = 'DeadlineError';
  readonly kind = 'failed';
  constructor(marginMs: number) {
    super(
      `did not finish within the Lambda timeout (gave up ${marginMs / 1000}s before it); the last log line shows ` +
        'the step it was in; no AWS call starts after this report, so re-running is safe',
    );
  }
}

const MESSAGE_MAX = 5000;
const OUTPUT_VARIABLES_MAX_BYTES = 122_880;
const OUTPUT_VARIABLE_KEY = /^[A-Za-z0-9@\-_]+$/;
/** Time kept back before the Lambda timeout to report the job instead of leaving it to CodePipeline's 20 minutes. */
const DEADLINE_MARGIN_MS = 5_000;

/**
 * Decodes a token, refuses a phase the action never writes, and lets the action read its data back: what the next
 * invocation gets (the operator CLI reads its own tokens back the same way).
 */
export function readContinuation<Phase extends string, M extends Memory>(
  action: { name: string; phases: readonly Phase[]; readMemory?(phase: Phase, data: Memory | undefined): M },
  token: string,
): Continuation<Phase, M> {
  return continuationFor(action, decodeContinuation(token));
}

/** Checks output variables against CodePipeline's rules before sending them. */
export function validateOutputVariables(vars: Record<string, string>): void {
  for (const key of Object.keys(vars)) {
    if (!OUTPUT_VARIABLE_KEY.test(key))
      throw new Error(`output variable name ${JSON.stringify(key)} is not allowed by CodePipeline`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(vars));
  if (bytes > OUTPUT_VARIABLES_MAX_BYTES)
    throw new Error(`output variables are ${bytes} bytes; CodePipeline allows ${OUTPUT_VARIABLES_MAX_BYTES}`);
}

/** A failure message cut to CodePipeline's 5000 characters. */
const withinReportLimit = (message: string) =>
  message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX - 3)}...` : message;

/** The CodePipeline failure type and message (≤ 5000 characters) for an error. */
export function describeFailure(actionName: string, err: unknown): { type: FailureType; message: string } {
  const type: FailureType = FAILURE_TYPE[kindOf(err)];
  const text = err instanceof Error ? err.message : String(err);
  // Our own errors already say which step, resource and AWS error; anything else (an SDK error thrown raw, a bug's
  // TypeError) gets its error name in front, so the person on call sees what kind of failure it was.
  const name = awsErrorOf(err).name;
  const named = err instanceof CfcdError || name === 'Error' ? text : `${name}: ${text}`;
  const message = `${actionName}: ${named}`;
  return { type, message: withinReportLimit(message) };
}

type Report =
  | { kind: 'success'; outputVariables?: Record<string, string>; continuationToken?: string; summary?: string }
  | { kind: 'failure'; type: FailureType; message: string };

/**
 * Runs one CodePipeline job: the whole life of one invocation. Exported for the abort function, which also accepts
 * non-CodePipeline events; other functions use {@link codePipelineHandler}.
 */
export async function runJob<P, S, Phase extends string, M extends Memory>(
  action: ActionDefinition<P, S, AnyPlanOf<Phase>, Phase, M>,
  event: CodePipelineEvent,
  lambda?: LambdaContextLike,
  now: () => number = Date.now,
): Promise<void> {
  const job = event?.['CodePipeline.job'];
  const jobId = job?.id;
  let log = createLogger({ function: action.name });
  if (typeof jobId !== 'string' || jobId === '') {
    // Without a job id there is nothing to report to: fail the invocation so the error is at least visible.
    log.error('invalid-event', { reason: 'no CodePipeline.job.id in the event' });
    throw new Error(`${action.name}: the event is not a CodePipeline job (no CodePipeline.job.id)`);
  }
  log = log.child({ jobId });

  const report = await reportFor(action as unknown as AnyAction, job, log, lambda, now);
  await send(jobId, report, log);
}

async function reportFor(
  action: AnyAction,
  job: CodePipelineEvent['CodePipeline.job'],
  log: Logger,
  lambda: LambdaContextLike | undefined,
  now: () => number,
): Promise<Report> {
  let deadline: NodeJS.Timeout | undefined;
  try {
    const params = action.parseParams(job.data?.actionConfiguration?.configuration?.UserParameters);
    const token = job.data?.continuationToken;
    const continuation = token ? readContinuation(action, token) : undefined;
    // The release that runs this job (the build stamps it): which code a log line came from, after an update.
    log.info('job-started', { version: VERSION, params, continuation: continuation ?? null });

    const cancel = new AbortController();
    const run = runCancellable(cancel.signal, () => runAction(action, { params, continuation, log }));
    const budget = lambda ? lambda.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (budget !== undefined) {
        deadline = setTimeout(
          () => {
            // The run cannot be stopped, but from here on it cannot start another AWS call (see cancellation.ts).
            cancel.abort();
            reject(new DeadlineError(DEADLINE_MARGIN_MS));
          },
          Math.max(budget, 0),
        );
      }
    });
    // If the deadline wins the race, the run's eventual rejection must not surface as an unhandled rejection.
    run.catch(() => undefined);
    const outcome = await Promise.race([run, timeout]);

    if (outcome.kind === 'succeeded') {
      const outputVariables = outcome.outputVariables ?? {};
      validateOutputVariables(outputVariables);
      log.info('job-succeeded', { summary: outcome.summary, outputVariables });
      return { kind: 'success', outputVariables, summary: outcome.summary };
    }

    const at = now();
    const startedAt = continuation ? clampStartedAt(continuation.startedAt, at) : at;
    if (continuation && startedAt !== continuation.startedAt) {
      log.warn('continuation-start-clamped', {
        tokenStartedAt: continuation.startedAt,
        startedAt,
        reason: 'the token starts in the future; the wait limit counts from this pass',
      });
    }
    const waitedMs = at - startedAt;
    checkWaitLimit(action, params, outcome, waitedMs);
    const next: Continuation = { phase: outcome.phase, startedAt, ...(outcome.data ? { data: outcome.data } : {}) };
    log.info('job-waiting', {
      phase: outcome.phase,
      reason: outcome.reason,
      inProgress: outcome.inProgress,
      waitedSeconds: Math.round(waitedMs / 1000),
    });
    return { kind: 'success', continuationToken: encodeContinuation(next) };
  } catch (err) {
    const failure = describeFailure(action.name, err);
    log.error('job-failed', { failureType: failure.type, message: failure.message, error: errorFields(err) });
    return { kind: 'failure', ...failure };
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * True (and logged) when CodePipeline refused a report because the job was already reported. Lambda delivers an
 * asynchronous invocation at least once and retries a rejected one with the same event, so a second delivery of a
 * job that went fine must resolve quietly: reporting a failure or rejecting would only earn another delivery and
 * ERROR lines for a deploy that succeeded. The actions are idempotent, so the second delivery wrote nothing new.
 */
function alreadyReported(err: unknown, result: 'success' | 'failure', log: Logger): boolean {
  if (awsErrorOf(err).name !== 'InvalidJobStateException') return false;
  log.warn('job-already-reported', {
    result,
    reason:
      'CodePipeline refused the report (InvalidJobStateException): the job is no longer in progress — ' +
      'another delivery of it already reported it, or it timed out or was stopped; nothing more is sent',
  });
  return true;
}

async function send(jobId: string, report: Report, log: Logger): Promise<void> {
  if (report.kind === 'success') {
    const success = report;
    try {
      await awsCall('PutJobSuccessResult', `job ${jobId}`, () =>
        codePipeline().send(
          new PutJobSuccessResultCommand({
            jobId,
            ...(success.continuationToken
              ? { continuationToken: success.continuationToken }
              : { outputVariables: success.outputVariables }),
          }),
        ),
      );
      log.info('job-reported', { result: success.continuationToken ? 'continuation' : 'success' });
      return;
    } catch (err) {
      if (alreadyReported(err, 'success', log)) return;
      // The job is not reported yet: say why as a failure rather than leave the pipeline waiting 20 minutes, and say
      // that the work itself was done, so that on call re-runs the action instead of looking for what went wrong.
      log.error('report-failed', { result: 'success', error: errorFields(err) });
      const done = success.continuationToken
        ? 'the action is waiting for CloudFront, but handing the wait back to CodePipeline failed'
        : `the action finished (${success.summary ?? 'succeeded'}), but reporting its success failed`;
      const message =
        `${done}: ${describeFailure('report', err).message}. ` +
        'Re-running the action resumes from the current state and finds its work done.';
      report = {
        kind: 'failure',
        type: 'JobFailed',
        message: withinReportLimit(message),
      };
    }
  }
  try {
    await awsCall('PutJobFailureResult', `job ${jobId}`, () =>
      codePipeline().send(
        new PutJobFailureResultCommand({ jobId, failureDetails: { type: report.type, message: report.message } }),
      ),
    );
    log.info('job-reported', { result: 'failure', failureType: report.type });
  } catch (err) {
    if (alreadyReported(err, 'failure', log)) return;
    log.error('report-failed', { result: 'failure', error: errorFields(err) });
    throw err;
  }
}

/** Wraps an action as a Lambda handler for CodePipeline Invoke actions. */
export function codePipelineHandler<P, S, Phase extends string, M extends Memory>(
  action: ActionDefinition<P, S, AnyPlanOf<Phase>, Phase, M>,
): (event: CodePipelineEvent, context?: LambdaContextLike) => Promise<void> {
  return (event, context) => runJob(action, event, context);
}
