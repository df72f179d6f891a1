/**
 * The actions' JSON log lines in a command line: they go to stderr with `--verbose` and nowhere otherwise (stdout
 * is for the person, or for the one JSON document of `--json`). cfcd also watches the events as they are logged —
 * each write, each warning — to tell the person what happens as it happens, without a second channel out of the
 * actions.
 */
import { type Level, type LogFields, type Logger, createLogger, setLogSink } from '../shared/log.js';
import type { Paint, TextStream } from './terminal.js';

export type { Level };

/** Called with every event a logger logs, after the line was written. May throw to stop the action (see guard). */
export type LogObserver = (level: Level, event: string, fields: LogFields) => void;

/** Sends the log lines to `stderr` when verbose, nowhere otherwise; returns the function that restores the sink. */
export function routeLogLines(verbose: boolean, stderr: TextStream): () => void {
  const previous = setLogSink(verbose ? (line) => stderr.write(`${line}\n`) : () => undefined);
  return () => setLogSink(previous);
}

/** A logger whose events (its children's too) are also given to `observe`, with the fields of their base. */
export function observedLogger(base: Logger, observe: LogObserver, inherited: LogFields = {}): Logger {
  const at =
    (level: Level, write: (event: string, fields?: LogFields) => void) => (event: string, fields?: LogFields) => {
      write(event, fields);
      observe(level, event, { ...inherited, ...fields });
    };
  return {
    debug: at('DEBUG', base.debug),
    debugging: base.debugging,
    info: at('INFO', base.info),
    warn: at('WARN', base.warn),
    error: at('ERROR', base.error),
    child: (fields) => observedLogger(base.child(fields), observe, { ...inherited, ...fields }),
  };
}

/** The logger cfcd gives an action: its lines say which action and that cfcd ran it. */
export function cliLogger(functionName: string, jobId: string, observe: LogObserver): Logger {
  return observedLogger(createLogger({ function: functionName, jobId, trigger: 'cfcd' }), observe);
}

/** An event's mark as a terminal shows it: ✓ done, – skipped, ! anything to look at. */
export function paintMark(mark: 'done' | 'skip' | 'warn', paint: Paint): string {
  return mark === 'done' ? paint('green', '✓') : mark === 'skip' ? paint('dim', '–') : paint('yellow', '!');
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The line a person reads for one logged event, or undefined for events that only matter in the JSON log (state
 * reads, plans: the plan is printed on its own). `mark` is ✓, –, ! as the caller styles them.
 */
export function describeEvent(
  level: Level,
  event: string,
  fields: LogFields,
): { mark: 'done' | 'skip' | 'warn'; text: string; details?: string[] } | undefined {
  switch (event) {
    case 'write': {
      // The reason was in the plan already: say what was written, on what, and the ETag it moved from and to.
      const what = text(fields.change ?? fields.operation ?? 'write');
      const on = [
        fields.bucket !== undefined ? `bucket ${text(fields.bucket)}` : undefined,
        fields.primaryId !== undefined ? `primary ${text(fields.primaryId)}` : undefined,
        fields.stagingId !== undefined ? `from staging ${text(fields.stagingId)}` : undefined,
        fields.policyId !== undefined && fields.primaryId === undefined ? `policy ${text(fields.policyId)}` : undefined,
        fields.distributionId !== undefined ? `distribution ${text(fields.distributionId)}` : undefined,
        Array.isArray(fields.paths) ? `paths ${fields.paths.map(text).join(' ')}` : undefined,
      ].filter(Boolean);
      // promote's If-Match carries both ETags; the primary's is the one that changes.
      const before = fields.primaryEtag ?? fields.ifMatch;
      const after = fields.newEtag ?? fields.newPrimaryEtag;
      const etag = before !== undefined && after ? ` (ETag ${text(before)} → ${text(after)})` : '';
      const invalidation = fields.invalidationId !== undefined ? ` (invalidation ${text(fields.invalidationId)})` : '';
      const diff = Array.isArray(fields.changes) ? fields.changes.map(text) : undefined;
      return {
        mark: 'done',
        text: `${what}${on.length ? `: ${on.join(', ')}` : ''}${etag}${invalidation}`,
        ...(diff ? { details: diff } : {}),
      };
    }
    case 'write-skipped':
      return { mark: 'skip', text: `${text(fields.change)} skipped: ${text(fields.reason)}` };
    case 'stale-etag':
      return {
        mark: 'warn',
        text:
          `another writer changed a resource (stale ETag, attempt ${text(fields.attempt)}): ` +
          'reading again and planning again',
      };
    case 'gate': {
      const figures = Object.entries(fields)
        .filter(([k]) => /^(Staging|Primary)/.test(k))
        .map(([k, v]) => `${k}=${text(v)}`)
        .join(' ');
      return {
        mark: fields.decision === 'pass' ? 'done' : 'warn',
        text: `gate: ${text(fields.decision)} (${figures})`,
      };
    }
    default:
      if (level === 'INFO') return undefined;
      {
        const reason = fields.reason ?? fields.warning ?? fields.message ?? fields.error;
        return { mark: 'warn', text: `${event}${reason !== undefined ? `: ${text(reason)}` : ''}` };
      }
  }
}
