/**
 * `npm run emulator -- --port N [--propagation-ms N] [--latency-ms N] [--seed N]`: runs the emulator in the
 * foreground and prints how to point the AWS CLI and SDK at it. Stops cleanly on SIGINT/SIGTERM.
 *
 * Propagation defaults to a few seconds so that a change shows CloudFront's life cycle (InProgress, then Deployed);
 * `--propagation-ms 0` or `POST /_emulator/propagation {"ms": 0}` makes changes Deployed at once.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';

/** Long enough to see InProgress in a status call or a waiter, short enough not to stall a walkthrough. */
const DEFAULT_PROPAGATION_MS = 5000;

const USAGE = `usage: npm run emulator -- [--port N] [--propagation-ms N] [--latency-ms N] [--seed N]`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got ${value}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'propagation-ms': { type: 'string' },
    'latency-ms': { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const opts = {
  port: integer('port', values.port) ?? 0,
  propagationMs: integer('propagation-ms', values['propagation-ms']) ?? DEFAULT_PROPAGATION_MS,
  latencyMs: integer('latency-ms', values['latency-ms']) ?? 0,
  seed: integer('seed', values.seed) ?? 1,
};
const emulator = await startEmulator(opts);
console.log(
  `AWS emulator listening on ${emulator.url} (propagation ${opts.propagationMs} ms, latency ${opts.latencyMs} ms, seed ${opts.seed})`,
);
console.log(
  `# a change stays InProgress for ${opts.propagationMs} ms; --propagation-ms 0 (or POST /_emulator/propagation {"ms": 0}) makes it Deployed at once`,
);
console.log('\n# point the AWS CLI and SDK v3 at it (S3 needs path-style addressing):');
for (const [k, v] of Object.entries(emulator.env)) console.log(`export ${k}=${v}`);
console.log(`\n# e.g.  aws cloudfront get-distribution --id <id> --endpoint-url ${emulator.url}`);
console.log(
  `# control: curl ${emulator.url}/_emulator/state   (also POST settle | fault | latency | propagation | error-rate)`,
);
console.log(`# viewer:  curl ${emulator.url}/_viewer/<distribution domain>/<path>\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the emulator`);
    void emulator.close().then(() => process.exit(0));
  });
}
