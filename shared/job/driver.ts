/**
 * The one driver every action runs through. An action is a declaration ({@link ActionDefinition}): its parameters, the
 * phases it waits in, how it reads, plans and writes, what it remembers, and how it summarises. The driver runs one
 * pass — read → plan → apply (stale ETags re-read and re-planned, see apply-plan.ts) → wait or done — keeps
 * what the passes wrote and remembered across continuations, and owns the wait limit (`MaxWaitMinutes`). The triggers
 * are thin adapters around it: the CodePipeline job (codepipeline-job.ts), the plain EventBridge event (abort), cfcd
 * with its confirmation and `--resume` (cli/job-loop.ts), and the local pipeline (which runs the Lambda bundles).
 */
import { type PlanApproval, type PlanSteps, type Remembered, applyPlan } from '../aws/apply-plan.js';
import { CfcdError, PIPELINE_WORDS, type Words, step } from '../domain/errors.js';
import type { Change, Plan, Wait } from '../domain/plan.js';
import type { Logger } from '../log.js';
import { type Continuation, type ContinuationData, ofPhases } from './continuation.js';

/** What an action keeps between its invocations: strings only, they travel in the continuation token. */
export type Memory = ContinuationData;

/** The memory key under which the driver keeps the changes written by earlier passes of the same job. */
const WRITTEN = 'written';

/** How one pass of an action ended. */
export type Outcome<Phase extends string = string, M extends Memory = Memory> =
  | { kind: 'succeeded'; summary: string; outputVariables?: Record<string, string> }
  | {
      kind: 'waiting';
      phase: Phase;
      /** Why we wait, for the log and for the failure message if the wait limit is reached. */
      reason: string;
      /** The distributions still `InProgress`. */
      inProgress: string[];
      /** The wait in one short line, for a display that repeats it every pass (cfcd's progress line). */
      brief?: string;
      data?: M;
    };

/** The waiting outcome for a plan's `next: wait`, with what the next invocation needs. */
export function waitingOutcome<Phase extends string, M extends Memory>(next: Wait<Phase>, data?: M): Outcome<Phase, M> {
  const { phase, reason, inProgress, brief } = next;
  return {
    kind: 'waiting',
    phase,
    reason,
    inProgress,
    ...(brief ? { brief } : {}),
    ...(data && Object.keys(data).length ? { data } : {}),
  };
}

/** What a pass is given: the parameters, where the job stands, and what earlier passes remembered. */
export interface PassInput<P, Phase extends string, M extends Memory> {
  params: P;
  /** The phase the previous invocation waited in; undefined on the first. */
  phase: Phase | undefined;
  memory: M;
  log: Logger;
}

/** What a pass read, planned and wrote. */
export interface Pass<P, S, Pl extends Plan<Change, string>, M extends Memory> {
  params: P;
  /** The state the last plan was made from. */
  state: S;
  /** The last plan (after any re-plan). */
  plan: Pl;
  /** The change kinds this pass wrote, in order. */
  written: string[];
  /** The change kinds every pass of the job wrote so far, this one's included. */
  changes: string[];
  next: Pl['next'];
  /** What the next invocation gets: the earlier memory, what this pass remembered, and the changes so far. */
  memory: M;
}

/** An action, declared. */
export interface ActionDefinition<P, S, Pl extends Plan<Change, Phase>, Phase extends string, M extends Memory> {
  name: string;
  /** The UserParameters keys it accepts (cfcd makes a flag of each). */
  parameterNames: readonly string[];
  /** Parses UserParameters (or the object cfcd builds from flags); throws an InputError naming the field. */
  parseParams(userParameters: unknown): P;
  /** The total wait allowed across continuations, in minutes. */
  maxWaitMinutes(params: P): number;
  /** Every phase the action waits in; a token with any other phase is refused before anything runs. */
  phases: readonly Phase[];
  /** Reads the memory back from a token of `phase`; throws a ContinuationError when it lacks what the phase needs. */
  readMemory?(phase: Phase, data: Memory | undefined): M;
  /** The step name of the first read, e.g. "read primary, staging and policy". */
  readStep: string;
  /** How to read, plan and write in this pass. */
  steps(input: PassInput<P, Phase, M>): PlanSteps<S, Pl>;
  /** What the pass leaves for the next invocation, besides the changes and what the writes remembered. */
  remember?(pass: { state: S; plan: Pl; written: string[]; input: PassInput<P, Phase, M> }): Partial<M>;
  /** The report once the plan says done, naming what to do next (if anything) in the trigger's `words`. */
  summarise(
    pass: Pass<P, S, Pl, M>,
    log: Logger,
    words: Words,
  ): { summary: string; outputVariables: Record<string, string> };
}

/** What an adapter hands a run: the parameters, the token's continuation, the log, and its reader's words. */
export interface RunInput<P, Phase extends string, M extends Memory> {
  params: P;
  continuation: Continuation<Phase, M> | undefined;
  log: Logger;
  /** How the trigger's user names parameters and commands (a summary's next step); a pipeline's by default. */
  words?: Words;
}

/** What a trigger may add to a run: cfcd's last look at each plan before it is applied. */
export interface RunOptions {
  approve?: PlanApproval | undefined;
}

/** Runs one pass of `def`: read, plan, apply, and what the next invocation is to remember. */
export async function runPass<P, S, Pl extends Plan<Change, Phase>, Phase extends string, M extends Memory>(
  def: Pick<ActionDefinition<P, S, Pl, Phase, M>, 'readStep' | 'steps' | 'remember'>,
  { params, continuation, log }: RunInput<P, Phase, M>,
  { approve }: RunOptions = {},
): Promise<Pass<P, S, Pl, M>> {
  const memory = (continuation?.data ?? {}) as M;
  const input: PassInput<P, Phase, M> = { params, phase: continuation?.phase, memory, log };
  const steps = def.steps(input);
  const initial = await step(def.readStep, () => steps.read());
  const applied = await applyPlan(steps, initial, log, approve);
  const written = applied.written.map((c) => c.kind);
  const earlier = memory[WRITTEN];
  const changes = [...(earlier ? earlier.split(',') : []), ...written];
  const kept: Remembered = {
    ...memory,
    ...def.remember?.({ state: applied.state, plan: applied.plan, written, input }),
    ...applied.remembered,
    ...(changes.length ? { [WRITTEN]: changes.join(',') } : {}),
  };
  return { params, state: applied.state, plan: applied.plan, written, changes, next: applied.next, memory: kept as M };
}

/** Runs one pass and turns it into the outcome an adapter reports: a wait to hand on, or the summary. */
export async function runAction<P, S, Pl extends Plan<Change, Phase>, Phase extends string, M extends Memory>(
  def: ActionDefinition<P, S, Pl, Phase, M>,
  input: RunInput<P, Phase, M>,
  options: RunOptions = {},
): Promise<Outcome<Phase, M>> {
  const pass = await runPass(def, input, options);
  if (pass.next.kind === 'wait') return waitingOutcome(pass.next, pass.memory);
  const { summary, outputVariables } = def.summarise(pass, input.log, input.words ?? PIPELINE_WORDS);
  return { kind: 'succeeded', summary, outputVariables };
}

/** The shape the adapters need of any action, whatever its parameters, state and plan. */
export type AnyAction = ActionDefinition<unknown, unknown, Plan<Change, string>, string, Memory>;

/**
 * Decodes what a token carries for `def`: refuses a phase the action never writes and lets the action read its memory
 * back. What the next invocation gets (cfcd reads its own `--resume` tokens back the same way).
 */
export function continuationFor<Phase extends string, M extends Memory>(
  def: { name: string; phases: readonly Phase[]; readMemory?(phase: Phase, data: Memory | undefined): M },
  decoded: Continuation,
): Continuation<Phase, M> {
  const { phase, startedAt, data } = ofPhases(def.name, def.phases, decoded);
  const memory = def.readMemory ? def.readMemory(phase, data) : (data as M | undefined);
  return { phase, startedAt, ...(memory && Object.keys(memory).length ? { data: memory } : {}) };
}

/** The wait went on past the action's `MaxWaitMinutes`: the changes made stay, a re-run resumes from the live state. */
export class WaitLimitError extends CfcdError {
  override readonly name = 'WaitLimitError';
  readonly kind = 'failed';
}

/**
 * Throws a {@link WaitLimitError} when a wait has gone on past the action's limit, counted from the first invocation.
 * Its message names the limit and the way to carry on in its reader's words (UserParameters or flags).
 */
export function checkWaitLimit<P>(
  def: { maxWaitMinutes(params: P): number },
  params: P,
  outcome: { reason: string; inProgress: string[] },
  waitedMs: number,
): void {
  const limitMinutes = def.maxWaitMinutes(params);
  if (waitedMs < limitMinutes * 60_000) return;
  const stuck = outcome.inProgress.length ? `; still InProgress: ${outcome.inProgress.join(', ')}` : '';
  throw new WaitLimitError(
    (w) =>
      `gave up after waiting ${Math.round(waitedMs / 60_000)} minutes ` +
      `(${w.param('MaxWaitMinutes', String(limitMinutes))}) for: ${outcome.reason}${stuck}. ` +
      `The changes already made stay in place; ${w.rerun} to carry on from the live state.`,
  );
}
