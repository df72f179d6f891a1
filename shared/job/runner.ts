/**
 * The CodePipeline job runner every function uses: parse and validate UserParameters, run the action, and report
 * the job to CodePipeline exactly once — success (with output variables, or with a continuation token while
 * CloudFront propagates) or failure. Nothing thrown escapes unreported; the handler rejects only when reporting
 * itself failed, so that the Lambda invocation error is visible too.
 */
import { PutJobFailureResultCommand, PutJobSuccessResultCommand, type FailureType } from '@aws-sdk/client-codepipeline';
import type { CodePipelineEvent } from 'aws-lambda';
import { runCancellable } from '../aws/cancellation.js';
import { codePipeline } from '../aws/clients/codepipeline.js';
import { AwsCallError, awsCall, awsErrorOf } from '../aws/call.js';
import { ConfigurationError, StateCheckError, StepError } from '../domain/errors.js';
import type { PlanApproval } from '../aws/apply-plan.js';
import type { Wait } from '../domain/plan.js';
import { createLogger, type Logger } from '../log.js';
import {
  ContinuationError,
  decodeContinuation,
  encodeContinuation,
  ofPhases,
  type Continuation,
  type ContinuationData,
} from './continuation.js';

export { ContinuationError, decodeContinuation, encodeContinuation, type Continuation, type ContinuationData };

/** How one invocation of an action ended. */
export type Outcome<Phase extends string = string, Data extends ContinuationData = ContinuationData> =
  | { kind: 'succeeded'; summary: string; outputVariables?: Record<string, string> }
  | {
      kind: 'waiting';
      phase: Phase;
      /** Why we wait, for the log and for the failure message if the wait limit is reached. */
      reason: string;
      /** The distributions still `InProgress`. */
      inProgress: string[];
      data?: Data;
    };

/** The waiting outcome for a plan's `next: wait`, with the data the next invocation needs. */
export function waitingOutcome<Phase extends string, Data extends ContinuationData>(
  next: Wait<Phase>,
  data?: Data,
): Outcome<Phase, Data> {
  return {
    kind: 'waiting',
    phase: next.phase,
    reason: next.reason,
    inProgress: next.inProgress,
    ...(data ? { data } : {}),
  };
}

/** What an action sees when it runs. */
export interface JobContext<P, Phase extends string = string, Data extends ContinuationData = ContinuationData> {
  jobId: string;
  params: P;
  /** The decoded token from our own earlier invocation, if CodePipeline re-invoked us. */
  continuation: Continuation<Phase, Data> | undefined;
  log: Logger;
  /** A last look at each plan before it is applied; only the operator CLI sets it (see apply-plan.ts). */
  approve?: PlanApproval | undefined;
}

/** A CodePipeline action: its parameter parser, the phases it waits in, and its work. */
export interface Action<P, Phase extends string = string, Data extends ContinuationData = ContinuationData> {
  name: string;
  /** Parses `UserParameters`; throws {@link ConfigurationError} naming the field. */
  parseParams(userParameters: unknown): P;
  /** The total wait allowed across continuations, in minutes. */
  maxWaitMinutes(params: P): number;
  /** Every phase the action writes into a continuation token; a token with any other phase is refused. */
  phases: readonly Phase[];
  /**
   * Reads the action's data back from a token of `phase`; throws {@link ContinuationError} when the token does not
   * hold what the phase needs. Without it, data is passed through as written.
   */
  readData?(phase: Phase, data: ContinuationData | undefined): Data | undefined;
  run(ctx: JobContext<P, Phase, Data>): Promise<Outcome<Phase, Data>>;
}

/** The part of the Lambda context the runner uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

const MESSAGE_MAX = 5000;
const OUTPUT_VARIABLES_MAX_BYTES = 122_880;
const OUTPUT_VARIABLE_KEY = /^[A-Za-z0-9@\-_]+$/;
/** Time kept back before the Lambda timeout to report the job instead of leaving it to CodePipeline's 20 minutes. */
const DEADLINE_MARGIN_MS = 5_000;

/**
 * When a wait has gone on past the action's `MaxWaitMinutes` (counted from the first invocation): how long, the
 * limit, and what it was still waiting for. Undefined while the wait may go on. The operator CLI words it its way.
 */
export function waitLimitPassed<P>(
  action: Pick<Action<P>, 'maxWaitMinutes'>,
  params: P,
  outcome: { reason: string; inProgress: string[] },
  waitedMs: number,
): { waitedMinutes: number; limitMinutes: number; awaiting: string } | undefined {
  const limitMinutes = action.maxWaitMinutes(params);
  if (waitedMs < limitMinutes * 60_000) return undefined;
  const stuck = outcome.inProgress.length ? `; still InProgress: ${outcome.inProgress.join(', ')}` : '';
  return { waitedMinutes: Math.round(waitedMs / 60_000), limitMinutes, awaiting: `${outcome.reason}${stuck}` };
}

/**
 * Decodes a token, refuses a phase the action never writes, and lets the action read its data back: what the next
 * invocation gets (the operator CLI reads its own tokens back the same way).
 */
export function readContinuation<P, Phase extends string, Data extends ContinuationData>(
  action: Action<P, Phase, Data>,
  token: string,
): Continuation<Phase, Data> {
  const { phase, startedAt, data } = ofPhases(action.name, action.phases, decodeContinuation(token));
  const typed = action.readData ? action.readData(phase, data) : (data as Data | undefined);
  return { phase, startedAt, ...(typed ? { data: typed } : {}) };
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

/** Error classes whose message already carries its context. */
const OUR_ERRORS = [ConfigurationError, StateCheckError, StepError, AwsCallError, ContinuationError];

/** The CodePipeline failure type and message (≤ 5000 characters) for an error. */
export function describeFailure(actionName: string, err: unknown): { type: FailureType; message: string } {
  const type: FailureType = err instanceof ConfigurationError ? 'ConfigurationError' : 'JobFailed';
  const text = err instanceof Error ? err.message : String(err);
  // Our own errors already say which step, resource and AWS error; anything else (an SDK error thrown raw, a bug's
  // TypeError) gets its error name in front, so the person on call sees what kind of failure it was.
  const name = awsErrorOf(err).name;
  const ours = err instanceof Error && OUR_ERRORS.some((type) => err instanceof type);
  const named = ours || name === 'Error' ? text : `${name}: ${text}`;
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
export async function runJob<P, Phase extends string, Data extends ContinuationData>(
  action: Action<P, Phase, Data>,
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

  const report = await decide(action, job, log, lambda, now);
  await send(jobId, report, log);
}

async function decide<P, Phase extends string, Data extends ContinuationData>(
  action: Action<P, Phase, Data>,
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
    log.info('job-started', { params, continuation: continuation ?? null });

    const cancel = new AbortController();
    const run = runCancellable(cancel.signal, () => action.run({ jobId: job.id, params, continuation, log }));
    const budget = lambda ? lambda.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (budget !== undefined) {
        deadline = setTimeout(
          () => {
            // The run cannot be stopped, but from here on it cannot start another AWS call (see cancellation.ts).
            cancel.abort();
            reject(
              new Error(
                `did not finish within the Lambda timeout (gave up ${DEADLINE_MARGIN_MS / 1000}s before it); the last log line shows the step it was in; no AWS call starts after this report, so re-running is safe`,
              ),
            );
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

    const startedAt = continuation?.startedAt ?? now();
    const waitedMs = now() - startedAt;
    const passed = waitLimitPassed(action, params, outcome, waitedMs);
    if (passed) {
      throw new Error(
        `gave up after waiting ${passed.waitedMinutes} minutes (MaxWaitMinutes=${passed.limitMinutes}) for: ${passed.awaiting}. The changes already made stay in place; re-running the action resumes from the current state.`,
      );
    }
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
    log.error('job-failed', { failureType: failure.type, message: failure.message });
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
      'CodePipeline refused the report (InvalidJobStateException): the job is no longer in progress — another delivery of it already reported it, or it timed out or was stopped; nothing more is sent',
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
      log.error('report-failed', { result: 'success', error: (err as Error).message });
      const done = success.continuationToken
        ? 'the action is waiting for CloudFront, but handing the wait back to CodePipeline failed'
        : `the action finished (${success.summary ?? 'succeeded'}), but reporting its success failed`;
      const message = `${done}: ${describeFailure('report', err).message}. Re-running the action resumes from the current state and finds its work done.`;
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
    log.error('report-failed', { result: 'failure', error: (err as Error).message });
    throw err;
  }
}

/** Wraps an action as a Lambda handler for CodePipeline Invoke actions. */
export function codePipelineHandler<P, Phase extends string, Data extends ContinuationData>(
  action: Action<P, Phase, Data>,
): (event: CodePipelineEvent, context?: LambdaContextLike) => Promise<void> {
  return (event, context) => runJob(action, event, context);
}
