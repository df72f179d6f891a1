/**
 * `npm start`: the whole pipeline flow against the local emulator and the built bundles, printed as a timeline.
 * Exit code 0 only if every expectation held.
 *
 *   npm start -- [--interactive | --reject] [--propagation-ms N] [--latency-ms N] [--seed N]
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator/index.js';
import { runExperiment } from './experiment.js';

const USAGE = `usage: npm start -- [--interactive | --reject] [--propagation-ms N] [--latency-ms N] [--seed N]
  --interactive       ask on the terminal at each manual approval (default: approve automatically)
  --reject            reject the first approval; the abort action rolls traffic back to the primary
  --propagation-ms N  how long a distribution stays InProgress after a change (default 400)
  --latency-ms N      latency the emulator adds to every AWS API request (default 0)
  --seed N            seed for weighted routing (default 7)`;

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a whole number of milliseconds, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        interactive: { type: 'boolean', default: false },
        reject: { type: 'boolean', default: false },
        'propagation-ms': { type: 'string' },
        'latency-ms': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.interactive && values.reject) {
    console.error(`--interactive and --reject exclude each other\n${USAGE}`);
    return 2;
  }
  const propagationMs = intOption(values['propagation-ms'], 'propagation-ms', 400);
  const latencyMs = intOption(values['latency-ms'], 'latency-ms', 0);
  const seed = intOption(values.seed, 'seed', 7);

  const emulator = await startEmulator({ propagationMs, latencyMs, seed });
  console.log(
    `local AWS emulator on ${emulator.url} (propagation ${propagationMs} ms, latency ${latencyMs} ms, seed ${seed})`,
  );
  // Lines are read through the async iterator, which buffers them: answers piped in ahead of the questions are
  // kept, and the end of input reads as "no".
  const terminal = values.interactive ? createInterface({ input: process.stdin }) : undefined;
  const answers = terminal?.[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string> => {
    process.stdout.write(question);
    const next = await answers?.next();
    return next && !next.done ? String(next.value) : '';
  };
  try {
    const result = await runExperiment({
      emulator,
      continuationDelayMs: Math.max(50, Math.round(propagationMs / 2)),
      approval: values.reject
        ? 'reject'
        : terminal
          ? async (customData) => {
              const answer = await ask(`\n${customData}\nApprove promotion to production? [y/N] `);
              return /^y(es)?$/i.test(answer.trim());
            }
          : 'auto',
      write: (line) => console.log(line),
    });
    return result.ok ? 0 : 1;
  } finally {
    terminal?.close();
    await emulator.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
