/** Prints the runner's events as a readable timeline: stages, what each action decided and wrote, waits, viewers. */
import type { LogLine } from './lambda.js';
import type { RunnerEvent } from './runner.js';

const QUIET_EVENTS = new Set(['job-started', 'job-reported', 'state-read']);
const SKIP_FIELDS = new Set(['level', 'time', 'function', 'jobId', 'event']);

function compact(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line for a function's log line, or undefined for bookkeeping lines. */
export function describeLogLine(line: LogLine): string | undefined {
  const event = typeof line.event === 'string' ? line.event : undefined;
  if (!event) return typeof line.text === 'string' && line.text.trim() ? `output: ${compact(line.text)}` : undefined;
  if (QUIET_EVENTS.has(event)) return undefined;
  if (event === 'plan') {
    // Every action logs named changes and what comes next; promote adds its decision and reason.
    const changes = (Array.isArray(line.changes) ? (line.changes as { kind: string; reason?: string }[]) : []).map(
      (c) => `${c.kind}${c.reason && c.reason !== line.reason ? ` (${c.reason})` : ''}`,
    );
    const decision =
      typeof line.decision === 'string' ? `${line.decision}${line.reason ? ` — ${line.reason}` : ''}` : undefined;
    const then = line.then as string | { wait?: string; reason?: string } | undefined;
    const next = typeof then === 'object' && then?.wait ? `; then wait (${then.wait})` : '';
    const held = typeof line.held === 'string' ? `; CloudFront changes held: ${line.held}` : '';
    const body = [decision, changes.length ? changes.join('; ') : decision ? undefined : 'no change']
      .filter(Boolean)
      .join(': ');
    return `plan${line.replan ? ' (re-plan)' : ''}: ${body}${held}${next}`;
  }
  if (event === 'job-waiting')
    return `waiting (${line.phase}): ${line.reason}${Array.isArray(line.inProgress) && line.inProgress.length ? `; InProgress: ${line.inProgress.join(', ')}` : ''}`;
  if (event === 'job-succeeded') return `succeeded: ${line.summary}`;
  if (event === 'job-failed') return `FAILED (${line.failureType}): ${line.message}`;
  const fields = Object.fromEntries(Object.entries(line).filter(([k]) => !SKIP_FIELDS.has(k)));
  return `${event}${Object.keys(fields).length ? ` ${compact(fields)}` : ''}`;
}

/** A timeline printer; `write` receives one finished line at a time. */
export function timeline(
  write: (line: string) => void,
  start = performance.now(),
): { event: (e: RunnerEvent) => void; note: (text: string) => void } {
  const stamp = () => `[${((performance.now() - start) / 1000).toFixed(2).padStart(6)}s]`;
  const note = (text: string) => write(`${stamp()} ${text}`);
  return {
    note,
    event: (e) => {
      switch (e.type) {
        case 'stage':
          return note(`▶ stage ${e.stage}`);
        case 'action':
          return note(`  ● ${e.action}`);
        case 'invocation': {
          note(
            `    ${e.functionName} invocation ${e.attempt} (job ${e.jobId.slice(0, 8)}, ${Math.round(e.durationMs)} ms)`,
          );
          for (const line of e.logs) {
            const text = describeLogLine(line);
            if (text) note(`      ${text}`);
          }
          return;
        }
        case 'wait':
          return note(`      … CodePipeline re-invokes with the continuation token in ${e.ms} ms`);
        case 'custom':
          return note(`    ${e.summary}`);
        case 'approval':
          note(`    reviewer instructions: ${e.customData}`);
          return note(`    ${e.approved ? 'approved' : 'REJECTED'}`);
        case 'action-failed':
          return note(`    ✗ ${e.action} failed: ${e.message}`);
        case 'action-succeeded':
          return Object.keys(e.variables).length
            ? note(`    ✓ ${e.action}: ${compact(e.variables, 300)}`)
            : note(`    ✓ ${e.action}`);
      }
    },
  };
}
