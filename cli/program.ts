/**
 * cfcd's command dispatch: which command, its flags, the AWS options, where the actions' log lines go, and how an
 * error is told — one line on stderr (with the usage for a usage error), a JSON document on stdout with `--json`,
 * and the exit code that says what kind of failure it was.
 */
import { ACTIONS, type CliAction } from './action-flags.js';
import { applySpec, planSpec, runApply, runPlan } from './commands/actions.js';
import { cleanupSpec, runCleanup } from './commands/cleanup.js';
import { resumeSpec, runResume, runSuspend, suspendSpec } from './commands/maintenance.js';
import { primaryTemplateSpec, runPrimaryTemplate } from './commands/primary-template.js';
import { pruneSpec, runPrune } from './commands/prune.js';
import { revertSpec, runRevert } from './commands/revert.js';
import { runStagingTemplate, stagingTemplateSpec } from './commands/staging-template.js';
import { runStatus, statusSpec } from './commands/status.js';
import { runUpload, uploadSpec } from './commands/upload.js';
import type { Context } from './context.js';
import { EXIT, InterruptedError, classify, messageOf } from './exit-codes.js';
import { routeLogLines } from './logging.js';
import { VERSION } from '../shared/version.js';
import { Terminal } from './terminal.js';
import {
  type CommandSpec,
  UsageError,
  helpText,
  parseCommandLine,
  quoted,
  signature,
  stringFlag,
  usageHint,
} from './args.js';

type Values = Record<string, unknown>;

interface Command {
  spec: CommandSpec;
  run(values: Values, ctx: Context): Promise<unknown>;
}

const ACTION_NAMES = Object.keys(ACTIONS) as CliAction['name'][];

const COMMANDS: Record<string, Command> = {
  status: { spec: statusSpec, run: runStatus },
  cleanup: { spec: cleanupSpec, run: runCleanup },
  suspend: { spec: suspendSpec, run: runSuspend },
  resume: { spec: resumeSpec, run: runResume },
  prune: { spec: pruneSpec, run: runPrune },
  revert: { spec: revertSpec, run: runRevert },
  'staging-template': { spec: stagingTemplateSpec, run: runStagingTemplate },
  'primary-template': { spec: primaryTemplateSpec, run: runPrimaryTemplate },
  upload: { spec: uploadSpec, run: runUpload },
  ...Object.fromEntries(
    ACTION_NAMES.map((name) => {
      const action = ACTIONS[name];
      return [name, { spec: applySpec(action), run: (values: Values, ctx: Context) => runApply(action, values, ctx) }];
    }),
  ),
};

const PLANS: Record<string, Command> = Object.fromEntries(
  ACTION_NAMES.map((name) => {
    const action = ACTIONS[name];
    return [name, { spec: planSpec(action), run: (values: Values, ctx: Context) => runPlan(action, values, ctx) }];
  }),
);

const OVERVIEW = `cfcd: CloudFront continuous deployment from a terminal, over the same code as the pipeline's actions

usage: cfcd <command> [options]

Commands:
  status --primary <id>       where a primary stands: policy, staging, what promote would change, warnings
  plan enable-cd|promote|ramp|abort …
                              what the action would do now, from the live state (never writes)
  enable-cd …                 grant, enable and attach the policy; wait for Deployed
  promote …                   copy the staging config onto the primary (gate, release guard); wait for Deployed
  ramp …                      probes, then the policy weight step by step, each judged healthy before the next
  abort …                     all traffic back to the primary (disable, detach or teardown); wait for Deployed
  cleanup                     every policy of the account, orphans flagged; --delete / --all-orphans remove them
  suspend --primary <id>      detach the disabled policy for a change CD forbids (certificate, TLS, WAF)
  resume --primary <id> --policy <policy id>
                              attach it again exactly as it was
  staging-template --primary <id>
                              a staging stack template that reproduces the primary's live config
  primary-template --primary <id>
                              the primary's live config as a template, for its own stack after a promotion
  upload --bucket <name> --commit <commit> --from <dir>
                              the built site as releases/<commit>/ with its cache headers; prints the OriginPath
  prune --bucket <name> --primary <id>
                              delete old releases/<commit>/ folders, never one a distribution serves (--dry-run)
  revert --primary <id> --record-bucket <bucket>
                              production back on the release the last promotion replaced (its revert record)

Every command takes --json, --profile, --region, --verbose and -h/--help ("cfcd <command> --help").
cfcd -V/--version prints the version (the package's, stamped in at build time).
AWS credentials come from the SDK's default chain; AWS_ENDPOINT_URL points cfcd at another endpoint (an emulator).
Exit codes: 0 ok, 1 failed (or you answered no), 2 bad usage, 3 refused by a check (nothing written), 130 Ctrl-C.
`;

const PLAN_OVERVIEW = `usage: cfcd plan enable-cd|promote|ramp|abort [the action's options]

What the action would do now, from the live state: the same checks and planner as the pipeline, and never a write.
"cfcd plan <action> --help" lists the action's options.
`;

/** Which command the arguments name, and the arguments left for its flags. */
function resolve(argv: string[]): { command: Command; args: string[] } | { help: string; code: number } {
  const [first, second, ...rest] = argv;
  if (first === undefined) return { help: OVERVIEW, code: EXIT.usage };
  if (first === '-h' || first === '--help' || first === 'help') return { help: OVERVIEW, code: EXIT.ok };
  if (first === '-V' || first === '--version') {
    if (second !== undefined) throw new UsageError(`cfcd ${first} takes no other argument`);
    return { help: `${VERSION}\n`, code: EXIT.ok };
  }
  if (first === 'plan') {
    if (second === undefined || second === '-h' || second === '--help')
      return { help: PLAN_OVERVIEW, code: second === undefined ? EXIT.usage : EXIT.ok };
    const plan = PLANS[second];
    if (!plan)
      throw new UsageError(`cfcd plan: unknown action ${quoted(second)}; plan one of ${ACTION_NAMES.join(', ')}`);
    return { command: plan, args: rest };
  }
  const command = COMMANDS[first];
  if (!command)
    // The list goes on its own line: it grows with every command, and the first line must stay short.
    throw new UsageError(
      `unknown command ${quoted(first)} (cfcd --help)\n` +
        `the commands are ${[...Object.keys(COMMANDS), 'plan'].join(', ')}`,
    );
  return { command, args: argv.slice(1) };
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** `--profile` and `--region` for the SDK clients, which read them from the environment when first used. */
function applyAwsOptions(spec: CommandSpec, values: Values): void {
  const profile = stringFlag(values, 'profile');
  const region = stringFlag(values, 'region');
  if (region !== undefined && !REGION.test(region))
    throw new UsageError(`--region: ${quoted(region)} is not an AWS region such as eu-west-1`, spec);
  if (profile !== undefined) process.env.AWS_PROFILE = profile;
  if (region !== undefined) process.env.AWS_REGION = region;
}

export interface CliIo {
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

/** Runs one cfcd command line (the arguments after `cfcd`) and resolves with its exit code. */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const terminal = new Terminal(io.stdout ?? process.stdout, io.stderr ?? process.stderr, io.env ?? process.env);
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  let name = 'cfcd';
  let restoreLogs = () => {};
  try {
    const resolved = resolve(argv);
    if ('help' in resolved) {
      (resolved.code === EXIT.ok ? terminal.stdout : terminal.stderr).write(resolved.help);
      return resolved.code;
    }
    const { command, args } = resolved;
    name = signature(command.spec);
    const values = parseCommandLine(command.spec, args);
    if (values.help) {
      terminal.stdout.write(helpText(command.spec));
      return EXIT.ok;
    }
    applyAwsOptions(command.spec, values);
    restoreLogs = routeLogLines(verbose, terminal.stderr);
    const ctx: Context = { terminal, stdin: io.stdin ?? process.stdin, json, verbose, argv };
    const result = await command.run(values, ctx);
    if (json) terminal.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT.ok;
  } catch (err) {
    return report(terminal, name, err, { json, verbose });
  } finally {
    restoreLogs();
  }
}

/** The SDK's credential errors do not say where it looked; this does, naming the profile in use. */
function credentialsHint(message: string): string {
  if (!/CredentialsProviderError|Could not load credentials|Could not resolve credentials/.test(message)) return '';
  const profile = process.env.AWS_PROFILE;
  return profile
    ? ` (profile ${quoted(profile)}: is it in ~/.aws/config or ~/.aws/credentials, ` +
        'with credentials or an SSO session that is logged in?)'
    : ' (cfcd uses the SDK default credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ' +
        '--profile or AWS_PROFILE, SSO, or an instance or container role)';
}

function report(terminal: Terminal, name: string, err: unknown, opts: { json: boolean; verbose: boolean }): number {
  const { kind, code } = classify(err);
  const message = messageOf(err);
  const resume = err instanceof InterruptedError ? err.resume : undefined;
  if (opts.json)
    terminal.stdout.write(`${JSON.stringify({ error: { kind, message, ...(resume ? { resume } : {}) } }, null, 2)}\n`);
  const red = (text: string) => terminal.err('red', text);
  switch (kind) {
    case 'usage': {
      const spec = err instanceof UsageError ? err.command : undefined;
      const prefix = message.startsWith('cfcd') ? '' : `${name}: `;
      terminal.note(`${prefix}${message}`);
      if (spec) terminal.note(usageHint(spec));
      break;
    }
    case 'refused':
      terminal.note(`${name}: ${red('refused')}: ${message}`);
      break;
    case 'interrupted':
      terminal.note(`${name}: ${message}${resume ? `\nTo carry on: ${resume}` : ''}`);
      break;
    case 'declined':
      terminal.note(`${name}: ${message}`);
      break;
    case 'failed':
      terminal.note(`${name}: ${red('failed')}: ${message}${credentialsHint(message)}`);
      if (opts.verbose && err instanceof Error && err.stack) terminal.note(err.stack);
      break;
  }
  return code;
}
