/**
 * Local Lambda functions: each built bundle runs in its own warm child process (see lambda-worker.mjs) with the
 * emulator's endpoint variables, so the code under test is exactly what ships in dist/.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FUNCTION_NAMES } from '../../function-names.mjs';

/** One structured log line a function wrote. */
export type LogLine = Record<string, unknown> & { event?: string; level?: string };

export interface InvocationResult {
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string };
  /** The JSON log lines the function wrote during this invocation (other stdout lines are kept as `{ text }`). */
  logs: LogLine[];
  /** Wall time of the invocation as the caller saw it (includes the hop to the worker process). */
  durationMs: number;
  /** Time inside the handler alone, measured in the worker (what Lambda would bill). */
  handlerMs: number;
}

/** Marks the worker's reply line on stdout (see lambda-worker.mjs). */
const END = '__local_lambda_invocation_end__';
const WORKER = fileURLToPath(new URL('./lambda-worker.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The path of a function's built bundle. */
export function bundlePath(name: string, distDir = join(ROOT, 'dist')): string {
  return join(distDir, name, 'index.mjs');
}

/** A warm local Lambda function running one bundle. */
export class LocalLambda {
  private pending: { id: string; resolve: (r: Omit<InvocationResult, 'logs' | 'durationMs'>) => void } | undefined;
  private lines: LogLine[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.trim() === '') return;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { text: line };
      }
      const end = parsed[END];
      if (end === undefined) return void this.lines.push(parsed);
      if (this.pending?.id !== end) return;
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve({
        ok: Boolean(parsed.ok),
        handlerMs: Number(parsed.handlerMs),
        ...(parsed.ok ? { result: parsed.result } : { error: parsed.error as { name: string; message: string } }),
      });
    });
  }

  /** Starts the function's worker process with `env` (e.g. the emulator's endpoint variables). */
  static async start(name: string, env: Record<string, string>, distDir?: string): Promise<LocalLambda> {
    const bundle = bundlePath(name, distDir);
    if (!existsSync(bundle)) throw new Error(`no bundle at ${bundle}: run \`npm run build\` first`);
    const child = fork(WORKER, [bundle, name], {
      // LOCAL_LAMBDA_NODE runs the bundles on another Node binary, e.g. the Lambda runtime's major (nodejs22.x).
      ...(process.env.LOCAL_LAMBDA_NODE ? { execPath: process.env.LOCAL_LAMBDA_NODE } : {}),
      // Plain node, as Lambda runs it: not the loader hooks of whatever started us (tsx, vitest).
      execArgv: [],
      env: { PATH: process.env.PATH ?? '', ...env, AWS_LAMBDA_FUNCTION_NAME: name },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`${name} worker exited with code ${code} before it was ready`)));
    });
    return new LocalLambda(name, child);
  }

  /** Invokes the handler with `event`, one invocation at a time, like a single Lambda container. */
  invoke(event: unknown, timeoutMs = 60_000): Promise<InvocationResult> {
    const run = async (): Promise<InvocationResult> => {
      const id = randomUUID();
      const started = performance.now();
      const reply = await new Promise<Omit<InvocationResult, 'logs' | 'durationMs'>>((resolve) => {
        this.pending = { id, resolve };
        this.child.send({ id, event, timeoutMs });
      });
      const logs = this.lines;
      this.lines = [];
      return { ...reply, logs, durationMs: performance.now() - started };
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Stops the worker process. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill();
    await exited;
  }
}

/** Warm local functions by name. */
export type LocalLambdas = Record<string, LocalLambda>;

/**
 * Starts one warm worker per function, by default every function the build bundles (function-names.mjs). If any
 * fails to start, the others are stopped before the error is thrown.
 */
export async function startLambdas(
  env: Record<string, string>,
  opts: { distDir?: string; names?: readonly string[] } = {},
): Promise<LocalLambdas> {
  const names = opts.names ?? FUNCTION_NAMES;
  const started = await Promise.allSettled(names.map((name) => LocalLambda.start(name, env, opts.distDir)));
  const lambdas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(lambdas.map((l) => l.stop()));
    throw failed.reason;
  }
  return Object.fromEntries(lambdas.map((l) => [l.name, l]));
}

/** Stops every worker. */
export async function stopLambdas(lambdas: LocalLambdas): Promise<void> {
  await Promise.all(Object.values(lambdas).map((l) => l.stop()));
}

/** The function called `name`; throws for a name with no worker (a function that does not exist or was not started). */
export function lambdaNamed(lambdas: LocalLambdas, name: string): LocalLambda {
  const lambda = lambdas[name];
  if (!lambda) throw new Error(`no local function ${name} (started: ${Object.keys(lambdas).join(', ') || 'none'})`);
  return lambda;
}
