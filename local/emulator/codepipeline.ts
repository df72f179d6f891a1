/**
 * CodePipeline: the job reports (recorded per job, so tests and the local runner see what a function said) and the
 * pipeline state the local runner registers (pipelines.ts): GetPipelineState, PutApprovalResult and
 * ListActionExecutions.
 */
import { ApiError, constraintFailed } from './errors.js';
import { jsonError, jsonResponse, jsonRoute, unknownJsonOperation } from './json-protocol.js';
import type { ApiResponse, Service } from './protocol.js';
import type { JobResult, EmulatedAccount } from './account.js';
import type { ActionExecutionRecord, ExecutionRecord, PipelineRecord } from './pipelines.js';

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
const REPORT_ERRORS = ['ValidationException', 'InvalidJobStateException'];
const SUCCESS_REPORT_ERRORS = [...REPORT_ERRORS, 'OutputVariablesSizeExceededException'];

/** A required string member, in CodePipeline's validation message. */
function requireString(input: Record<string, unknown>, field: string, path = field): string {
  const v = input[field];
  if (typeof v !== 'string' || v.length === 0) throw invalid(constraintFailed(path, 'null', 'not be null'));
  return v;
}

const requireJobId = (input: Record<string, unknown>) => requireString(input, 'jobId');

/** Pipeline, stage and action names: 1–100 of [A-Za-z0-9.@\-_]. */
function requireName(input: Record<string, unknown>, field: string): string {
  const v = requireString(input, field);
  if (!/^[A-Za-z0-9.@\-_]{1,100}$/.test(v))
    throw invalid(constraintFailed(field, `'${v}'`, 'satisfy regular expression pattern: [A-Za-z0-9.@\\-_]+'));
  return v;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_APPROVAL_SUMMARY = 512;
const seconds = (ms: number) => ms / 1000;

function successResult(input: Record<string, unknown>): JobResult {
  const token = input.continuationToken;
  const variables = input.outputVariables;
  if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > 2048)) {
    throw invalid(constraintFailed('continuationToken', undefined, 'have length between 1 and 2048'));
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
      throw new ApiError(
        'OutputVariablesSizeExceededException',
        `Output variables total ${bytes} bytes; the limit is ${MAX_VARIABLES_BYTES}.`,
      );
  }
  const result: JobResult = { kind: 'success' };
  if (token !== undefined) result.continuationToken = token as string;
  if (variables !== undefined) result.outputVariables = variables as Record<string, string>;
  return result;
}

function failureResult(input: Record<string, unknown>): JobResult {
  const details = input.failureDetails as Record<string, unknown> | undefined;
  const type = details?.type;
  const message = details?.message;
  if (typeof type !== 'string' || !FAILURE_TYPES.includes(type))
    throw invalid(`failureDetails.type must be one of ${FAILURE_TYPES.join(', ')}.`);
  if (typeof message !== 'string' || message.length < 1 || message.length > 5000) {
    throw invalid(constraintFailed('failureDetails.message', undefined, 'have length between 1 and 5000'));
  }
  return { kind: 'failure', type, message };
}

/** An ActionExecution of GetPipelineState: the token only while the approval is open. */
function actionExecution(a: ActionExecutionRecord): Record<string, unknown> {
  return {
    actionExecutionId: a.actionExecutionId,
    status: a.status,
    lastStatusChange: seconds(a.lastUpdateTime),
    ...(a.summary !== undefined ? { summary: a.summary } : {}),
    ...(a.token !== undefined && a.status === 'InProgress' ? { token: a.token } : {}),
    ...(a.externalExecutionId !== undefined ? { externalExecutionId: a.externalExecutionId } : {}),
    ...(a.errorDetails ? { errorDetails: a.errorDetails } : {}),
  };
}

/** A stage's status in one run: Failed if an action failed, Succeeded once all declared actions did. */
function stageStatus(pipeline: PipelineRecord, stageName: string, e: ExecutionRecord): string {
  const actions = e.actions.filter((a) => a.stageName === stageName);
  if (actions.some((a) => a.status === 'Failed')) return 'Failed';
  const declared = pipeline.declaration.stages.find((s) => s.name === stageName)?.actions ?? [];
  if (declared.every((d) => actions.some((a) => a.actionName === d.name && a.status === 'Succeeded')))
    return 'Succeeded';
  if (e.status === 'Stopped') return 'Stopped';
  return 'InProgress';
}

function pipelineState(pipeline: PipelineRecord): Record<string, unknown> {
  const latestOf = <T extends { startTime: number }>(xs: T[]): T | undefined =>
    xs.reduce<T | undefined>((best, x) => (!best || x.startTime >= best.startTime ? x : best), undefined);
  return {
    pipelineName: pipeline.declaration.name,
    pipelineVersion: pipeline.version,
    created: seconds(pipeline.created),
    updated: seconds(pipeline.updated),
    stageStates: pipeline.declaration.stages.map((stage) => {
      const entered = pipeline.executions.filter((e) => e.actions.some((a) => a.stageName === stage.name));
      const latestRun = latestOf(entered);
      return {
        stageName: stage.name,
        inboundTransitionState: { enabled: true },
        actionStates: stage.actions.map((declared) => {
          const latest = latestOf(
            pipeline.executions.flatMap((e) =>
              e.actions.filter((a) => a.stageName === stage.name && a.actionName === declared.name),
            ),
          );
          return { actionName: declared.name, ...(latest ? { latestExecution: actionExecution(latest) } : {}) };
        }),
        ...(latestRun
          ? {
              latestExecution: {
                pipelineExecutionId: latestRun.pipelineExecutionId,
                status: stageStatus(pipeline, stage.name, latestRun),
              },
            }
          : {}),
      };
    }),
  };
}

function actionExecutionDetail(a: ActionExecutionRecord, pipelineVersion: number): Record<string, unknown> {
  const executionResult = {
    ...(a.externalExecutionId !== undefined ? { externalExecutionId: a.externalExecutionId } : {}),
    ...(a.summary !== undefined ? { externalExecutionSummary: a.summary } : {}),
    ...(a.errorDetails ? { errorDetails: a.errorDetails } : {}),
  };
  return {
    pipelineExecutionId: a.pipelineExecutionId,
    actionExecutionId: a.actionExecutionId,
    pipelineVersion,
    stageName: a.stageName,
    actionName: a.actionName,
    startTime: seconds(a.startTime),
    lastUpdateTime: seconds(a.lastUpdateTime),
    status: a.status,
    input: {
      actionTypeId: a.actionTypeId,
      configuration: a.configuration,
      resolvedConfiguration: a.resolvedConfiguration,
      ...(a.namespace ? { namespace: a.namespace } : {}),
      inputArtifacts: [],
    },
    output: {
      outputArtifacts: [],
      executionResult,
      ...(a.outputVariables ? { outputVariables: a.outputVariables } : {}),
    },
  };
}

/** The CodePipeline service over a shared account. */
export function codePipeline(account: EmulatedAccount): Service {
  const report = (input: Record<string, unknown>, result: (i: Record<string, unknown>) => JobResult): ApiResponse => {
    const jobId = requireJobId(input);
    const r = result(input);
    const reports = account.jobs.get(jobId) ?? [];
    // A job is reported once: after a success (with or without a continuation token, which CodePipeline answers
    // with a new job) or a failure, every further report answers InvalidJobStateException.
    if (reports.length > 0)
      throw new ApiError(
        'InvalidJobStateException',
        `Job ${jobId} is in state ${reports[0]?.kind === 'failure' ? 'Failed' : 'Succeeded'}; ` +
          'it has already been reported.',
      );
    account.jobs.set(jobId, [...reports, r]);
    const details = input.executionDetails as { summary?: unknown } | undefined;
    account.pipelines.jobReported(jobId, r, typeof details?.summary === 'string' ? details.summary : undefined);
    return jsonResponse(CONTENT_TYPE, {});
  };

  function putApprovalResult(input: Record<string, unknown>): ApiResponse {
    const pipelineName = requireName(input, 'pipelineName');
    const stageName = requireName(input, 'stageName');
    const actionName = requireName(input, 'actionName');
    const token = requireString(input, 'token');
    if (!UUID.test(token))
      throw invalid(
        constraintFailed(
          'token',
          `'${token}'`,
          'satisfy regular expression pattern: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
        ),
      );
    const result = input.result;
    if (typeof result !== 'object' || result === null) throw invalid(constraintFailed('result', 'null', 'not be null'));
    const { status, summary } = result as Record<string, unknown>;
    if (status !== 'Approved' && status !== 'Rejected')
      throw invalid(
        constraintFailed('result.status', `'${String(status)}'`, 'satisfy enum value set: [Approved, Rejected]'),
      );
    if (typeof summary !== 'string') throw invalid(constraintFailed('result.summary', 'null', 'not be null'));
    if (summary.length > MAX_APPROVAL_SUMMARY)
      throw invalid(
        constraintFailed('result.summary', undefined, `have length less than or equal to ${MAX_APPROVAL_SUMMARY}`),
      );
    const at = account.pipelines.answerApproval({ pipelineName, stageName, actionName, token, status, summary });
    return jsonResponse(CONTENT_TYPE, { approvedAt: seconds(at) });
  }

  function listActionExecutions(input: Record<string, unknown>): ApiResponse {
    const pipeline = account.pipelines.pipeline(requireName(input, 'pipelineName'));
    const filter = (input.filter ?? {}) as Record<string, unknown>;
    if (filter.latestInPipelineExecution !== undefined)
      throw invalid('The emulator does not implement the latestInPipelineExecution filter.');
    const executionId = filter.pipelineExecutionId;
    let executions = pipeline.executions;
    if (executionId !== undefined) {
      executions = executions.filter((e) => e.pipelineExecutionId === executionId);
      if (executions.length === 0)
        throw new ApiError(
          'PipelineExecutionNotFoundException',
          `Pipeline execution ${String(executionId)} does not exist in pipeline ${pipeline.declaration.name}.`,
        );
    }
    const maxResults = input.maxResults ?? 100;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
      throw invalid(constraintFailed('maxResults', `'${String(maxResults)}'`, 'have value between 1 and 100'));
    // Newest first (what the console shows; the API reference does not say).
    const all = executions
      .flatMap((e) => e.actions.map((a) => ({ a, version: e.pipelineVersion })))
      .sort((x, y) => y.a.startTime - x.a.startTime);
    const start = pageStart(input.nextToken, all.length);
    const page = all.slice(start, start + maxResults);
    const next = start + page.length < all.length ? pageToken(start + page.length) : undefined;
    return jsonResponse(CONTENT_TYPE, {
      actionExecutionDetails: page.map(({ a, version }) => actionExecutionDetail(a, version)),
      ...(next ? { nextToken: next } : {}),
    });
  }

  return {
    routes: [
      jsonRoute(TARGET_PREFIX, 'PutJobSuccessResult', SUCCESS_REPORT_ERRORS, (input) => report(input, successResult)),
      jsonRoute(TARGET_PREFIX, 'PutJobFailureResult', REPORT_ERRORS, (input) => report(input, failureResult)),
      jsonRoute(TARGET_PREFIX, 'GetPipelineState', ['ValidationException', 'PipelineNotFoundException'], (input) =>
        jsonResponse(CONTENT_TYPE, pipelineState(account.pipelines.pipeline(requireName(input, 'name')))),
      ),
      jsonRoute(
        TARGET_PREFIX,
        'PutApprovalResult',
        [
          'ValidationException',
          'PipelineNotFoundException',
          'StageNotFoundException',
          'ActionNotFoundException',
          'InvalidApprovalTokenException',
          'ApprovalAlreadyCompletedException',
        ],
        putApprovalResult,
      ),
      jsonRoute(
        TARGET_PREFIX,
        'ListActionExecutions',
        [
          'ValidationException',
          'PipelineNotFoundException',
          'PipelineExecutionNotFoundException',
          'InvalidNextTokenException',
        ],
        listActionExecutions,
      ),
    ],
    unmatched: (req) => unknownJsonOperation(req, TARGET_PREFIX, 'CodePipeline'),
    // A body that is not a JSON object (SerializationException, the JSON protocols' own answer), injected
    // throttling, and an emulator bug's 500: codes the model declares for no operation.
    commonErrors: ['SerializationException', 'Throttling', 'InternalFailure'],
    renderError: (err) => jsonError(CONTENT_TYPE, err),
  };
}

const pageToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');

/** The offset a nextToken names; InvalidNextTokenException for one this emulator did not hand out. */
function pageStart(token: unknown, total: number): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 && offset <= total) return offset;
  } catch {
    // answered below
  }
  throw new ApiError('InvalidNextTokenException', 'The next token provided is not valid.');
}
