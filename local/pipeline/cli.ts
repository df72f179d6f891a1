/**
 * `npm start`: the whole pipeline flow against the local emulator and the built bundles, printed as a timeline.
 * Exit code 0 only if every expectation held; 2 for a mistake in the command line (checked before anything runs).
 */
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type CommandSpec, UsageError, helpText, parseCommandLine, runCommand } from '../../cli/args.js';
import { renderStatus } from '../../cli/primary-report.js';
import { startEmulator } from '../emulator/index.js';
import { runExperiment } from './experiment.js';

const spec = {
  name: '',
  program: 'npm start --',
  summary:
    'The whole pipeline flow against the local emulator and the built bundles, printed as a timeline. ' +
    'Exit code 0 only if every expectation held.',
  synopsis: '[--interactive | --reject] [--propagation-ms N] [--latency-ms N] [--seed N] [--verbose]',
  options: {
    interactive: {
      type: 'boolean',
      short: 'i',
      description: 'ask on the terminal at each manual approval (default: approve automatically)',
    },
    reject: {
      type: 'boolean',
      description: 'reject the first approval; the abort action rolls traffic back to the primary',
    },
    'propagation-ms': {
      type: 'integer',
      min: 0,
      max: 30_000,
      default: 400,
      unit: 'milliseconds',
      value: 'N',
      description: 'how long a distribution stays InProgress after a change, and an invalidation InProgress',
    },
    'latency-ms': {
      type: 'integer',
      min: 0,
      max: 2_000,
      default: 0,
      unit: 'milliseconds',
      value: 'N',
      description: 'latency the emulator adds to every AWS API request',
    },
    seed: {
      type: 'integer',
      min: 0,
      max: 2 ** 32 - 1,
      default: 7,
      value: 'N',
      description: "seed of the emulator's weighted routing",
    },
    verbose: {
      type: 'boolean',
      description: 'print every log line of every invocation as the function wrote it (JSON)',
    },
    build: { type: 'boolean', description: 'build the bundles (npm run build) once the options are checked' },
    help: { type: 'boolean', short: 'h', description: 'print this help' },
  },
} satisfies CommandSpec;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<number> {
  const values = parseCommandLine(spec, process.argv.slice(2));
  if (values.help) {
    process.stdout.write(helpText(spec));
    return 0;
  }
  if (values.interactive && values.reject) throw new UsageError('--interactive and --reject exclude each other', spec);
  const { 'propagation-ms': propagationMs, 'latency-ms': latencyMs, seed } = values;

  if (values.build) {
    const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`the build failed (exit code ${built.status})`);
  }

  // An invalidation takes about as long as a propagation here (minutes, both, in CloudFront).
  const emulator = await startEmulator({ propagationMs, invalidationMs: propagationMs, latencyMs, seed });
  console.log(
    `local AWS emulator on ${emulator.url} (propagation and invalidations ${propagationMs} ms, ` +
      `latency ${latencyMs} ms, seed ${seed})`,
  );
  // Lines are read through the async iterator, which buffers them: answers piped in ahead of the questions are
  // kept, and the end of input reads as "no".
  const terminal = values.interactive ? createInterface({ input: process.stdin }) : undefined;
  const answers = terminal?.[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string> => {
    process.stdout.write(question);
    const next = await answers?.next();
    const answer = next && !next.done ? String(next.value) : '';
    // A terminal echoes what was typed; piped answers are echoed here so the timeline reads the same.
    if (!process.stdin.isTTY) process.stdout.write(`${answer}${next?.done ? '(end of input: no)' : ''}\n`);
    return answer;
  };
  try {
    const result = await runExperiment({
      emulator,
      continuationDelayMs: Math.max(50, Math.round(propagationMs / 2)),
      approval: values.reject
        ? 'reject'
        : terminal
          ? async () => {
              const answer = await ask('    Approve promotion to production? [y/N] ');
              return /^y(es)?$/i.test(answer.trim());
            }
          : 'auto',
      write: (line) => console.log(line),
      verbose: values.verbose,
      status: (primaryId, bucket) =>
        renderStatus(primaryId, {
          bucket,
          env: emulator.env,
          color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
        }),
    });
    return result.ok ? 0 : 1;
  } finally {
    terminal?.close();
    await emulator.close();
  }
}

runCommand(spec, main);
