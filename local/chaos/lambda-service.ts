/**
 * Lambda as the chaos run needs it: a few warm workers per function (Lambda scales out, so two deliveries of one
 * event can run at once), each reaching AWS through its own fault proxy, and asynchronous invocation semantics —
 * an attempt that errors (the handler rejected, the process was killed or timed out) is retried twice with the same
 * event, a killed worker is replaced by a cold one, and the planner may make a delivery twice or late.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FUNCTION_NAMES } from '../../infra/bundles.mjs';
import {
  LocalLambda,
  bundlePath,
  type InvocationResult,
  type Invoker,
  type Invokers,
  type LogLine,
} from '../pipeline/lambda.js';
import type { FaultSpec } from '../emulator/index.js';
import type { FaultPlanner } from './faults.js';
import { startProxy, type ProxiedCall } from './proxy.js';

/** One delivery attempt of an event, as the invariants look at it. */
export interface Attempt {
  functionName: string;
  worker: string;
  /** The CodePipeline job it carried, if any. */
  jobId: string | undefined;
  ok: boolean;
  error: string | undefined;
  startMs: number;
  endMs: number;
}

/** The run's virtual clock: how far it runs ahead of the machine's. */
export interface Clock {
  readonly offsetMs: number;
  advance(ms: number): void;
}

export interface ChaosLambdaOptions {
  clock: Clock;
  /** The emulator's endpoint variables; each worker gets them with its proxy as the endpoint. */
  env: Record<string, string>;
  planner: FaultPlanner;
  arm(fault: FaultSpec): void;
  functionTimeoutMs: number;
  /** Lambda's wait before retrying a failed asynchronous attempt (minutes in AWS; scaled here). */
  retryDelayMs: number;
  workersPerFunction?: number;
  /** Told of every AWS call a worker made, once the emulator answered (or the connection failed). */
  onCall?: (call: ProxiedCall) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Slot {
  id: string;
  env: Record<string, string>;
  lambda: LocalLambda;
  busy: boolean;
  close(): Promise<void>;
}

const jobIdOf = (event: unknown) =>
  (event as { 'CodePipeline.job'?: { id?: string } } | null)?.['CodePipeline.job']?.id;

/** The functions of dist/ under chaos: one {@link Invoker} per function, and everything they did. */
export class ChaosLambdas {
  readonly invokers: Invokers = {};
  readonly calls: ProxiedCall[] = [];
  readonly attempts: Attempt[] = [];
  private readonly slots = new Map<string, Slot[]>();
  private readonly waiting = new Map<string, (() => void)[]>();

  private constructor(
    private readonly opts: ChaosLambdaOptions,
    /** The bundles this run uses, copied from dist/ at the start: a rebuild meanwhile does not reach them. */
    private readonly distDir: string,
  ) {}

  static async start(opts: ChaosLambdaOptions): Promise<ChaosLambdas> {
    const distDir = mkdtempSync(join(tmpdir(), 'cloudfront-cd-chaos-dist-'));
    for (const name of FUNCTION_NAMES) {
      const to = bundlePath(name, distDir);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(bundlePath(name), to);
    }
    const lambdas = new ChaosLambdas(opts, distDir);
    try {
      for (const name of FUNCTION_NAMES) {
        const slots: Slot[] = [];
        for (let i = 1; i <= (opts.workersPerFunction ?? 2); i++) slots.push(await lambdas.slot(name, `${name}-${i}`));
        lambdas.slots.set(name, slots);
        lambdas.invokers[name] = lambdas.invoker(name);
      }
    } catch (err) {
      await lambdas.stop();
      throw err;
    }
    return lambdas;
  }

  private async slot(name: string, id: string): Promise<Slot> {
    let slot: Slot | undefined;
    const proxy = await startProxy(this.opts.env.AWS_ENDPOINT_URL as string, id, {
      decide: (call) => this.opts.planner.onCall(call),
      arm: this.opts.arm,
      kill: () => slot?.lambda.kill('killed by the chaos run after its write'),
      record: (call) => {
        this.calls.push(call);
        this.opts.onCall?.(call);
      },
    });
    const env = { ...this.opts.env, AWS_ENDPOINT_URL: proxy.url };
    slot = { id, env, lambda: await LocalLambda.start(name, env, this.distDir), busy: false, close: proxy.close };
    return slot;
  }

  /** An idle worker of the function (waiting for one if all are busy); a dead one is replaced by a cold start. */
  private async acquire(name: string): Promise<Slot> {
    for (;;) {
      const free = this.slots.get(name)?.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        if (!free.lambda.alive) free.lambda = await LocalLambda.start(name, free.env, this.distDir);
        return free;
      }
      await new Promise<void>((resolve) => this.waiting.set(name, [...(this.waiting.get(name) ?? []), resolve]));
    }
  }

  private release(name: string, slot: Slot): void {
    slot.busy = false;
    const [next, ...rest] = this.waiting.get(name) ?? [];
    this.waiting.set(name, rest);
    next?.();
  }

  /** One asynchronous delivery: the first attempt and, while it errors, Lambda's two retries. */
  private async deliver(name: string, event: unknown): Promise<InvocationResult> {
    const logs: LogLine[] = [];
    let last: InvocationResult | undefined;
    const started = performance.now();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const slot = await this.acquire(name);
      this.opts.planner.beginAttempt(slot.id);
      const startMs = performance.now();
      const r = await slot.lambda.invoke(event, this.opts.functionTimeoutMs, {
        clockOffsetMs: this.opts.clock.offsetMs,
      });
      this.release(name, slot);
      this.attempts.push({
        functionName: name,
        worker: slot.id,
        jobId: jobIdOf(event),
        ok: r.ok,
        error: r.ok ? undefined : `${r.error?.name}: ${r.error?.message}`,
        startMs,
        endMs: performance.now(),
      });
      logs.push(...r.logs);
      last = r;
      if (r.ok) break;
      if (attempt < 3) {
        logs.push({ event: 'lambda-retry', attempt: attempt + 1, reason: `${r.error?.name}: ${r.error?.message}` });
        await sleep(this.opts.retryDelayMs);
      }
    }
    return { ...(last as InvocationResult), logs, durationMs: performance.now() - started };
  }

  private invoker(name: string): Invoker {
    return {
      invoke: async (event) => {
        const { duplicate, lateMs } = this.opts.planner.onDelivery(name, event);
        // A late continuation: CodePipeline comes back that much later (virtual time), after a real pause.
        if (lateMs) {
          await sleep(this.opts.retryDelayMs);
          this.opts.clock.advance(lateMs);
        }
        const first = this.deliver(name, event);
        const second =
          duplicate === 'at-once'
            ? this.deliver(name, event)
            : duplicate === 'after'
              ? first.then(() => this.deliver(name, event))
              : undefined;
        const [r, again] = await Promise.all([first, second]);
        if (!again) return r;
        return { ...r, logs: [...r.logs, { event: 'lambda-duplicate-delivery', duplicate }, ...again.logs] };
      },
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.slots.values()].flat().map(async (s) => {
        await s.lambda.stop();
        await s.close();
      }),
    );
    rmSync(this.distDir, { recursive: true, force: true });
  }
}
