/**
 * `npm run emulator -- [--port N] [--propagation-ms N] [--invalidation-ms N] [--latency-ms N] [--seed N]`: runs the
 * emulator in the foreground and prints how to point the AWS CLI and SDK at it. Stops cleanly on SIGINT/SIGTERM.
 *
 * Propagation defaults to a few seconds so that a change shows CloudFront's life cycle (InProgress, then Deployed);
 * `--propagation-ms 0` or `POST /_emulator/propagation {"ms": 0}` makes changes Deployed at once.
 *
 * A usage error (unknown flag, a value out of its bounds, a port in use) prints one line and the usage on stderr
 * and exits 2, without a stack trace.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';
import { LIMITS, type Limit } from './limits.js';

/** Long enough to see InProgress in a status call or a waiter, short enough not to stall a walkthrough. */
const DEFAULT_PROPAGATION_MS = 5000;
/** Likewise for an invalidation's InProgress (the usage text names the same number). */
const DEFAULT_INVALIDATION_MS = 5000;

const INVALIDATION = LIMITS.invalidationMs;
const USAGE = `usage: npm run emulator -- [--port N] [--propagation-ms N] [--invalidation-ms N]
                           [--latency-ms N] [--seed N]
  --port N            port on 127.0.0.1, ${LIMITS.port.min}–${LIMITS.port.max} (default 0: any free port)
  --propagation-ms N  how long a change stays InProgress, ${LIMITS.propagationMs.min}–${LIMITS.propagationMs.max} (default ${DEFAULT_PROPAGATION_MS})
  --invalidation-ms N how long an invalidation is InProgress, ${INVALIDATION.min}–${INVALIDATION.max} (default 5000)
  --latency-ms N      added to every AWS API request, ${LIMITS.latencyMs.min}–${LIMITS.latencyMs.max} (default 0)
  --seed N            seed of weighted routing and fault draws, ${LIMITS.seed.min}–${LIMITS.seed.max} (default 1)
  -h, --help          print this help`;

/** A usage error: one line, then the usage, on stderr; exit 2. */
class UsageError extends Error {}

function usageExit(message: string): never {
  process.stderr.write(`emulator: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** A decimal integer within `limit`, or a UsageError naming the flag. */
function integer(flag: string, value: string | undefined, limit: Limit): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < limit.min || n > limit.max)
    throw new UsageError(
      `--${flag} must be an integer from ${limit.min} to ${limit.max}, got ${JSON.stringify(value)}`,
    );
  return n;
}

function parse(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'propagation-ms': { type: 'string' },
        'invalidation-ms': { type: 'string' },
        'latency-ms': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    // parseArgs' own messages name the flag ("Unknown option '--bogus'…"); keep the first sentence.
    throw new UsageError((e as Error).message.split(/(?<=[.?])\s/)[0]!.replace(/\.$/, ''));
  }
  if (values.help) return { help: true as const };
  return {
    help: false as const,
    port: integer('port', values.port, LIMITS.port) ?? 0,
    propagationMs: integer('propagation-ms', values['propagation-ms'], LIMITS.propagationMs) ?? DEFAULT_PROPAGATION_MS,
    invalidationMs:
      integer('invalidation-ms', values['invalidation-ms'], LIMITS.invalidationMs) ?? DEFAULT_INVALIDATION_MS,
    latencyMs: integer('latency-ms', values['latency-ms'], LIMITS.latencyMs) ?? 0,
    seed: integer('seed', values.seed, LIMITS.seed) ?? 1,
  };
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parse>;
  try {
    opts = parse(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) usageExit(e.message);
    throw e;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let emulator;
  try {
    emulator = await startEmulator(opts);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') usageExit(`port ${opts.port} is in use (another emulator?); choose another with --port`);
    if (code === 'EACCES') usageExit(`port ${opts.port} needs privileges this user lacks; choose one above 1023`);
    throw e;
  }
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping the emulator`);
      void emulator.close().then(() => process.exit(0));
    });
  }
  console.log(
    `AWS emulator listening on ${emulator.url} (propagation ${opts.propagationMs} ms, ` +
      `invalidation ${opts.invalidationMs} ms, latency ${opts.latencyMs} ms, seed ${opts.seed})`,
  );
  console.log(
    `# a change stays InProgress for ${opts.propagationMs} ms; --propagation-ms 0 (or POST /_emulator/propagation {"ms": 0}) makes it Deployed at once`,
  );
  console.log('\n# point the AWS CLI and SDK v3 at it (S3 needs path-style addressing):');
  for (const [k, v] of Object.entries(emulator.env)) console.log(`export ${k}=${v}`);
  console.log(`\n# e.g.  aws cloudfront get-distribution --id <id> --endpoint-url ${emulator.url}`);
  console.log(
    `# control: curl ${emulator.url}/_emulator/state   (GET /_emulator/help lists every endpoint and its body)`,
  );
  console.log(`# viewer:  curl ${emulator.url}/_viewer/<distribution domain>/<path>\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
