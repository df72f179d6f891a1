/**
 * The three pipeline actions as cfcd sees them: the action object the Lambda handler runs, its UserParameters keys
 * (each becomes a flag), and its read/plan/write steps for a dry run. Flags are turned back into the UserParameters
 * object and parsed by the action's own parser, so every check (ids, ranges, combinations) is the one the pipeline
 * applies, and a mistake names the flag instead of the UserParameters field.
 */
import { abortAction } from '../functions/abort/action.js';
import { enableCdAction } from '../functions/enable-cd/action.js';
import { promoteAction } from '../functions/promote/action.js';
import { rampAction } from '../functions/ramp/action.js';
import type { PlanSteps } from '../shared/aws/apply-plan.js';
import { InputError, type Words } from '../shared/domain/errors.js';
import type { Change, Plan } from '../shared/domain/plan.js';
import type { AnyAction } from '../shared/job/driver.js';
import type { Logger } from '../shared/log.js';
import { type CommandSpec, type OptionTable, UsageError, stringFlag } from './args.js';
import { shellWord } from './context.js';

/** Short flags for the UserParameters keys people type most; any other key becomes its kebab-case name. */
const FLAGS: Record<string, string> = {
  PrimaryDistributionId: 'primary',
  StagingDistributionId: 'staging',
  ContinuousDeploymentPolicyId: 'policy',
  StaticResourceBucketName: 'bucket',
  ExpectedStagingETag: 'expected-staging-etag',
  MaxStaging5xxErrorRate: 'max-staging-5xx-error-rate',
  // One name for the artifact bucket of the revert records in every command: promote writes, revert and status read.
  RevertRecordBucket: 'record-bucket',
  RevertRecord: 'record',
};

/** What each UserParameters key means, for `--help`. */
const DESCRIPTIONS: Record<string, [value: string, text: string]> = {
  PrimaryDistributionId: ['<id>', 'the production distribution (keeps the aliases)'],
  StagingDistributionId: ['<id>', "the staging distribution (the staging stack's output)"],
  ContinuousDeploymentPolicyId: ['<policy id>', "the continuous deployment policy (the staging stack's output)"],
  StaticResourceBucketName: ['<bucket>', 'the S3 origin bucket behind OAC: grant the staging read access in it'],
  ExpectedStagingETag: ['<etag>', 'release guard: refuse, with no write, unless the staging still has this ETag'],
  MaxWaitMinutes: ['<minutes>', 'longest wait for CloudFront to propagate, 1-1440 (default 60)'],
  MinStagingRequests: ['<n>', 'gate: requests staging must have served in the window'],
  MaxStaging5xxErrorRate: ['<percent>', 'gate: highest staging 5xxErrorRate in the window'],
  MaxErrorRateIncrease: ['<points>', "gate: highest excess of staging's 5xxErrorRate over the primary's"],
  MetricsWindowMinutes: ['<minutes>', 'gate: the window in minutes (default 15)'],
  InvalidationPaths: [
    '<json array>',
    "edge-cache paths to invalidate once the distribution is Deployed (default '[\"/*\"]'; '[]' = off)",
  ],
  ReleaseBucket: ['<bucket>', 'after the promotion, prune the releases/<commit>/ folders no distribution serves'],
  RevertRecordBucket: [
    '<bucket>',
    "the pipeline's artifact bucket: record what the promotion replaces under cfcd-revert/ first (cfcd revert)",
  ],
  KeepReleases: ['<n>', 'with --release-bucket: the newest complete releases to keep, 1-100 (default 5)'],
  AllowedOriginDomains: [
    '<json array>',
    "origin domain names a staging may have ('*.example.com': one label); default: the primary's origins",
  ],
  Mode: ['<mode>', 'disable (default), detach or teardown'],
  PipelineName: ['<name>', 'act only for this pipeline execution (with --pipeline-execution-id)'],
  PipelineExecutionId: ['<id>', 'the pipeline execution whose staging abort may act on'],
  Steps: ['<json array>', "the ramp's weights in percent, each above 0 and at most 15, rising, e.g. '[1, 5, 15]'"],
  StepMinutes: ['<minutes>', 'bake per step, from the moment the primary is Deployed at its weight (default 5)'],
  Probes: ['<json array>', 'paths probed with the staging header before any weight, e.g. \'["/"]\''],
  ProbeBaseUrl: ['<url>', 'where the probes go (default https://<primary domain>)'],
  AlarmNames: [
    '<names>',
    "CloudWatch alarms (names or ARNs, comma-separated): one in ALARM rolls the ramp's step back at once",
  ],
  RampHeader: [
    '"<name>: <value>"',
    "a ramp owns the weights: the header routing a ramp's policy starts from and goes back to",
  ],
};

/**
 * The flag of a UserParameters key, e.g. `primary` for PrimaryDistributionId, `max-wait-minutes` for MaxWaitMinutes.
 */
export function flagOf(parameter: string): string {
  return FLAGS[parameter] ?? parameter.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * cfcd's words for the messages the actions share with the pipeline: flags instead of UserParameters fields, cfcd
 * commands instead of pipeline actions, `--resume` instead of CodePipeline's continuation token.
 */
export const CLI_WORDS: Words = {
  where: 'cfcd',
  // A placeholder such as `<policy id>` is left for the reader to fill in, unquoted.
  param: (name, value) =>
    `--${flagOf(name)}${value === undefined ? '' : ` ${/^<[^>]*>$/.test(value) ? value : shellWord(value)}`}`,
  command: (action, params) =>
    ['cfcd', action, ...Object.entries(params).map(([name, value]) => CLI_WORDS.param(name, value))].join(' '),
  rerun: 'run the command again',
  token: 'the --resume token',
  approveAgain: 'run cfcd promote again',
};

/** Any plan of any action, as the CLI prints it. */
export type AnyPlan = Plan<Change, string>;

export interface CliAction {
  name: 'enable-cd' | 'promote' | 'ramp' | 'abort';
  summary: string;
  synopsis: string;
  /** The action's declaration: the driver runs it, a dry run plans with its steps. */
  action: AnyAction;
  /**
   * UserParameters that pin an apply to the state the person confirmed, when the flags leave them out: promote's
   * release guard, so that a staging changed after the confirmation is refused with no write instead of promoted.
   */
  pinned?(state: unknown): Record<string, string>;
}

export const ACTIONS: Record<CliAction['name'], CliAction> = {
  'enable-cd': {
    name: 'enable-cd',
    summary:
      'Grant the staging read access to the bucket, enable the policy and attach it to the primary, ' +
      'then wait for both distributions to be Deployed.',
    synopsis: '--primary <id> --staging <id> --policy <policy id> [--bucket <bucket>] [options]',
    action: enableCdAction as unknown as AnyAction,
  },
  promote: {
    name: 'promote',
    summary:
      "Copy the staging's config onto the primary (UpdateDistributionWithStagingConfig), " +
      'optionally behind the promotion gate and the release guard, then wait for the primary to be Deployed.',
    synopsis: '--primary <id> --staging <id> [--expected-staging-etag <etag>] [gate options] [options]',
    action: promoteAction as unknown as AnyAction,
    // Only a pass that decides pins the staging: after the promotion (a resumed `promoted` pass) there is none to pin.
    pinned: (state): Record<string, string> => {
      const s = state as { kind?: string; staging?: { etag: string } };
      return s.kind === 'deciding' && s.staging ? { ExpectedStagingETag: s.staging.etag } : {};
    },
  },
  ramp: {
    name: 'ramp',
    summary:
      'Probe the staging through the primary with the staging header, then raise the policy weight step by step, ' +
      'each step Deployed, baked and judged healthy before the next; an unhealthy step disables the policy.',
    synopsis: '--primary <id> --staging <id> --steps <json array> --max-staging-5xx-error-rate <percent> [options]',
    action: rampAction as unknown as AnyAction,
    // The release guard, as for promote: the staging the person confirmed is the one ramped.
    pinned: (state): Record<string, string> => {
      const s = state as { staging?: { etag: string } };
      return s.staging ? { ExpectedStagingETag: s.staging.etag } : {};
    },
  },
  abort: {
    name: 'abort',
    summary:
      'Put all traffic back on the primary: disable the policy (disable), also detach it (detach), ' +
      'or detach and delete it (teardown), then wait for the primary to be Deployed.',
    synopsis: '--primary <id> [--mode disable|detach|teardown] [--policy <policy id>] [options]',
    action: abortAction as unknown as AnyAction,
  },
};

/**
 * The action's steps for a first pass with these parameters, as CodePipeline's first invocation would run them: a dry
 * run plans with them.
 */
export function firstPassSteps(action: CliAction, params: unknown, log: Logger): PlanSteps<unknown, AnyPlan> {
  return action.action.steps({ params, phase: undefined, memory: {}, log });
}

/** The flags of an action's UserParameters, for its command's option table. */
export function parameterOptions(action: CliAction): OptionTable {
  return Object.fromEntries(
    action.action.parameterNames.map((name) => {
      const [value, description] = DESCRIPTIONS[name] ?? ['<value>', `UserParameters ${name}`];
      return [flagOf(name), { type: 'string', value, description }];
    }),
  );
}

/** An InputError's message in flag terms: the field and any other key it mentions become flags. */
function flagMessage(names: readonly string[], err: InputError): string {
  let problem = err.problem;
  for (const name of names) problem = problem.replaceAll(name, `--${flagOf(name)}`);
  const flag = `--${flagOf(err.field)}`;
  return /^(is|must) /.test(problem) ? `${flag} ${problem}` : `${flag}: ${problem}`;
}

/**
 * Reads flags with the actions' own parameter checks: the flags of `names` become a parameters object, `read`
 * reads it (ParamReader, or an action's parser), and a InputError becomes a {@link UsageError} naming the flag.
 */
export function parseWithFlags<T>(
  spec: CommandSpec,
  names: readonly string[],
  values: Record<string, unknown>,
  read: (parameters: Record<string, string>) => T,
): T {
  try {
    return read(flagParameters(names, values));
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(flagMessage(names, err), spec);
    throw err;
  }
}

/**
 * The action's parameters from the command's flags, parsed by the action's own UserParameters parser; a problem
 * is a {@link UsageError} naming the flag.
 */
export function paramsFromFlags(action: CliAction, spec: CommandSpec, values: Record<string, unknown>): unknown {
  return parseWithFlags(spec, action.action.parameterNames, values, (p) =>
    action.action.parseParams(JSON.stringify(p)),
  );
}

/** The parameters object the flags of `names` stand for (for an action: the UserParameters a pipeline would pass). */
export function flagParameters(names: readonly string[], values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = stringFlag(values as Record<string, string>, flagOf(name));
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** The UserParameters object an action's flags stand for. */
export function userParametersOf(action: CliAction, values: Record<string, unknown>): Record<string, string> {
  return flagParameters(action.action.parameterNames, values);
}
