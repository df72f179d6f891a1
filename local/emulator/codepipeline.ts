/** CodePipeline's job-reporting calls, recorded per job so tests and the local runner can see what a function said. */
import { ApiError } from './errors.js';
import { jsonError, jsonResponse, jsonRoute, unknownJsonOperation } from './json-protocol.js';
import type { ApiResponse, Service } from './protocol.js';
import type { JobResult, EmulatedAccount } from './account.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'CodePipeline_20150709';
const FAILURE_TYPES = [
  'JobFailed',
  'ConfigurationError',
  'PermissionError',
  'RevisionOutOfSync',
  'RevisionUnavailable',
  'SystemUnavailable',
];
const VARIABLE_KEY = /^[A-Za-z0-9@\-_]+$/;
const MAX_VARIABLES_BYTES = 122_880;

const invalid = (message: string) => new ApiError('ValidationException', message);

function requireJobId(input: Record<string, unknown>): string {
  const jobId = input['jobId'];
  if (typeof jobId !== 'string' || jobId.length === 0)
    throw invalid(
      "1 validation error detected: Value null at 'jobId' failed to satisfy constraint: Member must not be null",
    );
  return jobId;
}

function successResult(input: Record<string, unknown>): JobResult {
  const token = input['continuationToken'];
  const variables = input['outputVariables'];
  if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > 2048)) {
    throw invalid(
      "1 validation error detected: Value at 'continuationToken' failed to satisfy constraint: Member must have length between 1 and 2048",
    );
  }
  if (token !== undefined && variables !== undefined) {
    throw invalid(
      'Output variables cannot be set together with a continuation token; report them when the action completes.',
    );
  }
  if (variables !== undefined) {
    if (typeof variables !== 'object' || variables === null) throw invalid('outputVariables must be a map of strings.');
    let bytes = 0;
    for (const [k, v] of Object.entries(variables)) {
      if (!VARIABLE_KEY.test(k)) throw invalid(`Output variable key ${k} does not match [A-Za-z0-9@\\-_]+.`);
      if (typeof v !== 'string') throw invalid(`Output variable ${k} must be a string.`);
      bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
    if (bytes > MAX_VARIABLES_BYTES)
      throw invalid(`Output variables total ${bytes} bytes; the limit is ${MAX_VARIABLES_BYTES}.`);
  }
  const result: JobResult = { kind: 'success' };
  if (token !== undefined) result.continuationToken = token as string;
  if (variables !== undefined) result.outputVariables = variables as Record<string, string>;
  return result;
}

function failureResult(input: Record<string, unknown>): JobResult {
  const details = input['failureDetails'] as Record<string, unknown> | undefined;
  const type = details?.['type'];
  const message = details?.['message'];
  if (typeof type !== 'string' || !FAILURE_TYPES.includes(type))
    throw invalid(`failureDetails.type must be one of ${FAILURE_TYPES.join(', ')}.`);
  if (typeof message !== 'string' || message.length < 1 || message.length > 5000) {
    throw invalid(
      "1 validation error detected: Value at 'failureDetails.message' failed to satisfy constraint: Member must have length between 1 and 5000",
    );
  }
  return { kind: 'failure', type, message };
}

/** The CodePipeline service over a shared account. */
export function codePipeline(account: EmulatedAccount): Service {
  const report = (input: Record<string, unknown>, result: (i: Record<string, unknown>) => JobResult): ApiResponse => {
    const jobId = requireJobId(input);
    const r = result(input);
    const reports = account.jobs.get(jobId) ?? [];
    // A job is reported once; a continuation comes back as a new job id.
    if (reports.length > 0)
      throw new ApiError('InvalidJobStateException', `Job ${jobId} has already been reported (${reports[0]?.kind}).`);
    account.jobs.set(jobId, [...reports, r]);
    return jsonResponse(CONTENT_TYPE, {});
  };
  return {
    routes: [
      jsonRoute(TARGET_PREFIX, 'PutJobSuccessResult', (input) => report(input, successResult)),
      jsonRoute(TARGET_PREFIX, 'PutJobFailureResult', (input) => report(input, failureResult)),
    ],
    unmatched: (req) => unknownJsonOperation(req, TARGET_PREFIX, 'CodePipeline'),
    renderError: (err) => jsonError(CONTENT_TYPE, err),
  };
}
