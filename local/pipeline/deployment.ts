/**
 * The pipeline stack of infra/pipeline.yml, deployed locally: its pipeline run by the local CodePipeline (QUEUED,
 * registered with the emulator), its EventBridge rules delivering CodePipeline's action state changes (a failed
 * approval → abort, with the rule's InputTransformer) and the watch's schedule. `npm start` and the chaos run both
 * drive releases through it.
 */
import type { LocalPipelines } from '../emulator/index.js';
import type { LocalClients } from './aws.js';
import { gatheringTraffic, type Reviewer } from './cycle-kit.js';
import { actionStateChange, matches, targetInput } from './eventbridge.js';
import { invokerNamed, type InvocationResult, type Invokers } from './lambda.js';
import {
  LocalArtifacts,
  PIPELINE_NAME,
  pipelineStages,
  stackParameters,
  type Release,
  type StackSettings,
} from './pipeline-definition.js';
import {
  LocalPipeline,
  type JobResultSource,
  type PipelineExecution,
  type RunnerEvent,
  type RunnerOptions,
} from './local-codepipeline.js';
import type { LocalSite } from './site.js';
import { SimulatedStagingStack } from './staging-stack.js';
import { loadTemplatePipeline, type EventRule, type TemplatePipeline } from './template-pipeline.js';
import { pairs, type Timeline } from './timeline.js';
import { startWatchSchedule, type WatchSchedule } from './watch-schedule.js';

/** What the deployment needs from the emulator. */
export interface DeploymentEmulator extends JobResultSource {
  pipelines: LocalPipelines;
}

export interface DeploymentOptions {
  emulator: DeploymentEmulator;
  clients: LocalClients;
  site: LocalSite;
  /** The functions, by name: warm local workers, or anything that invokes them like Lambda. */
  lambdas: Invokers;
  settings: StackSettings;
  /** Real time between a continuation and the next invocation, and between watch ticks (a minute, scaled). */
  continuationDelayMs: number;
  /** A job still waiting after this many invocations fails (CodePipeline's action timeout). */
  maxInvocations?: number;
  timeline: Timeline;
  /** Whether to retry a failed action in its stage (see RunnerOptions.retryFailedAction). */
  retryFailedAction?: RunnerOptions['retryFailedAction'];
  /** Extra stack parameters, e.g. `MaxWaitMinutes`. */
  parameters?: Record<string, string>;
  /** Time between the watch's ticks (its one minute, scaled); default the continuation delay, at least 50 ms. */
  watchIntervalMs?: number;
  /**
   * The staging stack, when it outlives this pipeline stack (an update of the pipeline stack, e.g. setting SitePath,
   * leaves the staging stack as it is); by default a new one.
   */
  stack?: SimulatedStagingStack;
  /** What CodeBuild actions run with locally (see PipelineBindings.buildEnvironment): needed with SitePath. */
  buildEnvironment?: Record<string, string>;
}

export interface LocalDeployment {
  layout: TemplatePipeline;
  /** The staging stack this pipeline deploys. */
  stack: SimulatedStagingStack;
  pipeline: LocalPipeline;
  /** Every runner event so far, in order. */
  events: RunnerEvent[];
  watch: WatchSchedule;
  /**
   * Commits a release: a new pipeline execution labelled by its version (or `label`, e.g. for a re-run of the same
   * release), reviewed by `reviewer`.
   */
  commit(
    r: Release,
    reviewer: Reviewer,
    more?: { whileGatheringTraffic?: () => Promise<void>; label?: string },
  ): PipelineExecution;
  /** What EventBridge's rules invoked for an execution's action state changes, once all are done. */
  deliveries(execution: string): Promise<InvocationResult[]>;
  /** Holds EventBridge's deliveries for the execution until `until` settles (Lambda's asynchronous retry, late). */
  holdDeliveries(execution: string, until: Promise<unknown>): void;
  /** Stops the watch schedule (the functions are the caller's). */
  stop(): Promise<void>;
}

export function startDeployment(opts: DeploymentOptions): LocalDeployment {
  const { emulator, lambdas, timeline: tl } = opts;
  const layout = loadTemplatePipeline(
    { ...stackParameters(opts.site, opts.settings), ...opts.parameters },
    { pipelineName: PIPELINE_NAME },
  );
  const stack = opts.stack ?? new SimulatedStagingStack(opts.clients);
  const artifacts = new LocalArtifacts();
  const events: RunnerEvent[] = [];
  const releases = new Map<string, Release>();
  const reviewers = new Map<string, Reviewer>();
  const executions = new Map<string, PipelineExecution>();
  const deliveries = new Map<string, Promise<InvocationResult>[]>();
  const held = new Map<string, Promise<unknown>>();
  const synthetic = new Map<string, { traffic: () => Promise<void>; started?: Promise<void> }>();

  const pipeline = new LocalPipeline(
    PIPELINE_NAME,
    pipelineStages(layout, {
      releaseOf: (label) => releases.get(label) as Release,
      stack,
      artifacts,
      ...(opts.buildEnvironment ? { buildEnvironment: opts.buildEnvironment } : {}),
      decide: (customData, request) => (reviewers.get(request.execution) as Reviewer)(customData, request),
    }),
    {
      lambdas,
      results: emulator,
      continuationDelayMs: opts.continuationDelayMs,
      ...(opts.maxInvocations ? { maxInvocations: opts.maxInvocations } : {}),
      ...(opts.retryFailedAction ? { retryFailedAction: opts.retryFailedAction } : {}),
      registry: emulator.pipelines,
      onEvent: (e) => {
        events.push(e);
        tl.event(e);
        const label = e.execution ?? '';
        const extra = synthetic.get(label);
        if (extra && !extra.started && gatheringTraffic(e)) extra.started = extra.traffic();
        if (e.type === 'action-failed' || e.type === 'action-succeeded')
          publish(label, e.stage, e.action, e.type === 'action-failed' ? 'FAILED' : 'SUCCEEDED');
      },
    },
  );

  /** CodePipeline's state-change event for an action, delivered to every rule it matches. */
  function publish(label: string, stage: string, action: string, state: 'FAILED' | 'SUCCEEDED'): void {
    const execution = executions.get(label);
    if (!execution?.pipelineExecutionId) return;
    const event = actionStateChange({
      pipeline: PIPELINE_NAME,
      'execution-id': execution.pipelineExecutionId,
      stage,
      action,
      state,
    });
    for (const rule of layout.eventRules.filter((r) => matches(r.pattern, event)))
      deliveries.set(label, [...(deliveries.get(label) ?? []), deliver(rule, label, event)]);
  }

  async function deliver(rule: EventRule, label: string, event: unknown): Promise<InvocationResult> {
    const input = targetInput(rule, event);
    const wait = held.get(label);
    if (wait) {
      tl.noteFor(label, `⇢ EventBridge rule ${rule.name} matched; Lambda delivers to ${rule.functionName} later`);
      await wait;
    }
    tl.noteFor(
      label,
      `⇢ EventBridge rule ${rule.name} → ${rule.functionName} with ${pairs(input as Record<string, unknown>, 150)}`,
    );
    const result = await invokerNamed(lambdas, rule.functionName).invoke(input);
    tl.event({
      type: 'invocation',
      action: rule.functionName,
      functionName: rule.functionName,
      trigger: 'eventbridge',
      jobId: '',
      attempt: 1,
      logs: result.logs,
      result: undefined,
      durationMs: result.durationMs,
      execution: label,
    });
    return result;
  }

  const watch = startWatchSchedule(
    layout.schedules,
    lambdas,
    opts.watchIntervalMs ?? Math.max(50, opts.continuationDelayMs),
    tl,
  );
  return {
    layout,
    stack,
    pipeline,
    events,
    watch,
    commit: (r, reviewer, more = {}) => {
      const label = more.label ?? r.version;
      releases.set(label, r);
      reviewers.set(label, reviewer);
      if (more.whileGatheringTraffic) synthetic.set(label, { traffic: more.whileGatheringTraffic });
      const execution = pipeline.start(label);
      executions.set(label, execution);
      const done = execution.done.then(async (result) => {
        await synthetic.get(label)?.started;
        return result;
      });
      return {
        label,
        get pipelineExecutionId() {
          return execution.pipelineExecutionId;
        },
        done,
        left: execution.left,
      };
    },
    deliveries: async (label) => Promise.all(deliveries.get(label) ?? []),
    holdDeliveries: (label, until) => {
      held.set(label, until);
    },
    stop: async () => {
      await watch.stop();
      artifacts.dispose();
    },
  };
}
