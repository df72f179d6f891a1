/**
 * Typed errors. The job runner maps them to CodePipeline failure types, so nothing here relies on string matching.
 */

/** A UserParameters problem: reported as `ConfigurationError`, raised before any AWS write. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    /** The UserParameters field at fault, e.g. `PrimaryDistributionId`. */
    readonly field: string,
    /** What is wrong with the field, without the `UserParameters.<field>` prefix (for non-CodePipeline events). */
    readonly problem: string,
  ) {
    // The whole string at fault is named once: "UserParameters: is not valid JSON", not "UserParameters.UserParameters".
    super(field === 'UserParameters' ? `UserParameters: ${problem}` : `UserParameters.${field}: ${problem}`);
  }
}

/**
 * The live AWS state does not allow the action (e.g. the staging is not a staging distribution). Raised by the
 * plan before any write; the message says what is wrong and what to run to fix it.
 */
export class StateCheckError extends Error {
  override readonly name = 'StateCheckError';
}

/** A named step of an action failed; the job runner reports it as `JobFailed` with the step's name. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`step "${step}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Runs `fn` as the named step, so a failure says where in the action it happened. */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConfigurationError || err instanceof StepError) throw err;
    throw new StepError(name, err);
  }
}
