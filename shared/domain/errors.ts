/**
 * One error family. Every error of ours is a {@link CfcdError} with a `kind`, and the kind alone decides how a trigger
 * reports it: the CodePipeline failure type, cfcd's exit code. Nothing here relies on string matching, and nothing
 * keeps a list of classes: a new error says what kind it is.
 */

/**
 * - `input`: the parameters, the event or the command line are wrong; nothing was called or written.
 * - `refused`: a check on the live state (or cfcd's own) stopped the action before any write.
 * - `failed`: an AWS call, a step or a wait failed; what was written stays, and a re-run resumes from the live state.
 * - `interrupted`: the person pressed Ctrl-C; nothing is half-made.
 * - `declined`: the person said no at the confirmation; nothing was written.
 */
export type ErrorKind = 'input' | 'refused' | 'failed' | 'interrupted' | 'declined';

/** The CodePipeline failure type of each kind. */
export const FAILURE_TYPE = {
  input: 'ConfigurationError',
  refused: 'JobFailed',
  failed: 'JobFailed',
  interrupted: 'JobFailed',
  declined: 'JobFailed',
} as const satisfies Record<ErrorKind, 'ConfigurationError' | 'JobFailed'>;

/** cfcd's exit code of each kind: 2 bad usage, 3 refused, 130 Ctrl-C, 1 anything else. */
export const EXIT_CODE = {
  input: 2,
  refused: 3,
  failed: 1,
  interrupted: 130,
  declined: 1,
} as const satisfies Record<ErrorKind, number>;

/** The actions a message may tell its reader to run. */
export type ActionName = 'enable-cd' | 'promote' | 'abort';

/**
 * How the reader of a message names things: the same shared code runs in a Lambda behind CodePipeline and in cfcd,
 * and "what to do next" must be said in the words of where the reader is — UserParameters and actions in a pipeline,
 * `cfcd <command> --flag value` in cfcd. Each trigger has its words ({@link PIPELINE_WORDS}, cfcd's in
 * cli/action-flags.ts).
 */
export interface Words {
  /** Where the reader is, for the few messages whose advice differs in shape, not only in names. */
  where: 'pipeline' | 'cfcd';
  /** A parameter as its reader writes it, with its value if given: `ContinuousDeploymentPolicyId=x` / `--policy x`. */
  param(name: string, value?: string): string;
  /** The command that runs `action` with `params`: `the abort action with {…}` / `cfcd abort --primary E1 …`. */
  command(action: ActionName, params: Readonly<Record<string, string>>): string;
  /** Running the same action again, which plans from the live state: `re-run the action` / `run the command again`. */
  rerun: string;
  /** The continuation token as its reader holds it: CodePipeline's, or cfcd's `--resume` value. */
  token: string;
  /** Promoting the release again once staging was looked at: `approve again` / `run cfcd promote again`. */
  approveAgain: string;
}

/** The words of a pipeline: UserParameters fields, the pipeline's actions, CodePipeline's continuation token. */
export const PIPELINE_WORDS: Words = {
  where: 'pipeline',
  param: (name, value) => (value === undefined ? name : `${name}=${value}`),
  command: (action, params) =>
    `the ${action === 'enable-cd' ? 'enable-CD' : action} action with ${JSON.stringify(params)}`,
  rerun: 're-run the action',
  token: 'the continuation token',
  approveAgain: 'approve again',
};

/** `text` as the start of a sentence: words such as {@link Words.rerun} are lower-case mid-sentence. */
export const sentence = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** A message, or a message that names parameters and commands and so is said in its reader's {@link Words}. */
export type Wording = string | ((words: Words) => string);

/** A wording said in `words`. */
export const said = (wording: Wording, words: Words): string =>
  typeof wording === 'string' ? wording : wording(words);

/** The base of every error of ours: its message already says what happened, where, and what to do next. */
export abstract class CfcdError extends Error {
  abstract readonly kind: ErrorKind;
  readonly #wording: Wording;
  /** `message` is in a pipeline's words; {@link CfcdError.say} says it in another trigger's. */
  constructor(message: Wording, options?: ErrorOptions) {
    super(said(message, PIPELINE_WORDS), options);
    this.#wording = message;
  }

  /** The message in `words`: cfcd names `--policy` where a pipeline names ContinuousDeploymentPolicyId. */
  say(words: Words): string {
    return said(this.#wording, words);
  }
}

/** Any error's message in `words` (an error not of ours has only its own). */
export function sayError(err: unknown, words: Words): string {
  if (err instanceof CfcdError) return err.say(words);
  return err instanceof Error ? err.message : String(err);
}

/** The kind of any error: ours say it; anything else (an SDK error thrown raw, a bug's TypeError) failed. */
export function kindOf(err: unknown): ErrorKind {
  return err instanceof CfcdError ? err.kind : 'failed';
}

/** Where an input came from, as its error names it. */
export type InputSource =
  /** A CodePipeline action's UserParameters (or the object cfcd builds from its flags). */
  | 'UserParameters'
  /** A plain event (an EventBridge constant Input): `<fn>: <noun> <field>: …`. */
  | { function: string; noun: string };

/**
 * A UserParameters field or an event field is wrong: raised before any AWS call, reported to CodePipeline as
 * `ConfigurationError`, exit code 2 in cfcd (which names the flag instead of the field).
 */
export class InputError extends CfcdError {
  override readonly name = 'InputError';
  readonly kind = 'input';
  constructor(
    /** The field at fault, e.g. `PrimaryDistributionId`; `UserParameters` or `event` when the whole input is wrong. */
    readonly field: string,
    /** What is wrong with the field, without the field's prefix. */
    readonly problem: string,
    readonly source: InputSource = 'UserParameters',
  ) {
    super(inputMessage(field, problem, source));
  }

  /** The same problem, said of another source (the shared reader speaks of UserParameters; an event has fields). */
  from(source: InputSource): InputError {
    return new InputError(this.field, this.problem, source);
  }
}

function inputMessage(field: string, problem: string, source: InputSource): string {
  if (source === 'UserParameters')
    // The whole string at fault is named once: "UserParameters: is not valid JSON",
    // not "UserParameters.UserParameters".
    return field === 'UserParameters' ? `UserParameters: ${problem}` : `UserParameters.${field}: ${problem}`;
  return field === 'event'
    ? `${source.function}: ${problem}`
    : `${source.function}: ${source.noun} ${field}: ${problem}`;
}

/**
 * The live AWS state does not allow the action (e.g. the staging is not a staging distribution). Raised by the
 * plan before any write; the message says what is wrong and what to run to fix it.
 */
export class StateCheckError extends CfcdError {
  override readonly name = 'StateCheckError';
  readonly kind = 'refused';
}

/** A named step of an action failed; it is of the kind of what made it fail. */
export class StepError extends CfcdError {
  override readonly name = 'StepError';
  readonly kind: ErrorKind;
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`step "${step}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.kind = kindOf(cause);
  }

  override say(words: Words): string {
    return `step "${this.step}": ${sayError(this.cause, words)}`;
  }
}

/** Runs `fn` as the named step, so a failure says where in the action it happened. */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InputError || err instanceof StepError) throw err;
    throw new StepError(name, err);
  }
}

/** The error and each error in its `cause` chain, outermost first (at most 10 deep). */
export function* causeChain(err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e !== undefined && depth < 10; depth++) {
    yield e;
    e = e instanceof Error ? e.cause : undefined;
  }
}
