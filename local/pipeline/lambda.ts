/**
 * Local Lambda functions: each built bundle runs in its own warm child process (see lambda-worker.mjs) with the
 * emulator's endpoint variables, so the code under test is exactly what ships in dist/, on the Lambda runtime's Node
 * major when it is installed (runtime-node.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FUNCTION_NAMES } from '../../infra/bundles.mjs';
import { lambdaNode } from './runtime-node.js';

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

/** Anything that invokes a function the way the runner needs: a warm worker, or a model of Lambda around them. */
export interface Invoker {
  invoke(event: unknown, timeoutMs?: number): Promise<InvocationResult>;
}

/** How one invocation runs besides its event. */
export interface InvokeOptions {
  /** How far the function's clock runs ahead of the machine's (a chaos run's virtual time); default 0. */
  clockOffsetMs?: number;
}

/** Functions by name. */
export type Invokers = Record<string, Invoker>;

/** Marks the worker's reply line on stdout (see lambda-worker.mjs). */
const END = '__local_lambda_invocation_end__';
const WORKER = fileURLToPath(new URL('./lambda-worker.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The path of a function's built bundle. */
export function bundlePath(name: string, distDir = join(ROOT, 'dist')): string {
  return join(distDir, name, 'index.mjs');
}

/** What a worker answered for one invocation (the parent adds the logs and its own timing). */
type Reply = Omit<InvocationResult, 'logs' | 'durationMs'>;

/**
 * A warm local Lambda function running one bundle. Like a Lambda execution environment it runs one invocation at a
 * time, and an invocation that outlives its timeout ends the environment (the process is killed), as does
 * {@link LocalLambda.kill}; a dead one answers every further invocation with an error.
 */
export class LocalLambda implements Invoker {
  private pending: { id: string; resolve: (r: Reply) => void } | undefined;
  private lines: LogLine[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the process is gone, once it is. */
  private exited: string | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** The `process.version` of the Node running the bundle, as the worker reported it. */
    readonly nodeVersion: string,
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
    child.once('exit', (code, signal) => {
      this.exited ??= `the process exited (${signal ?? `code ${code}`})`;
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve({ ok: false, handlerMs: 0, error: { name: 'Runtime.ExitError', message: this.exited } });
    });
  }

  /** False once the process is gone (killed, timed out, crashed). */
  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Starts the function's worker process with `env` (e.g. the emulator's endpoint variables). */
  static async start(name: string, env: Record<string, string>, distDir?: string): Promise<LocalLambda> {
    const bundle = bundlePath(name, distDir);
    if (!existsSync(bundle)) throw new Error(`no bundle at ${bundle}: run \`npm run build\` first`);
    const child = fork(WORKER, [bundle, name], {
      execPath: lambdaNode().path,
      // Plain node, as Lambda runs it: not the loader hooks of whatever started us (tsx, vitest).
      execArgv: [],
      env: { PATH: process.env.PATH ?? '', ...env, AWS_LAMBDA_FUNCTION_NAME: name },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    const ready = await new Promise<{ node: string }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { node: string }));
      child.once('exit', (code) => reject(new Error(`${name} worker exited with code ${code} before it was ready`)));
    });
    return new LocalLambda(name, child, ready.node);
  }

  /**
   * Invokes the handler with `event`, one invocation at a time, like a single Lambda container. `timeoutMs` is the
   * function's timeout: the handler sees it as its remaining time, and past it (plus a moment for the reply) the
   * process is killed and the invocation answers `Sandbox.Timedout`.
   */
  invoke(event: unknown, timeoutMs = 60_000, opts: InvokeOptions = {}): Promise<InvocationResult> {
    const run = async (): Promise<InvocationResult> => {
      const id = randomUUID();
      const started = performance.now();
      const reply = this.exited
        ? { ok: false, handlerMs: 0, error: { name: 'Runtime.ExitError', message: this.exited } }
        : await new Promise<Reply>((resolve) => {
            this.pending = { id, resolve };
            const timer = setTimeout(() => {
              if (this.pending?.id !== id) return;
              this.exited = `Task timed out after ${timeoutMs} ms`;
              this.pending = undefined;
              resolve({ ok: false, handlerMs: timeoutMs, error: { name: 'Sandbox.Timedout', message: this.exited } });
              this.child.kill('SIGKILL');
            }, timeoutMs + 500);
            timer.unref();
            this.child.send({ id, event, timeoutMs, clockOffsetMs: opts.clockOffsetMs ?? 0 });
          });
      const logs = this.lines;
      this.lines = [];
      return { ...reply, logs, durationMs: performance.now() - started };
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Kills the process at once (SIGKILL), mid-invocation if there is one: that invocation answers an error. */
  kill(reason = 'killed'): void {
    if (!this.alive) return;
    this.exited = `the process was ${reason} (SIGKILL)`;
    this.child.kill('SIGKILL');
  }

  /** Stops the worker process. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill();
    await exited;
  }
}

/** Warm local functions by name. */
export type LocalLambdas = Record<string, LocalLambda>;

/**
 * Starts one warm worker per function, by default every function the build bundles (infra/bundles.mjs). If any
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
  return invokerNamed(lambdas, name);
}

/** {@link lambdaNamed} for any invokers. */
export function invokerNamed<I extends Invoker>(lambdas: Record<string, I>, name: string): I {
  const lambda = lambdas[name];
  if (!lambda) throw new Error(`no local function ${name} (started: ${Object.keys(lambdas).join(', ') || 'none'})`);
  return lambda;
}
