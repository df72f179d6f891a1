/**
 * The chaos run's fault planner: at seeded random points it decides which request gets a fault (through the proxy:
 * an emulator fault armed for exactly that call, or killing the worker after its write) and which delivery Lambda
 * makes twice or CodePipeline makes late. At most one request fault per invocation attempt, so that Lambda's own
 * retries are what the run tests, not a wall of errors. Every injection is recorded with the cycle it hit.
 */
import { seededRandom } from '../emulator/random.js';
import type { Call } from './operations.js';
import type { Interference } from './proxy.js';

export const FAULT_KINDS = [
  'throttle-burst',
  'server-error',
  'concurrent-412',
  'lost-response',
  'slow-response',
  'lambda-killed',
  'duplicate-delivery',
  'late-continuation',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each kind does, for the summary table. */
export const FAULT_MEANING: Record<FaultKind, string> = {
  'throttle-burst': 'Throttling (400) on 2–7 calls in a row: up to 4 the SDK retries away, 5+ beyond its retries',
  'server-error': 'InternalError (500) or ServiceUnavailable (503) on 1–6 calls in a row',
  'concurrent-412': 'a concurrent writer moves the ETag first (412) and starts a propagation',
  'lost-response': 'the write is applied, the client sees the connection reset',
  'slow-response': 'the answer comes 0.3–3 s late, past the Lambda deadline at worst',
  'lambda-killed': 'the worker is killed after its write (or report) and before answering; Lambda retries',
  'duplicate-delivery': 'Lambda delivers the same event twice, at once or right after',
  'late-continuation': 'CodePipeline re-invokes a continuation 10–90 s late (the clock jumps; MaxWaitMinutes is 1)',
};

export interface Injection {
  kind: FaultKind;
  cycle: number;
  /** Who and what, e.g. `promote-1 UpdateDistributionWithStagingConfig (times 3)`. */
  detail: string;
}

export interface PlannerOptions {
  /** Share of requests that get a fault (a quarter of that for the watch's, which reads every tick). */
  requestRate: number;
  /** Share of deliveries made twice. */
  duplicateRate: number;
  /** Share of continuations re-invoked late (virtual time: the run's clock jumps). */
  lateRate: number;
  /** The functions' timeout: a slow answer may go past its deadline (timeout − 5 s). */
  functionTimeoutMs: number;
}

/** Decides the faults; `suspended` turns them off (a re-run that must succeed, the checks between cycles). */
export class FaultPlanner {
  private readonly rng: () => number;
  /** Workers whose current invocation attempt already got a request fault. */
  private readonly faulted = new Set<string>();
  readonly injections: Injection[] = [];
  cycle = 0;
  suspended = false;

  constructor(
    seed: number,
    private readonly opts: PlannerOptions,
  ) {
    // Its own stream, apart from the one that plans the cycles: faults depend on timing, the cycles must not.
    this.rng = seededRandom((seed ^ 0x9e3779b9) >>> 0);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)] as T;
  }

  private inject(kind: FaultKind, detail: string): void {
    this.injections.push({ kind, cycle: this.cycle, detail });
  }

  /** A new invocation attempt starts on `worker`: it may get one request fault again. */
  beginAttempt(worker: string): void {
    this.faulted.delete(worker);
  }

  /** The fault for one request, if any. */
  onCall(call: Call & { worker: string }): Interference {
    if (this.suspended || call.operation === 'Unknown' || this.faulted.has(call.worker)) return undefined;
    // Writes are where faults hurt: they get three times the rate, and mostly the faults only a write can have.
    const base = call.worker.startsWith('watch') ? this.opts.requestRate / 4 : this.opts.requestRate;
    if (this.rng() >= (call.write ? base * 3 : base)) return undefined;
    const anyCall: FaultKind[] = ['throttle-burst', 'server-error', 'slow-response'];
    const writeOnly: FaultKind[] = [
      'lost-response',
      'lambda-killed',
      ...(call.ifMatch ? ['concurrent-412' as const] : []),
    ];
    const kind = this.pick(
      call.write && this.rng() < 0.7 ? writeOnly : call.write ? [...anyCall, ...writeOnly] : anyCall,
    );
    this.faulted.add(call.worker);
    const { operation } = call;
    const at = `${call.worker} ${operation}`;
    switch (kind) {
      case 'throttle-burst': {
        const times = 2 + Math.floor(this.rng() * 6);
        this.inject(kind, `${at} ×${times}`);
        return { kind: 'emulator', fault: { operation, error: 'Throttling' }, times };
      }
      case 'server-error': {
        const times = 1 + Math.floor(this.rng() * 6);
        const error = this.rng() < 0.5 ? 'InternalError' : 'ServiceUnavailable';
        this.inject(kind, `${at} ${error} ×${times}`);
        return { kind: 'emulator', fault: { operation, error }, times };
      }
      case 'concurrent-412':
        this.inject(kind, at);
        return { kind: 'emulator', fault: { operation, error: 'PreconditionFailed' }, times: 1 };
      case 'lost-response':
        this.inject(kind, at);
        return { kind: 'emulator', fault: { operation, error: 'ConnectionReset', beforeWrite: false }, times: 1 };
      case 'slow-response': {
        const deadline = this.opts.functionTimeoutMs - 5_000;
        const delayMs = 300 + Math.floor(this.rng() * (deadline + 1_000 - 300));
        this.inject(kind, `${at} +${delayMs} ms${delayMs > deadline ? ' (past the deadline)' : ''}`);
        return { kind: 'emulator', fault: { operation, error: 'Slow', delayMs }, times: 1 };
      }
      default:
        this.inject('lambda-killed', at);
        return { kind: 'kill-after' };
    }
  }

  /** How Lambda delivers one event: again (at once, or once the first is done), and how late. */
  onDelivery(functionName: string, event: unknown): { duplicate: 'at-once' | 'after' | undefined; lateMs: number } {
    if (this.suspended) return { duplicate: undefined, lateMs: 0 };
    const job = (event as { 'CodePipeline.job'?: { id?: string; data?: { continuationToken?: string } } })[
      'CodePipeline.job'
    ];
    let lateMs = 0;
    if (job?.data?.continuationToken && this.rng() < this.opts.lateRate) {
      lateMs = 10_000 + Math.floor(this.rng() * 80_000);
      this.inject('late-continuation', `${functionName} job ${job.id?.slice(0, 8)} +${lateMs} ms`);
    }
    let duplicate: 'at-once' | 'after' | undefined;
    if (this.rng() < this.opts.duplicateRate) {
      duplicate = this.rng() < 0.5 ? 'at-once' : 'after';
      this.inject('duplicate-delivery', `${functionName}${job ? ` job ${job.id?.slice(0, 8)}` : ''} ${duplicate}`);
    }
    return { duplicate, lateMs };
  }
}
