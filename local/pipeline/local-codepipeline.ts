/**
 * A local stand-in for CodePipeline. A pipeline runs its stages in order; with {@link LocalPipeline} several
 * executions share it as CodePipeline's `ExecutionMode: QUEUED` does: each stage holds one execution at a time, an
 * execution leaves a stage when the stage is done and queues (first come, first served) at the next one's entrance,
 * so a newer execution can run Deploy while an older one waits in Approval.
 *
 * An Invoke action gets a CodePipeline job event built from its UserParameters (with `#{Namespace.Variable}` resolved
 * from this execution's variables, as in CodePipeline); the runner re-invokes it with the continuation token until
 * the job is reported, each re-invocation a new job id. Executions, actions, jobs, approvals and output variables
 * are registered with the emulator (`emulator.pipelines`), so GetPipelineState, PutApprovalResult and
 * ListActionExecutions see what ran; an approval ends with the first answer, the reviewer's or a PutApprovalResult
 * from any client (the watch).
 */
import { randomUUID } from 'node:crypto';
import type { ActionDeclaration, ActionRun, JobResult, LocalPipelines, PipelineRun } from '../emulator/index.js';
import type { Invokers, LogLine } from './lambda.js';

/** What the runner needs from the emulator: its recorded job results. */
export interface JobResultSource {
  jobResults(jobId: string): JobResult[];
}

/** One report a function made for a job, as the emulator records it. */
export type { JobResult };

/** Resolved output variables by namespace, e.g. `{ EnableCd: { HowToReachStaging: "…" } }`. */
export type Variables = Record<string, Record<string, string>>;

/** What a reviewer is told and can check while deciding. */
export interface ApprovalRequest {
  customData: string;
  /** The execution's label (e.g. the release) and CodePipeline id. */
  execution: string;
  pipelineExecutionId: string | undefined;
  /** Aborted once the approval was answered some other way (a PutApprovalResult): the reviewer may stop. */
  signal: AbortSignal;
}

export type PipelineAction =
  | {
      type: 'invoke';
      name: string;
      functionName: string;
      /** The configured UserParameters: JSON text as a template holds it, or an object to write as JSON. */
      userParameters: string | Record<string, unknown>;
      namespace?: string;
    }
  | {
      type: 'custom';
      name: string;
      namespace?: string;
      /** Runs the action for the execution labelled `execution`, with that execution's variables so far. */
      run: (variables: Variables, execution: string) => Promise<{ variables: Record<string, string>; summary: string }>;
    }
  | {
      type: 'approval';
      name: string;
      customData: string;
      /** The reviewer: true approves, false rejects. */
      decide: (customData: string, request: ApprovalRequest) => Promise<boolean>;
    };

export interface Stage {
  name: string;
  actions: PipelineAction[];
}

/** How an approval ended and who answered it. */
export interface ApprovalAnswer {
  approved: boolean;
  /** `reviewer`: the runner's own reviewer; `PutApprovalResult`: a client of the API (e.g. the watch). */
  by: 'reviewer' | 'PutApprovalResult';
  summary: string;
}

/** Everything the runner reports as it goes (the timeline prints these); `execution` labels the execution. */
export type RunnerEvent = (
  | { type: 'execution-started'; pipelineExecutionId: string | undefined }
  | { type: 'stage-queued'; stage: string; behind: string }
  | { type: 'stage'; stage: string }
  | { type: 'stage-left'; stage: string }
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
  | ({ type: 'approval'; action: string; customData: string } & ApprovalAnswer)
  | { type: 'action-failed'; stage: string; action: string; message: string }
  | { type: 'action-retried'; stage: string; action: string; attempt: number; pipelineExecutionId: string | undefined }
  | { type: 'action-succeeded'; stage: string; action: string; variables: Record<string, string> }
) & { execution?: string };

export interface RunnerOptions {
  lambdas: Invokers;
  results: JobResultSource;
  /** Real time between a continuation and the next invocation (CodePipeline takes about a minute; locally, less). */
  continuationDelayMs: number;
  /** A job still waiting after this many invocations is failed by the runner, like CodePipeline's action timeout. */
  maxInvocations?: number;
  onEvent?: (e: RunnerEvent) => void;
  /**
   * Whether to retry a failed Invoke or custom action in its stage (CodePipeline's "Retry failed actions",
   * RetryStageExecution with FAILED_ACTIONS, or a V2 stage's OnFailure RETRY); `attempt` counts the tries so far.
   */
  retryFailedAction?: (failure: {
    execution: string;
    stage: string;
    action: string;
    message: string;
    attempt: number;
  }) => boolean | Promise<boolean>;
}

export type PipelineResult =
  | { status: 'Succeeded'; variables: Variables }
  | {
      status: 'Failed';
      stage: string;
      action: string;
      message: string;
      variables: Variables;
      /** The approval was rejected (by whom, and why, in `answer`). */
      rejected: boolean;
      answer?: ApprovalAnswer;
    };

/** Replaces `#{Namespace.Variable}` with resolved output variables; an unknown one is an error, as in CodePipeline. */
export function resolveVariables(text: string, variables: Variables): string {
  return text.replace(/#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}/g, (_, ns: string, name: string) => {
    const value = variables[ns]?.[name];
    if (value === undefined) throw new Error(`variable #{${ns}.${name}} is not defined`);
    return value;
  });
}

/**
 * An action's UserParameters as CodePipeline passes them: the configured JSON text with each `#{…}` replaced by the
 * variable's value as is (CodePipeline substitutes text; it does not escape for JSON).
 */
export function resolveUserParameters(userParameters: string | Record<string, unknown>, variables: Variables): string {
  return resolveVariables(configuredText(userParameters), variables);
}

const configuredText = (userParameters: string | Record<string, unknown>) =>
  typeof userParameters === 'string' ? userParameters : JSON.stringify(userParameters);

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
  hooks: { execution?: string; registered?: ActionRun } = {},
): Promise<{ ok: true; variables: Record<string, string> } | { ok: false; message: string }> {
  const lambda = opts.lambdas[action.functionName];
  if (!lambda) return { ok: false, message: `no local function ${action.functionName}` };
  const userParameters = resolveUserParameters(action.userParameters, variables);
  const max = opts.maxInvocations ?? 200;
  let token: string | undefined;
  for (let attempt = 1; attempt <= max; attempt++) {
    const jobId = randomUUID();
    hooks.registered?.addJob(jobId);
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
      ...(hooks.execution ? { execution: hooks.execution } : {}),
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
  return { ok: false, message: `still waiting after ${max} invocations` };
}

/** One stage's lock: one execution at a time, the others queued in arrival order. */
class StageLock {
  private tail: Promise<void> = Promise.resolve();
  holder: string | undefined;
  readonly queued: string[] = [];

  async acquire(label: string): Promise<() => void> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((r) => {
      release = r;
    });
    this.queued.push(label);
    await previous;
    this.queued.splice(this.queued.indexOf(label), 1);
    this.holder = label;
    return () => {
      this.holder = undefined;
      release();
    };
  }
}

/** An action as the emulator's registry declares it: its kind, namespace and configuration (`#{…}` unresolved). */
function declare(a: PipelineAction): ActionDeclaration {
  const configuration: Record<string, string> =
    a.type === 'invoke'
      ? { FunctionName: a.functionName, UserParameters: configuredText(a.userParameters) }
      : a.type === 'approval'
        ? { CustomData: a.customData }
        : {};
  return {
    name: a.name,
    kind: a.type,
    configuration,
    ...('namespace' in a && a.namespace ? { namespace: a.namespace } : {}),
  };
}

/** One execution of a {@link LocalPipeline}. */
export interface PipelineExecution {
  label: string;
  pipelineExecutionId: string | undefined;
  /** Settles when the execution ends. */
  done: Promise<PipelineResult>;
  /** Resolves once the execution has finished `stage` (or ended before it). */
  left(stage: string): Promise<void>;
}

/** Which execution holds each stage, and which wait at its entrance. */
export type StageOccupancy = { stage: string; holder: string | undefined; queued: string[] }[];

/** A pipeline shared by executions, stage by stage, as in CodePipeline's QUEUED mode. */
export class LocalPipeline {
  private readonly locks: Map<string, StageLock>;

  constructor(
    readonly name: string,
    readonly stages: Stage[],
    private readonly opts: RunnerOptions & { registry?: LocalPipelines },
  ) {
    this.locks = new Map(stages.map((s) => [s.name, new StageLock()]));
    opts.registry?.define({ name, stages: stages.map((s) => ({ name: s.name, actions: s.actions.map(declare) })) });
  }

  /** Who holds and who waits for each stage now. */
  occupancy(): StageOccupancy {
    return this.stages.map((s) => {
      const lock = this.locks.get(s.name) as StageLock;
      return { stage: s.name, holder: lock.holder, queued: [...lock.queued] };
    });
  }

  /** Starts an execution labelled `label` (e.g. the release) with `initial` variables (e.g. the source's commit). */
  start(label: string, initial: Variables = {}): PipelineExecution {
    const ctx: ExecutionContext = { label, run: this.opts.registry?.startExecution(this.name), completed: [] };
    const leftStage = new Map(this.stages.map((s) => [s.name, deferred()]));
    const done = this.execute(ctx, initial, leftStage).finally(() => {
      for (const d of leftStage.values()) d.resolve();
    });
    return {
      label,
      get pipelineExecutionId() {
        return ctx.run?.pipelineExecutionId;
      },
      done,
      left: (stage) => leftStage.get(stage)?.promise ?? Promise.reject(new Error(`no stage ${stage}`)),
    };
  }

  /**
   * A retry in the emulator's registry: it records one run per execution and ends it at its first failed action, so
   * the retry continues in a new run that holds the actions already done (with their output variables); the
   * execution's id is that run's from then on (CodePipeline keeps the id; nothing here depends on that).
   */
  private rebase(ctx: ExecutionContext): void {
    if (!this.opts.registry) return;
    ctx.run = this.opts.registry.startExecution(this.name);
    for (const done of ctx.completed) {
      if (done.kind === 'approval') {
        ctx.run.startApproval(done.stage, done.action).answer('Approved', 'approved before the retry');
        continue;
      }
      ctx.run.startAction(done.stage, done.action).succeed({ outputVariables: done.variables });
    }
  }

  private async execute(
    ctx: ExecutionContext,
    initial: Variables,
    leftStage: Map<string, Deferred>,
  ): Promise<PipelineResult> {
    const { label } = ctx;
    const emit = (e: RunnerEvent) => this.opts.onEvent?.({ ...e, execution: label });
    emit({ type: 'execution-started', pipelineExecutionId: ctx.run?.pipelineExecutionId });
    const variables: Variables = structuredClone(initial);
    for (const stage of this.stages) {
      const lock = this.locks.get(stage.name) as StageLock;
      const busy = lock.holder ?? (lock.queued.length ? lock.queued.join(', ') : undefined);
      // acquire() joins the queue at once: the event then shows this execution waiting.
      const acquiring = lock.acquire(label);
      if (busy !== undefined) emit({ type: 'stage-queued', stage: stage.name, behind: busy });
      const release = await acquiring;
      emit({ type: 'stage', stage: stage.name });
      let failed: PipelineResult | undefined;
      try {
        failed = await this.runStage(stage, variables, ctx, emit);
      } finally {
        release();
        emit({ type: 'stage-left', stage: stage.name });
        leftStage.get(stage.name)?.resolve();
      }
      if (failed) return failed;
    }
    return { status: 'Succeeded', variables };
  }

  /** Runs a stage's actions in order; the failure that stops the execution, or undefined. */
  private async runStage(
    stage: Stage,
    variables: Variables,
    ctx: ExecutionContext,
    emit: (e: RunnerEvent) => void,
  ): Promise<PipelineResult | undefined> {
    const { label } = ctx;
    for (const action of stage.actions) {
      emit({ type: 'action', stage: stage.name, action: action.name });
      let produced: Record<string, string> = {};
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.runAction(action, stage.name, variables, ctx, emit);
        if (outcome.ok) {
          produced = outcome.variables;
          break;
        }
        const retry =
          action.type !== 'approval' &&
          (await this.opts.retryFailedAction?.({
            execution: label,
            stage: stage.name,
            action: action.name,
            message: outcome.message,
            attempt,
          }));
        if (!retry) {
          emit({ type: 'action-failed', stage: stage.name, action: action.name, message: outcome.message });
          return {
            status: 'Failed',
            stage: stage.name,
            action: action.name,
            message: outcome.message,
            variables,
            rejected: outcome.answer !== undefined,
            ...(outcome.answer ? { answer: outcome.answer } : {}),
          };
        }
        this.rebase(ctx);
        emit({
          type: 'action-retried',
          stage: stage.name,
          action: action.name,
          attempt: attempt + 1,
          pipelineExecutionId: ctx.run?.pipelineExecutionId,
        });
      }
      ctx.completed.push({
        stage: stage.name,
        action: action.name,
        kind: action.type === 'approval' ? 'approval' : 'action',
        variables: produced,
      });
      if ('namespace' in action && action.namespace) variables[action.namespace] = produced;
      emit({ type: 'action-succeeded', stage: stage.name, action: action.name, variables: produced });
    }
    return undefined;
  }

  /** Runs one action once: its variables, or why it failed (a rejected approval carries its answer). */
  private async runAction(
    action: PipelineAction,
    stageName: string,
    variables: Variables,
    ctx: ExecutionContext,
    emit: (e: RunnerEvent) => void,
  ): Promise<
    { ok: true; variables: Record<string, string> } | { ok: false; message: string; answer?: ApprovalAnswer }
  > {
    const { label, run } = ctx;
    if (action.type === 'invoke') {
      const registered = run?.startAction(stageName, action.name, {
        resolvedConfiguration: {
          FunctionName: action.functionName,
          UserParameters: resolveUserParameters(action.userParameters, variables),
        },
      });
      const outcome = await runInvoke(action, variables, this.opts, {
        execution: label,
        ...(registered ? { registered } : {}),
      });
      // A job the function reported as failed already failed the action; anything else the runner ends here.
      if (!outcome.ok) registered?.fail(outcome.message);
      return outcome;
    }
    if (action.type === 'custom') {
      const registered = run?.startAction(stageName, action.name);
      try {
        const { variables: vars, summary } = await action.run(variables, label);
        emit({ type: 'custom', action: action.name, summary });
        registered?.succeed({ outputVariables: vars, summary });
        return { ok: true, variables: vars };
      } catch (err) {
        registered?.fail((err as Error).message);
        return { ok: false, message: (err as Error).message };
      }
    }
    const customData = resolveVariables(action.customData, variables);
    emit({ type: 'approval-pending', action: action.name, customData });
    const answer = await this.approve(action, customData, label, run, stageName);
    emit({ type: 'approval', action: action.name, customData, ...answer });
    if (answer.approved) return { ok: true, variables: {} };
    const byApi = answer.by === 'PutApprovalResult' ? ` by PutApprovalResult: ${answer.summary}` : '';
    return {
      ok: false,
      message: `the approval was rejected${byApi}`,
      answer,
    };
  }

  /** The first answer wins: the reviewer's, or a PutApprovalResult sent to the emulator meanwhile. */
  private async approve(
    action: Extract<PipelineAction, { type: 'approval' }>,
    customData: string,
    label: string,
    run: PipelineRun | undefined,
    stageName: string,
  ): Promise<ApprovalAnswer> {
    const answered = new AbortController();
    const request = {
      customData,
      execution: label,
      pipelineExecutionId: run?.pipelineExecutionId,
      signal: answered.signal,
    };
    const pending = run?.startApproval(stageName, action.name, { customData });
    if (!pending) return { approved: await action.decide(customData, request), by: 'reviewer', summary: '' };
    action.decide(customData, request).then(
      (approved) =>
        pending.answer(
          approved ? 'Approved' : 'Rejected',
          approved ? 'approved by the reviewer' : 'rejected by the reviewer',
        ),
      (err: unknown) => pending.answer('Rejected', `the reviewer failed: ${(err as Error).message}`),
    );
    const outcome = await pending.result;
    answered.abort();
    if (outcome.status === 'Abandoned') return { approved: false, by: 'reviewer', summary: 'abandoned' };
    return {
      approved: outcome.status === 'Approved',
      by: outcome.answeredBy === 'local' ? 'reviewer' : 'PutApprovalResult',
      summary: outcome.summary,
    };
  }
}

/** One execution as it runs: its registry run (replaced on a retry) and the actions it has done. */
interface ExecutionContext {
  label: string;
  run: PipelineRun | undefined;
  completed: { stage: string; action: string; kind: 'action' | 'approval'; variables: Record<string, string> }[];
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
