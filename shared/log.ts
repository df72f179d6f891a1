/**
 * Structured JSON logs: one line per decision (state read, plan, write, report), each carrying the function name
 * and the job id so that an operator can follow one job through CloudWatch Logs Insights.
 */

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields` (e.g. the job id once it is known). */
  child(fields: LogFields): Logger;
}

type Level = 'INFO' | 'WARN' | 'ERROR';

/** Where log lines go; tests may replace it to capture lines. */
export let logSink: (line: string) => void = (line) => console.log(line);

/** Replaces the log sink and returns the previous one (for tests). */
export function setLogSink(sink: (line: string) => void): (line: string) => void {
  const previous = logSink;
  logSink = sink;
  return previous;
}

/** Creates a logger whose every line carries `base`. */
export function createLogger(base: LogFields): Logger {
  const write = (level: Level, event: string, fields?: LogFields) =>
    logSink(JSON.stringify({ level, time: new Date().toISOString(), ...base, event, ...fields }));
  return {
    info: (event, fields) => write('INFO', event, fields),
    warn: (event, fields) => write('WARN', event, fields),
    error: (event, fields) => write('ERROR', event, fields),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}
