/**
 * CodePipeline's pipeline state: the pipelines, their executions, each action execution's status and output
 * variables, and the pending manual approvals. The emulator does not run pipelines; the local runner does, and
 * fills this registry in-process (`emulator.pipelines`, see README.md). GetPipelineState, PutApprovalResult and
 * ListActionExecutions answer from it, and a job the runner links to an action completes that action when the
 * function reports it, as in CodePipeline.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from './errors.js';
import type { JobResult } from './account.js';

/** What kind of action a stage holds: a Lambda invoke, a manual approval, or anything else the runner does. */
export type ActionKind = 'invoke' | 'approval' | 'custom';

export interface ActionTypeId {
  category: 'Source' | 'Build' | 'Deploy' | 'Test' | 'Invoke' | 'Approval' | 'Compute';
  owner: 'AWS' | 'ThirdParty' | 'Custom';
  provider: string;
  version: string;
}

export interface ActionDeclaration {
  name: string;
  kind: ActionKind;
  /** Default: Invoke/AWS/Lambda/1, Approval/AWS/Manual/1, or Deploy/AWS/CloudFormation/1 for `custom`. */
  actionTypeId?: ActionTypeId;
  /** The action's configuration as declared (`#{…}` unresolved), e.g. `{FunctionName, UserParameters}`. */
  configuration?: Record<string, string>;
  namespace?: string;
}

export interface PipelineDeclaration {
  name: string;
  stages: { name: string; actions: ActionDeclaration[] }[];
}

export type ActionStatus = 'InProgress' | 'Abandoned' | 'Succeeded' | 'Failed';
export type ExecutionStatus = 'InProgress' | 'Stopped' | 'Succeeded' | 'Failed';

/** How a pending approval ended: answered (by PutApprovalResult or the runner's own reviewer), or abandoned. */
export type ApprovalOutcome =
  | { status: 'Approved' | 'Rejected'; summary: string; answeredBy: 'PutApprovalResult' | 'local'; at: number }
  | { status: 'Abandoned'; at: number };

/** One action execution, the unit ListActionExecutions lists. */
export interface ActionExecutionRecord {
  actionExecutionId: string;
  pipelineExecutionId: string;
  stageName: string;
  actionName: string;
  kind: ActionKind;
  actionTypeId: ActionTypeId;
  configuration: Record<string, string>;
  resolvedConfiguration: Record<string, string>;
  namespace?: string;
  status: ActionStatus;
  startTime: number;
  lastUpdateTime: number;
  summary?: string;
  errorDetails?: { code: string; message: string };
  outputVariables?: Record<string, string>;
  /** The approval's token (approvals only). */
  token?: string;
  /** The last job id of an invoke action. */
  externalExecutionId?: string;
}

export interface ExecutionRecord {
  pipelineExecutionId: string;
  pipelineName: string;
  pipelineVersion: number;
  status: ExecutionStatus;
  startTime: number;
  lastUpdateTime: number;
  actions: ActionExecutionRecord[];
}

/** A pipeline in `GET /_emulator/state`. */
export interface PipelineSummary {
  name: string;
  version: number;
  executions: {
    pipelineExecutionId: string;
    status: ExecutionStatus;
    actions: {
      stageName: string;
      actionName: string;
      status: ActionStatus;
      token?: string;
      summary?: string;
      outputVariables?: Record<string, string>;
    }[];
  }[];
}

export interface PipelineRecord {
  declaration: PipelineDeclaration;
  version: number;
  created: number;
  updated: number;
  executions: ExecutionRecord[];
}

/** An action the runner started; its job reports, or `succeed`/`fail`, complete it. */
export interface ActionRun {
  readonly actionExecutionId: string;
  readonly record: ActionExecutionRecord;
  /**
   * Links a CodePipeline job to this action (call it before invoking the function with that job id). The job's
   * report completes the action as CodePipeline does: a success without a continuation token → Succeeded with its
   * output variables; a failure → Failed; a continuation keeps it InProgress (the next job is linked in turn).
   */
  addJob(jobId: string): void;
  /** Completes the action (custom actions, or a runner-side timeout); false when it had already completed. */
  succeed(opts?: { outputVariables?: Record<string, string>; summary?: string }): boolean;
  fail(message: string, code?: string): boolean;
}

/** A pending manual approval: its token is in GetPipelineState while it is InProgress. */
export interface ApprovalRun {
  readonly actionExecutionId: string;
  readonly token: string;
  /** Settles with the first answer, from PutApprovalResult or {@link answer}; `Abandoned` when the run stops. */
  readonly result: Promise<ApprovalOutcome>;
  /** The runner's own reviewer answers; false (and no change) when the approval is no longer pending. */
  answer(status: 'Approved' | 'Rejected', summary?: string): boolean;
}

/** One run of a pipeline, as the runner drives it. */
export interface PipelineRun {
  readonly pipelineName: string;
  readonly pipelineExecutionId: string;
  readonly record: ExecutionRecord;
  /** An invoke or custom action starts (InProgress). */
  startAction(
    stageName: string,
    actionName: string,
    opts?: { resolvedConfiguration?: Record<string, string> },
  ): ActionRun;
  /** A manual approval starts: InProgress with a fresh token until answered. */
  startApproval(stageName: string, actionName: string, opts?: { customData?: string }): ApprovalRun;
  /** Stops the run: InProgress actions become Abandoned (pending approvals settle `Abandoned`). */
  stop(): void;
}

const DEFAULT_TYPES: Record<ActionKind, ActionTypeId> = {
  invoke: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
  approval: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
  custom: { category: 'Deploy', owner: 'AWS', provider: 'CloudFormation', version: '1' },
};

const NAME = /^[A-Za-z0-9.@\-_]{1,100}$/;

/** The account's pipelines; `now` is the emulator's clock. */
export class PipelineRegistry {
  private readonly pipelines = new Map<string, PipelineRecord>();
  private readonly jobActions = new Map<string, ActionExecutionRecord>();
  private readonly approvals = new Map<string, { settle(o: ApprovalOutcome): void; settled: boolean }>();

  constructor(
    private readonly now: () => number,
    private readonly accountId: string,
  ) {}

  /** Declares a pipeline's stages and actions (again: a new pipeline version; its executions are kept). */
  define(declaration: PipelineDeclaration): void {
    const names = [declaration.name, ...declaration.stages.flatMap((s) => [s.name, ...s.actions.map((a) => a.name)])];
    const bad = names.find((n) => !NAME.test(n));
    if (bad !== undefined) throw new Error(`pipeline, stage and action names must match ${NAME}, got ${bad}`);
    const existing = this.pipelines.get(declaration.name);
    const declared = structuredClone(declaration);
    if (existing) {
      existing.declaration = declared;
      existing.version += 1;
      existing.updated = this.now();
    } else {
      const t = this.now();
      this.pipelines.set(declaration.name, {
        declaration: declared,
        version: 1,
        created: t,
        updated: t,
        executions: [],
      });
    }
  }

  /** A new run of a declared pipeline. */
  startExecution(pipelineName: string): PipelineRun {
    const pipeline = this.pipelines.get(pipelineName);
    if (!pipeline) throw new Error(`pipeline ${pipelineName} is not declared; call define() first`);
    const t = this.now();
    const execution: ExecutionRecord = {
      pipelineExecutionId: randomUUID(),
      pipelineName,
      pipelineVersion: pipeline.version,
      status: 'InProgress',
      startTime: t,
      lastUpdateTime: t,
      actions: [],
    };
    pipeline.executions.push(execution);
    return this.runHandle(pipeline, execution);
  }

  /** Every pipeline with its runs, for the state dump. */
  snapshot(): PipelineSummary[] {
    return [...this.pipelines.values()].map((p) => ({
      name: p.declaration.name,
      version: p.version,
      executions: p.executions.map((e) => ({
        pipelineExecutionId: e.pipelineExecutionId,
        status: e.status,
        actions: e.actions.map((a) => ({
          stageName: a.stageName,
          actionName: a.actionName,
          status: a.status,
          ...(a.token !== undefined && a.status === 'InProgress' ? { token: a.token } : {}),
          ...(a.summary !== undefined ? { summary: a.summary } : {}),
          ...(a.outputVariables ? { outputVariables: a.outputVariables } : {}),
        })),
      })),
    }));
  }

  /** A declared pipeline; throws the API's PipelineNotFoundException otherwise. */
  pipeline(name: unknown): PipelineRecord {
    const p = typeof name === 'string' ? this.pipelines.get(name) : undefined;
    if (!p)
      throw new ApiError(
        'PipelineNotFoundException',
        `Account '${this.accountId}' does not have a pipeline with name '${String(name)}'`,
      );
    return p;
  }

  /** A job's report, as PutJobSuccessResult/PutJobFailureResult accepted it. */
  jobReported(jobId: string, result: JobResult, summary?: string): void {
    const action = this.jobActions.get(jobId);
    if (action?.status !== 'InProgress') return;
    if (result.kind === 'failure')
      this.complete(action, 'Failed', { errorDetails: { code: result.type, message: result.message } });
    else if (!result.continuationToken)
      this.complete(action, 'Succeeded', {
        ...(result.outputVariables ? { outputVariables: result.outputVariables } : {}),
        ...(summary ? { summary } : {}),
      });
    else {
      action.lastUpdateTime = this.now();
      if (summary) action.summary = summary;
    }
  }

  /** PutApprovalResult: the checks CodePipeline makes, in its error codes; returns when it was approved. */
  answerApproval(input: {
    pipelineName: unknown;
    stageName: unknown;
    actionName: unknown;
    token: unknown;
    status: 'Approved' | 'Rejected';
    summary: string;
  }): number {
    const pipeline = this.pipeline(input.pipelineName);
    const stage = pipeline.declaration.stages.find((s) => s.name === input.stageName);
    if (!stage)
      throw new ApiError('StageNotFoundException', `Stage '${String(input.stageName)}' not found in the pipeline.`);
    if (!stage.actions.some((a) => a.name === input.actionName))
      throw new ApiError(
        'ActionNotFoundException',
        `Action '${String(input.actionName)}' not found in stage '${stage.name}'.`,
      );
    const action = pipeline.executions
      .flatMap((e) => e.actions)
      .find((a) => a.kind === 'approval' && a.token === input.token);
    // Inferred, not documented: an answered approval's token → ApprovalAlreadyCompleted; a token this action never
    // issued, or one whose run stopped, → InvalidApprovalToken ("already received a response or has expired").
    if (!action || action.stageName !== stage.name || action.actionName !== input.actionName)
      throw new ApiError('InvalidApprovalTokenException', `Invalid token ${String(input.token)} for the approval.`);
    if (action.status === 'Succeeded' || action.status === 'Failed')
      throw new ApiError(
        'ApprovalAlreadyCompletedException',
        `The approval action ${action.actionName} ` +
          `has already been ${action.status === 'Succeeded' ? 'approved' : 'rejected'}.`,
      );
    if (action.status !== 'InProgress')
      throw new ApiError(
        'InvalidApprovalTokenException',
        `The approval request for token ${action.token} has expired.`,
      );
    return this.settleApproval(action, input.status, input.summary, 'PutApprovalResult');
  }

  private settleApproval(
    action: ActionExecutionRecord,
    status: 'Approved' | 'Rejected',
    summary: string,
    answeredBy: 'PutApprovalResult' | 'local',
  ): number {
    const at = this.now();
    this.complete(action, status === 'Approved' ? 'Succeeded' : 'Failed', { summary });
    const pending = this.approvals.get(action.actionExecutionId);
    if (pending && !pending.settled) {
      pending.settled = true;
      pending.settle({ status, summary, answeredBy, at });
    }
    return at;
  }

  private complete(
    action: ActionExecutionRecord,
    status: 'Succeeded' | 'Failed' | 'Abandoned',
    extra: Partial<Pick<ActionExecutionRecord, 'outputVariables' | 'summary' | 'errorDetails'>> = {},
  ): boolean {
    if (action.status !== 'InProgress') return false;
    Object.assign(action, extra, { status, lastUpdateTime: this.now() });
    const execution = this.executionOf(action);
    if (execution) this.updateExecution(execution);
    return true;
  }

  private executionOf(action: ActionExecutionRecord): ExecutionRecord | undefined {
    for (const p of this.pipelines.values())
      for (const e of p.executions) if (e.pipelineExecutionId === action.pipelineExecutionId) return e;
    return undefined;
  }

  /** Failed at the first failed action; Succeeded once every declared action succeeded in this run. */
  private updateExecution(execution: ExecutionRecord): void {
    if (execution.status !== 'InProgress') return;
    execution.lastUpdateTime = this.now();
    if (execution.actions.some((a) => a.status === 'Failed')) {
      execution.status = 'Failed';
      return;
    }
    const declared = this.pipelines.get(execution.pipelineName)?.declaration.stages ?? [];
    const done = declared.every((s) =>
      s.actions.every((d) =>
        execution.actions.some((a) => a.stageName === s.name && a.actionName === d.name && a.status === 'Succeeded'),
      ),
    );
    if (done) execution.status = 'Succeeded';
  }

  private runHandle(pipeline: PipelineRecord, execution: ExecutionRecord): PipelineRun {
    const begin = (stageName: string, actionName: string, approval: boolean) => {
      if (execution.status !== 'InProgress')
        throw new Error(`execution ${execution.pipelineExecutionId} is ${execution.status}`);
      const declared = pipeline.declaration.stages
        .find((s) => s.name === stageName)
        ?.actions.find((a) => a.name === actionName);
      if (!declared)
        throw new Error(`pipeline ${pipeline.declaration.name} declares no action ${stageName}/${actionName}`);
      if ((declared.kind === 'approval') !== approval)
        throw new Error(
          `${stageName}/${actionName} is a ${declared.kind} action: ` +
            `use ${declared.kind === 'approval' ? 'startApproval' : 'startAction'}`,
        );
      const t = this.now();
      const record: ActionExecutionRecord = {
        actionExecutionId: randomUUID(),
        pipelineExecutionId: execution.pipelineExecutionId,
        stageName,
        actionName,
        kind: declared.kind,
        actionTypeId: declared.actionTypeId ?? DEFAULT_TYPES[declared.kind],
        configuration: { ...(declared.configuration ?? {}) },
        resolvedConfiguration: { ...(declared.configuration ?? {}) },
        status: 'InProgress',
        startTime: t,
        lastUpdateTime: t,
      };
      if (declared.namespace) record.namespace = declared.namespace;
      execution.actions.push(record);
      execution.lastUpdateTime = t;
      return record;
    };
    return {
      pipelineName: pipeline.declaration.name,
      pipelineExecutionId: execution.pipelineExecutionId,
      record: execution,
      startAction: (stageName, actionName, opts) => {
        const record = begin(stageName, actionName, false);
        if (opts?.resolvedConfiguration) record.resolvedConfiguration = { ...opts.resolvedConfiguration };
        return {
          actionExecutionId: record.actionExecutionId,
          record,
          addJob: (jobId) => {
            this.jobActions.set(jobId, record);
            record.externalExecutionId = jobId;
          },
          succeed: (o) =>
            this.complete(record, 'Succeeded', {
              ...(o?.outputVariables ? { outputVariables: { ...o.outputVariables } } : {}),
              ...(o?.summary ? { summary: o.summary } : {}),
            }),
          fail: (message, code = 'JobFailed') => this.complete(record, 'Failed', { errorDetails: { code, message } }),
        };
      },
      startApproval: (stageName, actionName, opts) => {
        const record = begin(stageName, actionName, true);
        record.token = randomUUID();
        if (opts?.customData !== undefined) record.resolvedConfiguration.CustomData = opts.customData;
        let settle!: (o: ApprovalOutcome) => void;
        const result = new Promise<ApprovalOutcome>((resolve) => {
          settle = resolve;
        });
        this.approvals.set(record.actionExecutionId, { settle, settled: false });
        return {
          actionExecutionId: record.actionExecutionId,
          token: record.token,
          result,
          answer: (status, summary = '') => {
            if (record.status !== 'InProgress') return false;
            this.settleApproval(record, status, summary, 'local');
            return true;
          },
        };
      },
      stop: () => {
        for (const a of execution.actions) {
          if (!this.complete(a, 'Abandoned')) continue;
          const pending = this.approvals.get(a.actionExecutionId);
          if (pending && !pending.settled) {
            pending.settled = true;
            pending.settle({ status: 'Abandoned', at: this.now() });
          }
        }
        if (execution.status === 'InProgress') execution.status = 'Stopped';
        execution.lastUpdateTime = this.now();
      },
    };
  }
}
