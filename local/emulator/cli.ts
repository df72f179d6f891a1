/**
 * `npm run emulator -- [--site] [--state FILE] [--port N] [--propagation-ms N] [--invalidation-ms N] [--latency-ms N]
 * [--seed N]`: runs the emulator in the foreground and prints how to point the AWS CLI and SDK at it. Stops cleanly
 * on SIGINT/SIGTERM.
 *
 * `--site` seeds the demo site `npm start` begins with (demo-site.ts) and prints its ids and the cfcd commands to
 * try; `--state FILE` restores the account from FILE when it exists and saves it there after every change (a short
 * debounce, and once more on exit), so a restart finds it as it was (persist.ts). With both and an existing FILE, the
 * site is not seeded twice: the one in FILE is shown.
 *
 * Propagation defaults to a few seconds so that a change shows CloudFront's life cycle (InProgress, then Deployed);
 * `--propagation-ms 0` or `POST /_emulator/propagation {"ms": 0}` makes changes Deployed at once.
 *
 * A usage error (unknown flag, a value out of its bounds, a port in use) prints one line and the usage on stderr
 * and exits 2, without a stack trace (cli/args.ts, as every command line of the project).
 */
import { type CommandSpec, UsageError, helpText, parseCommandLine, runCommand } from '../../cli/args.js';
import { demoSiteText, findDemoSite, seedDemoSite } from './demo-site.js';
import { startEmulator } from './index.js';
import { LIMITS } from './limits.js';
import { readStateFile, stateSaver } from './persist.js';

/** How long after a change the state file is written: a burst of changes (one cfcd pass) is one write. */
const SAVE_DEBOUNCE_MS = 200;

const spec = {
  name: '',
  program: 'npm run emulator --',
  summary:
    'The AWS emulator in the foreground, with how to point the AWS CLI and SDK at it. Stops cleanly on SIGINT/SIGTERM.',
  synopsis: '[--site] [--state FILE] [--port N] [--propagation-ms N] [--invalidation-ms N] [--latency-ms N] [--seed N]',
  options: {
    site: {
      type: 'boolean',
      description: 'seed the demo site (primary, staging, policy, bucket, pipeline) and print the cfcd commands to try',
    },
    state: {
      type: 'string',
      value: 'FILE',
      description: 'restore the emulator from FILE if it exists, and save it there after every change',
    },
    port: {
      type: 'integer',
      ...LIMITS.port,
      default: 0,
      value: 'N',
      description: 'port on 127.0.0.1 (0: any free port)',
    },
    // Long enough to see InProgress in a status call or a waiter, short enough not to stall a walkthrough.
    'propagation-ms': {
      type: 'integer',
      ...LIMITS.propagationMs,
      default: 5000,
      value: 'N',
      description: 'how long a change stays InProgress',
    },
    'invalidation-ms': {
      type: 'integer',
      ...LIMITS.invalidationMs,
      default: 5000,
      value: 'N',
      description: 'how long an invalidation is InProgress',
    },
    'latency-ms': {
      type: 'integer',
      ...LIMITS.latencyMs,
      default: 0,
      value: 'N',
      description: 'added to every AWS API request',
    },
    seed: {
      type: 'integer',
      ...LIMITS.seed,
      default: 1,
      value: 'N',
      description: 'seed of weighted routing and fault draws',
    },
    help: { type: 'boolean', short: 'h', description: 'print this help' },
  },
} satisfies CommandSpec;

/** Runs until SIGINT or SIGTERM, then resolves 0 once the emulator has closed. */
async function main(): Promise<number> {
  const values = parseCommandLine(spec, process.argv.slice(2));
  if (values.help) {
    process.stdout.write(helpText(spec));
    return 0;
  }
  const stateFile = values.state;
  if (stateFile === '') throw new UsageError('--state needs a file name', spec);
  const restore = stateFile === undefined ? undefined : readStateFile(stateFile);
  const opts = {
    port: values.port,
    propagationMs: values['propagation-ms'],
    invalidationMs: values['invalidation-ms'],
    latencyMs: values['latency-ms'],
    seed: values.seed,
    ...(restore ? { restore } : {}),
  };
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator(opts);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UsageError(`port ${opts.port} is in use (another emulator?); choose another with --port`, spec);
    if (code === 'EACCES')
      throw new UsageError(`port ${opts.port} needs privileges this user lacks; choose one above 1023`, spec);
    throw e;
  }
  const saver =
    stateFile === undefined
      ? undefined
      : stateSaver(stateFile, () => emulator.saved(), {
          debounceMs: SAVE_DEBOUNCE_MS,
          onError: (e) => console.error(`warning: could not save the state to ${stateFile}: ${e.message}`),
        });
  if (saver) emulator.onRequestDone(() => saver.changed());
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (stopping) return;
        stopping = true;
        console.log(`\n${signal}: stopping the emulator`);
        void emulator.close().then(() => {
          if (saver) {
            saver.flush();
            console.log(`state saved to ${stateFile}`);
          }
          resolve(0);
        });
      });
    }
  });
  const site = !values.site
    ? undefined
    : restore
      ? findDemoSite(emulator.state())
      : await seedDemoSite(emulator.url, emulator.pipelines);
  if (site && !restore) emulator.settle();
  saver?.flush();
  console.log(
    `AWS emulator listening on ${emulator.url} (propagation ${opts.propagationMs} ms, ` +
      `invalidation ${opts.invalidationMs} ms, latency ${opts.latencyMs} ms, seed ${opts.seed})`,
  );
  console.log(
    `# a change stays InProgress for ${opts.propagationMs} ms; ` +
      '--propagation-ms 0 (or POST /_emulator/propagation {"ms": 0}) makes it Deployed at once',
  );
  console.log('\n# point the AWS CLI and SDK v3 at it (S3 needs path-style addressing):');
  for (const [k, v] of Object.entries(emulator.env)) console.log(`export ${k}=${v}`);
  console.log(`\n# e.g.  aws cloudfront get-distribution --id <id> --endpoint-url ${emulator.url}`);
  console.log(
    `# control: curl ${emulator.url}/_emulator/state   (GET /_emulator/help lists every endpoint and its body)`,
  );
  console.log(`# viewer:  curl ${emulator.url}/_viewer/<distribution domain>/<path>\n`);
  if (stateFile !== undefined)
    console.log(
      restore
        ? `# state restored from ${stateFile} (saved ${restore.savedAt}); every change is saved there\n`
        : `# state saved to ${stateFile} after every change; the next run with --state ${stateFile} restores it\n`,
    );
  if (values.site) {
    if (site) for (const line of demoSiteText(site, restore ? 'restored' : 'seeded', stateFile)) console.log(line);
    else console.log(`# --site: ${stateFile} holds no demo site, and --site seeds only an empty emulator (not seeded)`);
    console.log('');
  }
  return stopped;
}

runCommand(spec, main);
