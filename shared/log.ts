/**
 * Structured JSON logs: one line per decision (state read, plan, write, report), each carrying the function name
 * and the job id so that an operator can follow one job through CloudWatch Logs Insights.
 *
 * Each level goes out through its own console method, so that Lambda's JSON log format files ERROR lines as ERROR and
 * its `ApplicationLogLevel` filters them; the same level (`AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from it, or
 * `LOG_LEVEL` elsewhere) decides here whether a line is written at all. DEBUG adds what a plan was made from.
 */

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** True when DEBUG lines are written: a caller skips building what only they would carry. */
  readonly debugging: boolean;
  /** A logger whose lines also carry `fields` (e.g. the job id once it is known). */
  child(fields: LogFields): Logger;
}

export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const RANK: Record<Level, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/** The level from the environment: Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `LOG_LEVEL`, else INFO (TRACE is DEBUG). */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): Level {
  const raw = (env.AWS_LAMBDA_LOG_LEVEL ?? env.LOG_LEVEL ?? 'INFO').toUpperCase();
  if (raw === 'TRACE') return 'DEBUG';
  if (raw === 'FATAL') return 'ERROR';
  return raw in RANK ? (raw as Level) : 'INFO';
}

const CONSOLE: Record<Level, (line: string) => void> = {
  DEBUG: (line) => console.debug(line),
  INFO: (line) => console.info(line),
  WARN: (line) => console.warn(line),
  ERROR: (line) => console.error(line),
};

/** Where log lines go: the console method of their level. Tests may replace it to capture lines. */
export let logSink: (line: string, level: Level) => void = (line, level) => CONSOLE[level](line);

/** Replaces the log sink and returns the previous one (for tests). */
export function setLogSink(sink: (line: string, level: Level) => void): (line: string, level: Level) => void {
  const previous = logSink;
  logSink = sink;
  return previous;
}

/**
 * An error as a log field: its name, message and stack, and the same for each error in its `cause` chain, so that a
 * bug in production leaves a trace infra/stack-trace.mjs can map back to the sources. AWS errors add their code and
 * HTTP status.
 */
export function errorFields(err: unknown): LogFields {
  const chain: LogFields[] = [];
  for (let e = err, depth = 0; e !== undefined && depth < 10; depth++) {
    if (!(e instanceof Error)) {
      chain.push({ message: String(e) });
      break;
    }
    const meta = (e as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
    chain.push({
      name: e.name,
      message: e.message,
      ...('kind' in e && typeof e.kind === 'string' ? { kind: e.kind } : {}),
      ...(typeof meta?.httpStatusCode === 'number' ? { httpStatus: meta.httpStatusCode } : {}),
      ...(e.stack ? { stack: e.stack } : {}),
    });
    e = e.cause;
  }
  const [first, ...causes] = chain;
  return { ...first, ...(causes.length ? { causes } : {}) };
}

/** Creates a logger whose every line carries `base`, writing lines at `level` and above. */
export function createLogger(base: LogFields, level: Level = levelFromEnv()): Logger {
  const write = (at: Level, event: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    logSink(JSON.stringify({ level: at, time: new Date().toISOString(), ...base, event, ...fields }), at);
  };
  return {
    debug: (event, fields) => write('DEBUG', event, fields),
    info: (event, fields) => write('INFO', event, fields),
    warn: (event, fields) => write('WARN', event, fields),
    error: (event, fields) => write('ERROR', event, fields),
    debugging: RANK.DEBUG >= RANK[level],
    child: (fields) => createLogger({ ...base, ...fields }, level),
  };
}
