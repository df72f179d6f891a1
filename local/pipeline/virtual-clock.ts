/**
 * Virtual minutes for the cycles that need them (the ramp's): a ramp judges 1-minute CloudWatch figures counted from
 * the moment each step is Deployed, which a run lasting seconds cannot give in real time. Once started, every
 * continuation (CodePipeline re-invokes a waiting action about once a minute) is one minute: before the
 * re-invocation the emulator's clock and the functions' clocks (their `clockOffsetMs`) move a minute ahead together,
 * then that minute's viewers send their requests, at its end. Until it is started nothing changes: no offset, no
 * traffic, the runner's real continuation delay alone.
 */
import type { InvocationResult, InvokeOptions, Invokers } from './lambda.js';

const MINUTE_MS = 60_000;

/** What the clock needs from the emulator. */
export interface ClockedEmulator {
  advanceClock(ms: number): void;
}

/** A minute's viewers: sends their requests and says what they got, in a few words, for the timeline. */
export type MinuteTraffic = () => Promise<string>;

export interface VirtualClock {
  /** How far the functions' and the emulator's clocks run ahead of the machine's. */
  readonly offsetMs: number;
  /** Whether each continuation is a minute. */
  readonly running: boolean;
  /** From now on each continuation is a minute (for good: time never goes back). */
  start(): void;
  /** The viewers of each minute from now on; undefined: no traffic. */
  trafficEachMinute(traffic: MinuteTraffic | undefined): void;
  /** One minute passes: both clocks move ahead, then the minute's viewers send their requests. */
  minute(): Promise<void>;
  /** `minutes` pass with no viewer (e.g. between two pushes): both clocks move ahead. */
  skip(minutes: number): void;
}

export function virtualClock(emulator: ClockedEmulator, note: (text: string) => void): VirtualClock {
  let offsetMs = 0;
  let running = false;
  let traffic: MinuteTraffic | undefined;
  // One minute at a time, even if two executions continue at once.
  let queue: Promise<void> = Promise.resolve();
  return {
    get offsetMs() {
      return offsetMs;
    },
    get running() {
      return running;
    },
    start: () => {
      running = true;
    },
    trafficEachMinute: (t) => {
      traffic = t;
    },
    skip: (minutes) => {
      emulator.advanceClock(minutes * MINUTE_MS);
      offsetMs += minutes * MINUTE_MS;
    },
    minute: () => {
      const next = queue.then(async () => {
        emulator.advanceClock(MINUTE_MS);
        offsetMs += MINUTE_MS;
        const seen = traffic ? `: ${await traffic()}` : '';
        note(`  ⏲ a minute later (virtual clock +${offsetMs / MINUTE_MS} min)${seen}`);
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

/** Whether an event is a CodePipeline job's re-invocation (it carries a continuation token). */
function isContinuation(event: unknown): boolean {
  const job = (event as { 'CodePipeline.job'?: { data?: { continuationToken?: unknown } } } | null)?.[
    'CodePipeline.job'
  ];
  return typeof job?.data?.continuationToken === 'string';
}

/** What the clock needs of a function: an invocation with a clock offset (a warm local worker has it). */
export interface ClockedInvoker {
  invoke(event: unknown, timeoutMs?: number, opts?: InvokeOptions): Promise<InvocationResult>;
}

/**
 * The functions as the pipeline, EventBridge and the watch schedule invoke them: each invocation runs at the clock's
 * offset, and a continuation, once the clock runs, first lets a minute pass.
 */
export function onVirtualClock(lambdas: Record<string, ClockedInvoker>, clock: VirtualClock): Invokers {
  return Object.fromEntries(
    Object.entries(lambdas).map(([name, lambda]) => [
      name,
      {
        invoke: async (event: unknown, timeoutMs?: number) => {
          if (clock.running && isContinuation(event)) await clock.minute();
          return lambda.invoke(event, timeoutMs, { clockOffsetMs: clock.offsetMs });
        },
      },
    ]),
  );
}
