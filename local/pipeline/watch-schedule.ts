/**
 * The watch's EventBridge schedule, run locally: the template's `rate(1 minute)` rule ticks the watch with its
 * constant input, one minute scaled down like everything else here (the interval the caller gives). The timeline
 * shows a tick when its decision changes, and every tick that rolls back, rejects or fails.
 */
import { invokerNamed, type Invokers, type LogLine } from './lambda.js';
import type { ScheduleRule } from './template-pipeline.js';
import { shorten, type Timeline } from './timeline.js';

/** One tick as the watch answered it (its `tick` log line is the invocation's result). */
export interface WatchTick {
  n: number;
  /** performance.now() when the tick ended. */
  at: number;
  ok: boolean;
  decision: string;
  reason: string;
  /** The tick's summary: figures, rollback, rejection. */
  summary: Record<string, unknown>;
  logs: LogLine[];
}

export interface WatchSchedule {
  readonly ticks: WatchTick[];
  /** Resolves with the first tick `predicate` accepts: one already made, or the next to come. */
  waitFor(predicate: (t: WatchTick) => boolean): Promise<WatchTick>;
  stop(): Promise<void>;
}

/** What a tick did beyond judging: the rollback and the rejection, in a few words. */
function consequences(summary: Record<string, unknown>): string {
  const rollback = summary.rollback as { changes?: string[]; nothingToDo?: string; error?: string } | undefined;
  const rejection = summary.rejection as { outcome?: string } | undefined;
  const parts = [
    rollback
      ? rollback.error
        ? `disable FAILED: ${shorten(rollback.error, 80)}`
        : rollback.changes?.length
          ? `wrote ${rollback.changes.join(', ')}`
          : `nothing to disable (${shorten(rollback.nothingToDo ?? '', 60)})`
      : undefined,
    rejection?.outcome ? `approval: ${rejection.outcome}` : undefined,
  ].filter(Boolean);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

const percent = (v: string | undefined) => (Number.isFinite(Number(v)) ? `${v}%` : String(v));

/** The tick's decision and its figures; its reason when the figures do not say it (no canary, a breach). */
function describeTick(t: WatchTick): string {
  const f = t.summary.figures as Record<string, string> | undefined;
  const primary = f?.Primary5xxErrorRate !== undefined ? `; primary 5xx ${percent(f.Primary5xxErrorRate)}` : '';
  const figures = f
    ? `staging ${f.StagingRequests} requests, 5xx ${percent(f.Staging5xxErrorRate)}${primary}; ` +
      `window ${f.MetricsWindowMinutes} min`
    : undefined;
  // A judged tick's reason repeats the figures after its verdict: keep the verdict.
  const why =
    !figures || t.decision === 'unhealthy' ? shorten(t.reason.split(' (in the last')[0] ?? '', 110) : undefined;
  return `${t.decision} — ${[why, figures].filter(Boolean).join('; ')}${consequences(t.summary)}`;
}

/** Starts ticking every schedule whose target is the watch; no schedule, no ticks. */
export function startWatchSchedule(
  schedules: ScheduleRule[],
  lambdas: Invokers,
  intervalMs: number,
  tl: Pick<Timeline, 'note'>,
): WatchSchedule {
  const ticks: WatchTick[] = [];
  const waiters: { predicate: (t: WatchTick) => boolean; resolve: (t: WatchTick) => void }[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;
  const loops = schedules.map(async (rule) => {
    const watch = invokerNamed(lambdas, rule.functionName);
    const input = JSON.parse(rule.input) as unknown;
    tl.note(
      `  schedule ${rule.name}: rate(${rule.everyMinutes} minute${rule.everyMinutes === 1 ? '' : 's'}) ` +
        `→ ${rule.functionName} every ${intervalMs * rule.everyMinutes} ms here`,
    );
    let last: string | undefined;
    while (!stopped) {
      const r = await watch.invoke(input);
      const summary = (r.ok ? r.result : undefined) as Record<string, unknown> | undefined;
      const tick: WatchTick = {
        n: ticks.length + 1,
        at: performance.now(),
        ok: r.ok,
        decision: String(summary?.decision ?? 'failed'),
        reason: String(summary?.reason ?? `${r.error?.name}: ${r.error?.message}`),
        summary: summary ?? {},
        logs: r.logs,
      };
      ticks.push(tick);
      const loud = !r.ok || summary?.rollback !== undefined || summary?.rejection !== undefined;
      if (loud || tick.decision !== last)
        tl.note(`  ⏱ watch tick ${tick.n} (${Math.round(r.durationMs)} ms): ${describeTick(tick)}`);
      last = tick.decision;
      for (const w of waiters.filter((x) => x.predicate(tick))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(tick);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs * rule.everyMinutes);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  });
  return {
    ticks,
    waitFor: (predicate) => {
      const made = ticks.find(predicate);
      return made ? Promise.resolve(made) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    stop: async () => {
      stopped = true;
      wake?.();
      await Promise.all(loops);
    },
  };
}
