/**
 * Invokes a warm local Lambda and records, per invocation, its handler time and the AWS requests the emulator saw
 * during it. A CodePipeline job is re-invoked with its continuation token, as CodePipeline does, until reported
 * without one.
 */
import { randomUUID } from 'node:crypto';
import type { Emulator, JobResult, RequestLogEntry } from '../local/emulator/index.js';
import type { LocalLambda } from '../local/pipeline/lambda.js';
import { codePipelineEvent } from '../local/pipeline/local-codepipeline.js';

export interface MeasuredInvocation {
  handlerMs: number;
  /** Every AWS request the emulator logged during the invocation (the bench itself sends none meanwhile). */
  requests: RequestLogEntry[];
  /** The job's report; undefined for a plain (non-CodePipeline) event. */
  report: JobResult | undefined;
}

/** Invokes once with `event`; throws if the function failed, since its figures would then mean nothing. */
export async function invokeMeasured(
  lambda: LocalLambda,
  emulator: Emulator,
  event: unknown,
  jobId?: string,
): Promise<MeasuredInvocation> {
  emulator.clearRequestLog();
  const result = await lambda.invoke(event);
  const requests = emulator.requestLog();
  if (!result.ok) throw new Error(`${lambda.name} failed: ${result.error?.name}: ${result.error?.message}`);
  if (jobId === undefined) return { handlerMs: result.handlerMs, requests, report: undefined };
  const reports = emulator.jobResults(jobId);
  const report = reports[0];
  if (reports.length !== 1 || !report)
    throw new Error(`${lambda.name}: job ${jobId} was reported ${reports.length} times, expected once`);
  if (report.kind === 'failure')
    throw new Error(`${lambda.name}: job ${jobId} failed: ${report.type}: ${report.message}`);
  return { handlerMs: result.handlerMs, requests, report };
}

export interface JobOptions {
  /** What happens between a continuation and the next invocation: settle every distribution, or wait real time. */
  between: { settle: true } | { delayMs: number };
  maxInvocations?: number;
}

/** Runs one CodePipeline job to completion; returns every invocation, the first being the one that does the work. */
export async function runJob(
  lambda: LocalLambda,
  emulator: Emulator,
  userParameters: string,
  opts: JobOptions,
): Promise<MeasuredInvocation[]> {
  const invocations: MeasuredInvocation[] = [];
  let token: string | undefined;
  for (let attempt = 1; attempt <= (opts.maxInvocations ?? 50); attempt++) {
    const jobId = randomUUID();
    const invocation = await invokeMeasured(
      lambda,
      emulator,
      codePipelineEvent(jobId, lambda.name, userParameters, token),
      jobId,
    );
    invocations.push(invocation);
    token = invocation.report?.kind === 'success' ? invocation.report.continuationToken : undefined;
    if (!token) return invocations;
    if ('settle' in opts.between) emulator.settle();
    else await new Promise((r) => setTimeout(r, (opts.between as { delayMs: number }).delayMs));
  }
  throw new Error(`${lambda.name}: job still waiting after ${opts.maxInvocations ?? 50} invocations`);
}
