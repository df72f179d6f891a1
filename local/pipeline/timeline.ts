/**
 * Prints the runner's events as a readable timeline: stages, what each action decided and wrote, waits, viewers.
 * Every line is short enough to read at a glance: long texts are cut at a word, a JSON object becomes its key
 * fields; `verbose` prints each log line as the function wrote it instead.
 */
import type { LogLine } from './lambda.js';
import type { RunnerEvent, StageOccupancy } from './local-codepipeline.js';

/** Bookkeeping lines the timeline leaves out (the runner's own events say the same). */
const QUIET_EVENTS = new Set(['job-started', 'job-reported', 'state-read', 'event-started']);
const SKIP_FIELDS = new Set(['level', 'time', 'function', 'jobId', 'event', 'trigger']);
/** Longest text a single field or reason may take on a line. */
const FIELD_MAX = 160;

/** `text` cut at the last word boundary before `max` characters, marked with `…`; never mid-word. */
export function shorten(text: string, max = FIELD_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:(—-]+$/, '')} …`;
}

/** The first sentence of `text` (up to ". " followed by a capital), shortened. */
export function firstSentence(text: string, max = FIELD_MAX): string {
  const end = /\.\s+(?=[A-Z])/.exec(text);
  return shorten(end ? text.slice(0, end.index + 1) : text, max);
}

/** A value as a person reads it: strings shortened, arrays joined, objects as `k=v` pairs. */
function show(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return shorten(value, 80);
  if (Array.isArray(value)) return value.map(show).join(', ') || '–';
  if (typeof value === 'object') return pairs(value as Record<string, unknown>, 120);
  return String(value);
}

/** `k=v, k=v` for the fields of `record`, stopping at a whole field before `max` characters. */
export function pairs(record: Record<string, unknown>, max = FIELD_MAX): string {
  const out: string[] = [];
  let length = 0;
  const entries = Object.entries(record).filter(([, v]) => v !== undefined);
  for (const [i, [k, v]] of entries.entries()) {
    const text = `${k}=${show(v)}`;
    if (out.length > 0 && length + text.length > max) {
      out.push(`(+${entries.length - i} more)`);
      break;
    }
    out.push(text);
    length += text.length + 2;
  }
  return out.join(', ');
}

/** A percentage figure as logged (a number of percent, as a string or number): `0.5%`. */
const percent = (v: unknown) =>
  v === undefined || v === null || v === '' ? '–' : Number.isFinite(Number(v)) ? `${v}%` : String(v);

function describeGate(line: LogLine): string {
  const t = (line.thresholds ?? {}) as Record<string, number | null>;
  const needs = [
    t.MinStagingRequests != null ? `≥ ${t.MinStagingRequests} staging requests` : undefined,
    t.MaxStaging5xxErrorRate != null ? `staging 5xx ≤ ${t.MaxStaging5xxErrorRate}%` : undefined,
    t.MaxErrorRateIncrease != null ? `≤ ${t.MaxErrorRateIncrease} points above primary` : undefined,
  ].filter(Boolean);
  const primary =
    line.Primary5xxErrorRate !== undefined
      ? `; primary ${line.PrimaryRequests ?? '?'} requests, 5xx ${percent(line.Primary5xxErrorRate)}`
      : '';
  const staging = `staging ${line.StagingRequests} requests, 5xx ${percent(line.Staging5xxErrorRate)}`;
  const needing = needs.length ? `; needs ${needs.join(', ')}` : '';
  return `gate: ${line.decision} — ${staging}${primary}; window ${line.MetricsWindowMinutes} min${needing}`;
}

function describePlan(line: LogLine): string {
  const changes = (Array.isArray(line.changes) ? (line.changes as { kind: string; reason?: string }[]) : []).map(
    (c) => `${c.kind}${c.reason && c.reason !== line.reason ? ` (${shorten(c.reason, 150)})` : ''}`,
  );
  const decision =
    typeof line.decision === 'string'
      ? `${line.decision}${typeof line.reason === 'string' ? ` — ${firstSentence(line.reason)}` : ''}`
      : undefined;
  // One change reads on the plan's line; several go one per line below it (the caller splits at newlines), and so
  // does what the plan holds back.
  const listed = changes.length > 1 ? changes.map((c) => `\n  · ${c}`).join('') : '';
  const body = [
    decision,
    changes.length === 1 ? changes[0] : changes.length > 1 ? `${changes.length} changes` : undefined,
  ]
    .filter(Boolean)
    .join(': ');
  const held = typeof line.held === 'string' ? `held: ${shorten(line.held, 100)}` : '';
  const plan = `plan${line.replan ? ' (re-plan)' : ''}: ${body || 'no change'}`;
  if (!changes.length) return held ? `${plan}; ${held}` : plan;
  return `${plan}${listed}${held ? `\n${held}` : ''}`;
}

const WRITE_FIELDS = [
  'bucket',
  'policyId',
  'primaryId',
  'stagingId',
  'ifMatch',
  'newEtag',
  'newPrimaryEtag',
  'distributionId',
  'invalidationId',
  'paths',
];

function describeWrite(line: LogLine): string {
  if (line.operation === 'UpdateDistributionWithStagingConfig') {
    const disabled = typeof line.policyDisabled === 'string' ? '; the promotion disabled the policy' : '';
    const onto = `staging ${line.stagingId} onto primary ${line.primaryId}`;
    const etags = `If-Match ${line.ifMatch} → ${line.newPrimaryEtag ?? '?'}`;
    return `wrote ${writeName(line)}: ${onto} (${etags})${disabled}`;
  }
  const what = writeName(line);
  const fields = Object.fromEntries(WRITE_FIELDS.filter((k) => line[k] != null).map((k) => [k, line[k]]));
  return `wrote ${what}: ${pairs(fields)}`;
}

/** One line for a function's log line, or undefined for bookkeeping lines. */
export function describeLogLine(line: LogLine): string | undefined {
  const event = typeof line.event === 'string' ? line.event : undefined;
  if (!event) return typeof line.text === 'string' && line.text.trim() ? `output: ${shorten(line.text)}` : undefined;
  if (QUIET_EVENTS.has(event)) return undefined;
  switch (event) {
    case 'plan':
      return describePlan(line);
    case 'gate':
      return describeGate(line);
    case 'write':
      return describeWrite(line);
    case 'job-waiting': {
      const inProgress =
        Array.isArray(line.inProgress) && line.inProgress.length ? `; InProgress: ${line.inProgress.join(', ')}` : '';
      return `waiting (${line.phase}): ${firstSentence(String(line.reason), 100)}${inProgress}`;
    }
    case 'job-succeeded':
      return `succeeded: ${shorten(String(line.summary))}`;
    case 'job-failed':
      // The message is what the person on call reads: whole, on as many lines as it takes.
      return wrap(`FAILED (${line.failureType}): ${String(line.message)}`, 150).join('\n  ');
    case 'outcome':
      return `outcome: ${line.result}${typeof line.Changes === 'string' ? `; ${shorten(line.Changes, 120)}` : ''}`;
    case 'event-succeeded':
      return `done: ${shorten(String(line.summary))}`;
    case 'event-failed':
      return `FAILED: ${shorten(String(line.error), 400)}`;
  }
  const fields = Object.fromEntries(Object.entries(line).filter(([k]) => !SKIP_FIELDS.has(k)));
  return `${event}${Object.keys(fields).length ? `: ${pairs(fields)}` : ''}`;
}

/** The name a write goes by on the timeline: the change kind (promote's write is its one operation). */
const writeName = (l: LogLine) =>
  String(l.change ?? (l.operation === 'UpdateDistributionWithStagingConfig' ? 'promote-staging-config' : l.operation));
const writesOf = (logs: LogLine[]) => logs.filter((l) => l.event === 'write').map(writeName);

/** `text` in lines of at most `width` characters, broken at words. */
export function wrap(text: string, width = 150): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

/** An invocation that only looked and is still waiting: one line says it all. */
function quietWait(logs: LogLine[]): LogLine | undefined {
  const waiting = logs.find((l) => l.event === 'job-waiting');
  if (!waiting) return undefined;
  const loud = logs.some((l) => {
    if (l.event === 'plan') return Array.isArray(l.changes) && l.changes.length > 0;
    return describeLogLine(l) !== undefined && l.event !== 'job-waiting' && l.event !== 'gate';
  });
  return loud ? undefined : waiting;
}

export interface Timeline {
  event: (e: RunnerEvent) => void;
  note: (text: string) => void;
  /** A line about one execution, marked with its label. */
  noteFor: (execution: string | undefined, text: string) => void;
}

export interface TimelineOptions {
  start?: number;
  verbose?: boolean;
  /** Who holds and who waits for each stage: printed when executions queue, so the overlap shows. */
  occupancy?: () => StageOccupancy;
  /**
   * The text of an approval as a local reviewer can act on it (the emulator's addresses for CloudFront's, see
   * viewers.ts `localViewerAddresses`); as the pipeline passes it when left out.
   */
  approvalText?: (customData: string) => string;
}

/** `Release: v5 (v6 waiting)` for each stage someone holds or waits for. */
export function describeOccupancy(occupancy: StageOccupancy): string {
  return occupancy
    .filter((s) => s.holder || s.queued.length)
    .map((s) => `${s.stage}: ${s.holder ?? 'free'}${s.queued.length ? ` (${s.queued.join(', ')} waiting)` : ''}`)
    .join(' · ');
}

/** A timeline printer; `write` receives one finished line at a time. */
export function timeline(write: (line: string) => void, opts: TimelineOptions = {}): Timeline {
  const start = opts.start ?? performance.now();
  const stamp = () => `[${((performance.now() - start) / 1000).toFixed(2).padStart(6)}s]`;
  const note = (text: string) => write(`${stamp()} ${text}`);
  const noteFor = (execution: string | undefined, text: string) =>
    execution ? note(`${execution.padEnd(3)} │ ${text}`) : note(text);
  /** What each running action (by execution and action name) wrote in its invocations so far. */
  const written = new Map<string, string[]>();
  const keyOf = (e: { action: string; execution?: string | undefined }) => `${e.execution ?? ''}/${e.action}`;
  const locks = () => {
    const occupancy = opts.occupancy?.();
    if (occupancy?.some((s) => s.queued.length)) note(`    stage locks (QUEUED): ${describeOccupancy(occupancy)}`);
  };

  function invocation(e: Extract<RunnerEvent, { type: 'invocation' }>): void {
    const say = (text: string) => noteFor(e.execution, text);
    const who =
      e.trigger === 'eventbridge'
        ? `${e.functionName} invocation (EventBridge event, ${Math.round(e.durationMs)} ms)`
        : `${e.functionName} invocation ${e.attempt} (job ${e.jobId.slice(0, 8)}, ${Math.round(e.durationMs)} ms)`;
    const reinvoke =
      e.reinvokeInMs !== undefined
        ? `; CodePipeline re-invokes with the continuation token in ${e.reinvokeInMs} ms`
        : '';
    written.set(keyOf(e), [...(written.get(keyOf(e)) ?? []), ...writesOf(e.logs)]);
    if (opts.verbose) {
      say(`    ${who}`);
      for (const line of e.logs) say(`      ${JSON.stringify(line)}`);
      if (reinvoke) say(`      …${reinvoke.slice(1)}`);
      return;
    }
    const quiet = quietWait(e.logs);
    if (quiet) {
      const inProgress =
        Array.isArray(quiet.inProgress) && quiet.inProgress.length
          ? `, InProgress: ${quiet.inProgress.join(', ')}`
          : '';
      const gate = e.logs.find((l) => l.event === 'gate');
      const again = e.reinvokeInMs !== undefined ? `; again in ${e.reinvokeInMs} ms` : '';
      say(`    ${who}: no change; waiting (${quiet.phase}${inProgress})${again}`);
      if (gate) say(`      ${describeLogLine(gate)}`);
      return;
    }
    say(`    ${who}`);
    let lastPlanReason: string | undefined;
    for (const line of e.logs) {
      if (line.event === 'plan') lastPlanReason = typeof line.reason === 'string' ? line.reason : undefined;
      let text = describeLogLine(line);
      if (line.event === 'job-waiting' && lastPlanReason && line.reason === lastPlanReason)
        text = `waiting (${line.phase})`;
      if (line.event === 'job-waiting') text = `${text}${reinvoke}`;
      for (const part of text?.split('\n') ?? []) say(`      ${part}`);
    }
  }

  return {
    note,
    noteFor,
    event: (e) => {
      const say = (text: string) => noteFor(e.execution, text);
      switch (e.type) {
        case 'execution-started': {
          const id = e.pipelineExecutionId ? `${e.pipelineExecutionId.slice(0, 8)} ` : '';
          return say(`● execution ${id}started (ExecutionMode QUEUED)`);
        }
        case 'stage-queued':
          say(`⏸ waits in front of stage ${e.stage}: ${e.behind} holds it`);
          return locks();
        case 'stage':
          say(`▶ stage ${e.stage}`);
          return locks();
        case 'stage-left':
          return;
        case 'action':
          return say(`  ● ${e.action}`);
        case 'invocation':
          return invocation(e);
        case 'custom':
          return say(`    ${e.summary}`);
        case 'approval-pending': {
          const text = opts.approvalText?.(e.customData) ?? e.customData;
          const local = text === e.customData ? '' : ", with the emulator's addresses";
          say(`    waiting for a reviewer; the instructions (CustomData${local}):`);
          for (const line of wrap(text)) say(`      │ ${line}`);
          return;
        }
        case 'approval':
          return say(
            `    ${e.approved ? 'approved' : 'REJECTED'}` +
              (e.by === 'PutApprovalResult' ? ` by PutApprovalResult: ${shorten(e.summary)}` : ''),
          );
        case 'action-retried':
          return say(`    ↻ ${e.action} failed; retried in its stage (attempt ${e.attempt}, "Retry failed actions")`);
        case 'action-failed': {
          // A failed action that wrote (a rollback, a revert) says what, as a succeeded one does.
          const wrote = written.get(keyOf(e)) ?? [];
          written.delete(keyOf(e));
          // A message's first line is the failure; the lines after it (a build log's end) are shown as they are.
          const [first = '', ...more] = e.message.split('\n');
          const what = wrote.length ? ` (wrote ${wrote.join(', ')})` : '';
          say(`    ✗ ${e.action} failed${what}: ${shorten(first, Math.max(60, 160 - what.length))}`);
          for (const line of more.slice(0, 15)) say(`      │ ${shorten(line, 150)}`);
          return;
        }
        case 'action-succeeded': {
          const wrote = written.get(keyOf(e));
          written.delete(keyOf(e));
          const what = wrote === undefined ? '' : wrote.length ? ` (wrote ${wrote.join(', ')})` : ' (no write)';
          const vars = Object.keys(e.variables).length ? `: ${pairs(e.variables, 110)}` : '';
          return say(`    ✓ ${e.action}${what}${vars}`);
        }
      }
    },
  };
}
