/**
 * A local stand-in for CodePipeline: runs stages in order, invokes a function with a CodePipeline job event built
 * from the action's UserParameters (with `#{Namespace.Variable}` resolved), re-invokes it with the continuation
 * token until the job is reported, and stops at the first failure. Like CodePipeline, each re-invocation is a new
 * job id carrying the previous token.
 */
import { randomUUID } from 'node:crypto';
import type { JobResult } from '../emulator/index.js';
import type { LocalLambdas, LogLine } from './lambda.js';

/** What the runner needs from the emulator: its recorded job results. */
export interface JobResultSource {
  jobResults(jobId: string): JobResult[];
}

/** One report a function made for a job, as the emulator records it. */
export type { JobResult };

/** Resolved output variables by namespace, e.g. `{ EnableCd: { HowToReachStaging: "…" } }`. */
export type Variables = Record<string, Record<string, string>>;

export type PipelineAction =
  | { type: 'invoke'; name: string; functionName: string; userParameters: Record<string, unknown>; namespace?: string }
  | {
      type: 'custom';
      name: string;
      namespace?: string;
      run: () => Promise<{ variables: Record<string, string>; summary: string }>;
    }
  | { type: 'approval'; name: string; customData: string; decide: (customData: string) => Promise<boolean> };

export interface Stage {
  name: string;
  actions: PipelineAction[];
}

/** Everything the runner reports as it goes (the timeline prints these). */
export type RunnerEvent =
  | { type: 'stage'; stage: string }
  | { type: 'action'; stage: string; action: string; detail?: string }
  | {
      type: 'invocation';
      action: string;
      functionName: string;
      /** `codepipeline`: a job (the default); `eventbridge`: a plain event, no job to report. */
      trigger?: 'codepipeline' | 'eventbridge';
      jobId: string;
      attempt: number;
      logs: LogLine[];
      result: JobResult | undefined;
      durationMs: number;
      /** Set when the job reported a continuation: CodePipeline invokes the function again after this long. */
      reinvokeInMs?: number;
    }
  | { type: 'custom'; action: string; summary: string }
  | { type: 'approval-pending'; action: string; customData: string }
  | { type: 'approval'; action: string; customData: string; approved: boolean }
  | { type: 'action-failed'; action: string; message: string }
  | { type: 'action-succeeded'; action: string; variables: Record<string, string> };

export interface RunnerOptions {
  lambdas: LocalLambdas;
  results: JobResultSource;
  /** Real time between a continuation and the next invocation (CodePipeline takes about a minute; locally, less). */
  continuationDelayMs: number;
  /** A job still waiting after this many invocations is failed by the runner, like CodePipeline's action timeout. */
  maxInvocations?: number;
  onEvent?: (e: RunnerEvent) => void;
}

export type PipelineResult =
  | { status: 'Succeeded'; variables: Variables }
  | { status: 'Failed'; stage: string; action: string; message: string; variables: Variables; rejected: boolean };

/** Replaces `#{Namespace.Variable}` with resolved output variables; an unknown one is an error, as in CodePipeline. */
export function resolveVariables(text: string, variables: Variables): string {
  return text.replace(/#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}/g, (_, ns: string, name: string) => {
    const value = variables[ns]?.[name];
    if (value === undefined) throw new Error(`variable #{${ns}.${name}} is not defined`);
    return value;
  });
}

/** A CodePipeline Invoke-action event, as CodePipeline sends it (artifact credentials included). */
export function codePipelineEvent(
  jobId: string,
  functionName: string,
  userParameters: string,
  continuationToken?: string,
): unknown {
  return {
    'CodePipeline.job': {
      id: jobId,
      accountId: '123456789012',
      data: {
        actionConfiguration: { configuration: { FunctionName: functionName, UserParameters: userParameters } },
        inputArtifacts: [],
        outputArtifacts: [],
        artifactCredentials: {
          accessKeyId: 'ASIALOCALEXAMPLE',
          secretAccessKey: 'local-secret',
          sessionToken: 'local-session',
        },
        ...(continuationToken ? { continuationToken } : {}),
      },
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one Invoke action until its job is reported without a continuation token. */
export async function runInvoke(
  action: Extract<PipelineAction, { type: 'invoke' }>,
  variables: Variables,
  opts: RunnerOptions,
): Promise<{ ok: true; variables: Record<string, string> } | { ok: false; message: string }> {
  const lambda = opts.lambdas[action.functionName];
  if (!lambda) return { ok: false, message: `no local function ${action.functionName}` };
  const userParameters = resolveVariables(JSON.stringify(action.userParameters), variables);
  let token: string | undefined;
  for (let attempt = 1; attempt <= (opts.maxInvocations ?? 200); attempt++) {
    const jobId = randomUUID();
    const invocation = await lambda.invoke(codePipelineEvent(jobId, action.functionName, userParameters, token));
    const reports = opts.results.jobResults(jobId);
    const result = reports[0];
    const continues = reports.length === 1 && result?.kind === 'success' && result.continuationToken;
    opts.onEvent?.({
      type: 'invocation',
      action: action.name,
      functionName: action.functionName,
      jobId,
      attempt,
      logs: invocation.logs,
      result,
      durationMs: invocation.durationMs,
      ...(continues ? { reinvokeInMs: opts.continuationDelayMs } : {}),
    });
    if (reports.length !== 1 || !result) {
      const why = invocation.ok
        ? ''
        : ` (the invocation failed: ${invocation.error?.name}: ${invocation.error?.message})`;
      return { ok: false, message: `job ${jobId} was reported ${reports.length} times, expected exactly once${why}` };
    }
    if (result.kind === 'failure') return { ok: false, message: `${result.type}: ${result.message}` };
    if (!result.continuationToken) return { ok: true, variables: result.outputVariables ?? {} };
    token = result.continuationToken;
    await sleep(opts.continuationDelayMs);
  }
  return { ok: false, message: `still waiting after ${opts.maxInvocations ?? 200} invocations` };
}

/** Runs the stages in order, stopping at the first failed action. */
export async function runPipeline(
  stages: Stage[],
  opts: RunnerOptions,
  initial: Variables = {},
): Promise<PipelineResult> {
  const variables: Variables = structuredClone(initial);
  for (const stage of stages) {
    opts.onEvent?.({ type: 'stage', stage: stage.name });
    for (const action of stage.actions) {
      opts.onEvent?.({ type: 'action', stage: stage.name, action: action.name });
      const fail = (message: string, rejected = false): PipelineResult => {
        opts.onEvent?.({ type: 'action-failed', action: action.name, message });
        return { status: 'Failed', stage: stage.name, action: action.name, message, variables, rejected };
      };
      let produced: Record<string, string> = {};
      if (action.type === 'invoke') {
        const outcome = await runInvoke(action, variables, opts);
        if (!outcome.ok) return fail(outcome.message);
        produced = outcome.variables;
      } else if (action.type === 'custom') {
        try {
          const { variables: vars, summary } = await action.run();
          opts.onEvent?.({ type: 'custom', action: action.name, summary });
          produced = vars;
        } catch (err) {
          return fail((err as Error).message);
        }
      } else {
        const customData = resolveVariables(action.customData, variables);
        opts.onEvent?.({ type: 'approval-pending', action: action.name, customData });
        const approved = await action.decide(customData);
        opts.onEvent?.({ type: 'approval', action: action.name, customData, approved });
        if (!approved) return fail('the approval was rejected', true);
      }
      if ('namespace' in action && action.namespace) variables[action.namespace] = produced;
      opts.onEvent?.({ type: 'action-succeeded', action: action.name, variables: produced });
    }
  }
  return { status: 'Succeeded', variables };
}
