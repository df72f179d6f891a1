/**
 * The GitHub Action's logic (action.yml runs action/run.mjs, which calls {@link runAction}): the step's inputs become
 * one cfcd command line (always `--json`, and `--yes` for the commands that write), cfcd runs with the job's
 * credentials, its JSON result becomes step outputs ($GITHUB_OUTPUT) and a job summary ($GITHUB_STEP_SUMMARY), and
 * the step exits with cfcd's exit code. Plain JavaScript so that it runs on the runner's Node as committed, with no
 * build of its own: only cfcd is built (`npm run build`, by action.yml).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Every input of action.yml, as the step's `with:` names them (the test checks action.yml against this list). */
export const INPUTS = [
  'command',
  'primary',
  'staging',
  'policy',
  'bucket',
  'expected-staging-etag',
  'mode',
  'max-wait-minutes',
  'invalidation-paths',
  'region',
  'args',
];

/**
 * The commands the action runs, each with the inputs that become its flags (`--<input> <value>`, cfcd's own flag
 * names). An input given to a command that does not take it is refused, naming the input, before cfcd runs.
 */
export const COMMANDS = {
  'enable-cd': ['primary', 'staging', 'policy', 'bucket', 'max-wait-minutes', 'invalidation-paths'],
  promote: ['primary', 'staging', 'policy', 'expected-staging-etag', 'max-wait-minutes', 'invalidation-paths'],
  abort: ['primary', 'mode', 'policy', 'max-wait-minutes'],
  status: ['primary', 'staging', 'bucket'],
};

/** The commands that write: they get `--yes` (a job has no terminal to confirm on). */
const WRITES = new Set(['enable-cd', 'promote', 'abort']);

/**
 * The step outputs action.yml declares: the actions' output variables (enable-cd, promote with its gate, abort),
 * those the action sets from `status`, and its own. An output variable cfcd adds later is still written to
 * $GITHUB_OUTPUT, but a workflow only sees it once action.yml declares it.
 */
export const OUTPUTS = [
  // enable-cd
  'TrafficType',
  'PrimaryDomainName',
  'StagingDomainName',
  'StagingDistributionId',
  'StagingETag',
  'ContinuousDeploymentPolicyId',
  'PromoteChanges',
  'PromoteChangesAll',
  'StagingHeader',
  'StagingWeight',
  'HowToReachStaging',
  'PolicyEnabled',
  'StagingInvalidationId',
  // promote
  'PrimaryETag',
  'PromotedFrom',
  'Changes',
  'Note',
  'InvalidationId',
  'StagingRequests',
  'Staging5xxErrorRate',
  'Primary5xxErrorRate',
  'MetricsWindowMinutes',
  // abort
  'Mode',
  // status
  'PrimaryStatus',
  'StagingStatus',
  'Warnings',
  // every command
  'exit-code',
  'error-kind',
  'error-message',
  'result',
];

/** What each of cfcd's exit codes means (docs/cfcd.md, "Output and exit codes"), for the summary. */
export const EXIT_MEANINGS = {
  0: 'done',
  1: 'the action failed (an AWS error, or a wait past --max-wait-minutes)',
  2: 'bad usage (an input or flag is wrong): nothing was called',
  3: 'refused by a check on the live state: nothing was written',
  130: 'stopped (the job was cancelled): nothing half-made; the message says how to carry on',
};

/** A mistake in the step's inputs: exit 2, reported before cfcd runs (so before any AWS call). */
export class InputError extends Error {
  name = 'InputError';
}

/**
 * The step's inputs from the environment, as GitHub passes them to an action: `INPUT_<NAME>` with the name upper-cased
 * and spaces turned into `_` (hyphens kept, e.g. `INPUT_EXPECTED-STAGING-ETAG`). The form with `_` for `-` is read
 * too: action.yml passes that one, since a shell cannot name a variable with a hyphen. Values are trimmed; an empty
 * input is an absent one.
 */
export function readInputs(env) {
  const inputs = {};
  for (const name of INPUTS) {
    const upper = name.replaceAll(' ', '_').toUpperCase();
    const value = env[`INPUT_${upper}`] ?? env[`INPUT_${upper.replaceAll('-', '_')}`] ?? '';
    if (value.trim() !== '') inputs[name] = value.trim();
  }
  return inputs;
}

/**
 * `args` as words: split on whitespace, with '…' and "…" quoting (no expansion, no escapes other than \" and \\
 * in double quotes), so `--invalidation-paths '["/index.html"]'` reads as in a shell.
 */
export function splitArgs(text) {
  const words = [];
  let word = '';
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else if (c === "'" || c === '"') {
      const end = closingQuote(text, i);
      if (end < 0) throw new InputError(`input "args": unterminated ${c} quote in ${JSON.stringify(text)}`);
      const inner = text.slice(i + 1, end);
      word += c === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
      started = true;
      i = end;
    } else {
      word += c;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

function closingQuote(text, open) {
  const quote = text[open];
  for (let i = open + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

/** The cfcd command line (the arguments after `cfcd`) the inputs stand for; an {@link InputError} if they are wrong. */
export function commandLine(inputs) {
  const command = inputs.command;
  const names = Object.keys(COMMANDS);
  if (command === undefined) throw new InputError(`input "command" is required: one of ${names.join(', ')}`);
  if (!Object.hasOwn(COMMANDS, command))
    throw new InputError(
      `input "command": ${JSON.stringify(command)} is not a command this action runs; use one of ${names.join(', ')}`,
    );
  const flags = COMMANDS[command];
  const idle = Object.keys(inputs).filter(
    (name) => !['command', 'region', 'args'].includes(name) && !flags.includes(name),
  );
  if (idle.length)
    throw new InputError(
      `input${idle.length > 1 ? 's' : ''} ${idle.map((n) => `"${n}"`).join(', ')} ` +
        `${idle.length > 1 ? 'do' : 'does'} not apply to command "${command}", which takes ${flags.join(', ')} ` +
        '(and region, args)',
    );
  const argv = [command];
  for (const name of flags) if (inputs[name] !== undefined) argv.push(`--${name}`, inputs[name]);
  if (inputs.region !== undefined) argv.push('--region', inputs.region);
  const extra = inputs.args === undefined ? [] : splitArgs(inputs.args);
  argv.push(...extra);
  if (WRITES.has(command) && !extra.includes('--yes')) argv.push('--yes');
  if (!extra.includes('--json')) argv.push('--json');
  return argv;
}

/** The built cfcd next to this file (`npm run build` in the action's directory), or `CFCD_PATH`. */
export function cfcdPath(env = process.env) {
  return env.CFCD_PATH || fileURLToPath(new URL('../dist/cli/cfcd.mjs', import.meta.url));
}

/**
 * Runs cfcd: stdout (the JSON document) captured, stderr (progress, messages) straight to the job's log. cfcd runs in
 * a process group of its own, and a SIGINT or SIGTERM to this process (the runner cancelling the job) reaches it as
 * one Ctrl-C each: cfcd stops as on Ctrl-C, after the AWS calls in flight, and reports the command that carries on
 * (a second signal: before the next call). cfcd handles SIGINT, not SIGTERM, and the group keeps a signal sent to
 * the whole group from counting twice.
 */
export function runCfcd(argv, { cfcd = cfcdPath(), env = process.env, node = process.execPath } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [cfcd, ...argv], { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const forward = () => child.kill('SIGINT');
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const done = () => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, signal) => {
      done();
      resolve({ code: code ?? (signal === 'SIGINT' ? 130 : 1), stdout, ...(signal ? { signal } : {}) });
    });
  });
}

/** cfcd's `--json` document, or undefined when stdout is not one (cfcd crashed before printing it). */
export function parseResult(stdout) {
  try {
    const doc = JSON.parse(stdout);
    return doc && typeof doc === 'object' ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** The step outputs of a run: the action's output variables (or status's figures), the error, the exit code. */
export function outputsOf(command, code, doc) {
  const outputs = { 'exit-code': String(code) };
  if (doc?.error) {
    outputs['error-kind'] = String(doc.error.kind ?? '');
    outputs['error-message'] = String(doc.error.message ?? '');
  } else if (doc && command === 'status') Object.assign(outputs, statusOutputs(doc));
  else if (doc?.outputVariables) {
    for (const [key, value] of Object.entries(doc.outputVariables)) outputs[key] = String(value);
  }
  if (doc) outputs.result = JSON.stringify(doc);
  return outputs;
}

function statusOutputs(doc) {
  const outputs = {};
  const set = (key, value) => {
    if (value !== undefined && value !== null) outputs[key] = String(value);
  };
  set('PrimaryETag', doc.primary?.etag);
  set('PrimaryStatus', doc.primary?.status);
  set('PrimaryDomainName', doc.primary?.domainName);
  set('ContinuousDeploymentPolicyId', doc.policy?.id ?? 'none');
  set('PolicyEnabled', doc.policy?.enabled);
  set('StagingDistributionId', doc.staging?.id);
  set('StagingETag', doc.staging?.etag);
  set('StagingStatus', doc.staging?.status);
  set('StagingDomainName', doc.staging?.domainName);
  set('HowToReachStaging', doc.staging?.howToReach);
  if (Array.isArray(doc.promoteChanges)) set('PromoteChanges', doc.promoteChanges.join('; ') || 'none');
  if (Array.isArray(doc.warnings)) set('Warnings', doc.warnings.join('\n'));
  return outputs;
}

/**
 * Appends outputs to $GITHUB_OUTPUT in the `name<<delimiter` form, which carries any value (newlines included); the
 * delimiter is random, so no value can end it early.
 */
export function writeOutputs(file, outputs) {
  let text = '';
  for (const [name, value] of Object.entries(outputs)) {
    let delimiter = `ghadelimiter_${randomUUID()}`;
    while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  appendFileSync(file, text);
}

const cell = (value) => String(value).replaceAll('|', '\\|').replaceAll('\r', '').replaceAll('\n', '<br>');
/** One shell word, quoted when a shell would interpret it (as cfcd prints a command line). */
const shellWord = (word) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);
const code = (text) => `\`${text.replaceAll('`', "'")}\``;

function table(rows) {
  if (!rows.length) return [];
  return ['| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`), ''];
}

/** The job summary of one run, in Markdown: what was run, what came of it, and on failure what the exit code means. */
export function summaryOf({ command, argv, code: exitCode, doc }) {
  const meaning = EXIT_MEANINGS[exitCode] ?? 'cfcd stopped unexpectedly';
  const lines = [];
  const ok = exitCode === 0;
  lines.push(
    `### ${ok ? '✅' : '❌'} cfcd ${command}: ${ok ? 'done' : (doc?.error?.kind ?? 'failed')} (exit ${exitCode})`,
  );
  lines.push(
    '',
    argv ? code(['cfcd', ...argv.map(shellWord)].join(' ')) : 'cfcd was not run: the inputs are wrong.',
    '',
  );
  if (doc?.error) {
    lines.push(`> ${cell(doc.error.message ?? '')}`, '');
    lines.push(`Exit ${exitCode}: ${meaning}.`, '');
    if (doc.error.resume) {
      const token = /--resume (\S+)/.exec(doc.error.resume)?.[1];
      lines.push('To carry on:', '', '```sh', doc.error.resume, '```', '');
      if (token) lines.push(`With this action: the same inputs and \`args: --resume ${token}\`.`, '');
    }
  } else if (!doc) {
    lines.push(`cfcd printed no JSON result. Exit ${exitCode}: ${meaning}. Its messages are in the step's log.`, '');
  } else if (command === 'status') {
    lines.push(...statusSummary(doc));
  } else {
    if (doc.summary) lines.push(cell(doc.summary), '');
    lines.push(...table(Object.entries(doc.outputVariables ?? {})));
    const facts = [];
    if (Array.isArray(doc.writes)) facts.push(`writes: ${doc.writes.join(', ') || 'none'}`);
    if (doc.passes !== undefined) facts.push(`${doc.passes} pass(es)`);
    if (doc.elapsedSeconds !== undefined) facts.push(`${doc.elapsedSeconds} s`);
    if (facts.length) lines.push(facts.join(' · '), '');
  }
  return `${lines.join('\n')}\n`;
}

function statusSummary(doc) {
  const rows = [];
  const d = (x) =>
    x
      ? `${x.id} · ${x.status} · ETag ${x.etag} · ${x.domainName}${x.aliases?.length ? ` · ${x.aliases.join(', ')}` : ''}`
      : 'none';
  rows.push(['Primary', d(doc.primary)]);
  const p = doc.policy;
  rows.push([
    'Policy',
    p ? `${p.id} · ${p.exists === false ? 'does not exist' : p.enabled ? 'enabled' : 'disabled'}` : 'none attached',
  ]);
  rows.push(['Staging', d(doc.staging)]);
  if (doc.staging?.howToReach) rows.push(['Reach staging', doc.staging.howToReach]);
  if (Array.isArray(doc.promoteChanges))
    rows.push(['Promote would change', doc.promoteChanges.length ? doc.promoteChanges.join('\n') : 'nothing']);
  if (doc.bucket)
    rows.push([
      'Bucket',
      `${doc.bucket.name} · grants primary ${doc.bucket.primaryGranted ? 'yes' : 'no'}, ` +
        `staging ${doc.bucket.stagingGranted ? 'yes' : 'no'}`,
    ]);
  const lines = table(rows);
  for (const warning of doc.warnings ?? []) lines.push(`> ⚠️ ${cell(warning)}`, '');
  return lines;
}

/**
 * The whole step: inputs → cfcd → outputs and summary. Resolves with the exit code (cfcd's; 2 for bad inputs,
 * before any AWS call). `env` is the step's environment; `run` runs cfcd (tests may replace it).
 */
export async function runAction({ env = process.env, run = runCfcd, annotate = errorAnnotation } = {}) {
  const inputs = readInputs(env);
  let argv;
  try {
    argv = commandLine(inputs);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return finish(env, inputs.command, undefined, 2, { error: { kind: 'usage', message: err.message } }, annotate);
  }
  const cfcd = cfcdPath(env);
  if (!existsSync(cfcd)) {
    const message = `cfcd is not built at ${cfcd}: run "npm ci && npm run build" in the action's directory`;
    return finish(env, inputs.command, undefined, 1, { error: { kind: 'failed', message } }, annotate);
  }
  process.stderr.write(`cfcd ${argv.join(' ')}\n`);
  const { code, stdout, signal } = await run(argv, { cfcd, env });
  echo(stdout);
  const doc =
    parseResult(stdout) ??
    (signal ? { error: { kind: 'failed', message: `cfcd was stopped by ${signal} before it reported` } } : undefined);
  return finish(env, inputs.command, argv, code, doc, annotate);
}

/**
 * cfcd's JSON result into the log, with workflow commands stopped around it: no value read from AWS can be taken
 * for one (`::stop-commands::`).
 */
function echo(stdout) {
  if (!stdout) return;
  const token = randomUUID();
  process.stdout.write(`::stop-commands::${token}\n${stdout}${stdout.endsWith('\n') ? '' : '\n'}::${token}::\n`);
}

/** Writes the outputs and the summary (where GitHub said to), and an error annotation for a failure. */
function finish(env, command, argv, exitCode, doc, annotate) {
  if (doc?.error) annotate(`cfcd ${command ?? ''} (exit ${exitCode})`, String(doc.error.message ?? ''));
  if (env.GITHUB_OUTPUT) writeOutputs(env.GITHUB_OUTPUT, outputsOf(command, exitCode, doc));
  if (env.GITHUB_STEP_SUMMARY)
    appendFileSync(
      env.GITHUB_STEP_SUMMARY,
      summaryOf({ command: command ?? '(no command)', argv, code: exitCode, doc }),
    );
  return exitCode;
}

/** An `::error::` workflow command on stdout: the runner shows it as an annotation on the run. */
function errorAnnotation(title, message) {
  process.stdout.write(`::error title=${escapeProperty(title)}::${escapeData(message)}\n`);
}

/** A workflow command's message, escaped as the runner expects. */
function escapeData(text) {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function escapeProperty(text) {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}
