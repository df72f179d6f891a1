/**
 * `npm start`: the whole pipeline flow against the local emulator and the built bundles, printed as a timeline.
 * Exit code 0 only if every expectation held; 2 for a mistake in the command line (checked before anything runs).
 */
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { renderStatus } from '../../cli/primary-report.js';
import { startEmulator } from '../emulator/index.js';
import { UsageError, boundedInteger, parseCommandLine, runCommand } from './command-line.js';
import { runExperiment } from './experiment.js';

const USAGE = `usage: npm start -- [--interactive | --reject] [--propagation-ms N] [--latency-ms N] [--seed N] [--verbose]
  --interactive       ask on the terminal at each manual approval (default: approve automatically)
  --reject            reject the first approval; the abort action rolls traffic back to the primary
  --propagation-ms N  how long a distribution stays InProgress after a change, and an invalidation InProgress,
                      0–30000 (default 400)
  --latency-ms N      latency the emulator adds to every AWS API request, 0–2000 (default 0)
  --seed N            seed of the emulator's weighted routing, a whole number 0–4294967295 (default 7)
  --verbose           print every log line of every invocation as the function wrote it (JSON)
  --build             build the bundles (npm run build) once the options are checked
  -h, --help          print this help`;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<number> {
  const values = parseCommandLine(process.argv.slice(2), {
    interactive: { type: 'boolean', short: 'i', default: false },
    reject: { type: 'boolean', default: false },
    'propagation-ms': { type: 'string' },
    'latency-ms': { type: 'string' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.interactive && values.reject) throw new UsageError('--interactive and --reject exclude each other');
  const propagationMs = boundedInteger('propagation-ms', values['propagation-ms'], {
    min: 0,
    max: 30_000,
    fallback: 400,
    unit: 'milliseconds',
  });
  const latencyMs = boundedInteger('latency-ms', values['latency-ms'], {
    min: 0,
    max: 2_000,
    fallback: 0,
    unit: 'milliseconds',
  });
  const seed = boundedInteger('seed', values.seed, { min: 0, max: 2 ** 32 - 1, fallback: 7 });

  if (values.build) {
    const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`the build failed (exit code ${built.status})`);
  }

  // An invalidation takes about as long as a propagation here (minutes, both, in CloudFront).
  const emulator = await startEmulator({ propagationMs, invalidationMs: propagationMs, latencyMs, seed });
  console.log(
    `local AWS emulator on ${emulator.url} (propagation and invalidations ${propagationMs} ms, latency ${latencyMs} ms, seed ${seed})`,
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

runCommand('npm start', USAGE, main);
