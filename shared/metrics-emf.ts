/**
 * A release's facts as CloudWatch metrics, in the embedded metric format (EMF): one JSON document per line on stdout,
 * from which CloudWatch Logs extracts the metrics — no PutMetricData call, no permission beyond writing logs.
 *
 * With Lambda's JSON log format, `console.*` wraps a line in Lambda's own JSON (`{"timestamp", "level", "message"}`),
 * which CloudWatch no longer reads as EMF (the embedded metrics libraries write to stdout themselves for that reason):
 * the document goes out raw through `process.stdout.write`. It has no `level`, so Lambda files it as INFO, and an
 * `ApplicationLogLevel` of WARN or ERROR filters the metrics out with the INFO lines.
 *
 * Written only when `CFCD_METRICS_NAMESPACE` is set (the pipeline template sets it on each function): cfcd, the local
 * pipeline and the tests write none. docs/observability.md lists the metrics and what each one counts.
 */
import { type Level, setLogSink } from './log.js';

/** The environment variable naming the namespace; unset = no metrics. */
export const NAMESPACE_VARIABLE = 'CFCD_METRICS_NAMESPACE';

/** Every metric the functions emit, with its unit. The dashboard and the alarm in infra/pipeline.yml use these. */
export const RELEASE_METRICS = {
  /** enable-cd: 1 when this job routed viewers to the staging (re-enabled or attached the policy). */
  CanaryStarted: 'Count',
  /** enable-cd: seconds from the staging invalidation's creation to the report that it is Completed. */
  StagingInvalidationSeconds: 'Seconds',
  /** promote: 1 when this job promoted the staging config onto the primary. */
  Promotions: 'Count',
  /** promote: 1 when the promotion gate judged the staging's figures and let the promotion through. */
  GatePassed: 'Count',
  /** promote: seconds from the staging's last change (the release deployed to it) to the promotion. */
  CanaryDurationSeconds: 'Seconds',
  /** promote: seconds from the primary invalidation's creation to the report that it is Completed. */
  PrimaryInvalidationSeconds: 'Seconds',
  /** abort and the watch: 1 when they disabled or detached the policy (all traffic back on the primary). */
  Rollbacks: 'Count',
  /** the watch: 1 per tick, by verdict on the live canary. */
  TicksHealthy: 'Count',
  TicksNotEnoughTraffic: 'Count',
  TicksUnhealthy: 'Count',
  TicksNotWatched: 'Count',
  /** the watch, every tick: 1 while the policy attached to the primary is enabled, else 0. */
  PolicyEnabled: 'None',
  /** the watch, every tick with a live weight-based canary: the staging's share of viewers (0 when none). */
  StagingWeight: 'Percent',
  /** every action, on success: the changes the job wrote, all passes together (0 on a re-run that found them made). */
  Steps: 'Count',
  /** every action: 1 per failed job, tick or event. */
  Failures: 'Count',
} as const;

export type ReleaseMetric = keyof typeof RELEASE_METRICS;
export type MetricUnit = (typeof RELEASE_METRICS)[ReleaseMetric];
/** The functions, as the `Action` dimension names them. */
export type MetricAction = 'enable-cd' | 'promote' | 'abort' | 'watch';

/**
 * The dimension sets every metric is published under: per action, and all actions together (what the rollback alarm
 * watches: the watch's rollbacks and abort's). A failure before the primary is known has the action alone.
 */
export const DIMENSION_SETS = [['PrimaryDistributionId', 'Action'], ['PrimaryDistributionId']] as const;

/** Where a metric belongs: the primary distribution of the release (when known) and the action. */
export interface MetricSubject {
  action: MetricAction;
  primaryId?: string | undefined;
}

/** Values by metric; an undefined or non-finite value is left out (a fact this pass cannot know). */
export type MetricValues = Partial<Record<ReleaseMetric, number | undefined>>;

/** An EMF document: the `_aws` metadata, the dimensions and the values at the top level. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: ReleaseMetric; Unit: MetricUnit }[];
    }[];
  };
  [member: string]: unknown;
}

/**
 * The EMF document for `values` (non-finite values left out), or undefined when none is left. Pure: the timestamp
 * is given, in milliseconds since the epoch as the specification asks.
 */
export function emfDocument(
  namespace: string,
  subject: MetricSubject,
  values: MetricValues,
  timestamp: number,
): EmfDocument | undefined {
  const entries = (Object.entries(values) as [ReleaseMetric, number | undefined][]).filter(
    (e): e is [ReleaseMetric, number] => Number.isFinite(e[1]),
  );
  if (!entries.length) return undefined;
  const dimensions = subject.primaryId ? DIMENSION_SETS.map((set) => [...set]) : [['Action']];
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: dimensions,
          Metrics: entries.map(([name]) => ({ Name: name, Unit: RELEASE_METRICS[name] })),
        },
      ],
    },
    ...(subject.primaryId ? { PrimaryDistributionId: subject.primaryId } : {}),
    Action: subject.action,
    ...Object.fromEntries(entries),
  };
}

/** Where EMF lines go: stdout, raw (see the module comment). Tests may replace it to capture them. */
let metricsSink: (line: string) => void = (line) => {
  process.stdout.write(line);
};

/** Replaces the metrics sink and returns the previous one (for tests). */
export function setMetricsSink(sink: (line: string) => void): (line: string) => void {
  const previous = metricsSink;
  metricsSink = sink;
  return previous;
}

/**
 * Writes `values` as one EMF line when metrics are on (`CFCD_METRICS_NAMESPACE`). Never throws: a metric that cannot
 * be written must not fail the release it describes.
 */
export function emitMetrics(
  subject: MetricSubject,
  values: MetricValues,
  env: NodeJS.ProcessEnv = process.env,
  now: number = Date.now(),
): void {
  const namespace = env[NAMESPACE_VARIABLE];
  if (!namespace) return;
  try {
    const doc = emfDocument(namespace, subject, values, now);
    if (doc) metricsSink(`${JSON.stringify(doc)}\n`);
  } catch {
    // Nothing to do: the release's own log lines say what happened.
  }
}

/** Seconds from `from` to `to`, or undefined when either is unknown (or the clocks disagree). */
export function secondsBetween(from: Date | undefined, to: Date | number | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const seconds = Math.round(((typeof to === 'number' ? to : to.getTime()) - from.getTime()) / 1000);
  return seconds >= 0 ? seconds : undefined;
}

/**
 * A CodePipeline job handler that also counts its failed jobs (`Failures`). The job adapter reports every failure
 * itself and resolves, so the failure is taken from its one `job-failed` line; the primary from the `job-started`
 * line's parsed parameters (none when the parameters were refused). Lambda runs one invocation at a time per
 * environment, so the log sink is watched only for the length of one.
 */
export function countingFailures<E, C, R>(
  action: MetricAction,
  handler: (event: E, context?: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    let primaryId: string | undefined;
    const previous = setLogSink((line: string, level: Level) => {
      previous(line, level);
      if (level === 'DEBUG') return;
      const fields = readLine(line);
      if (fields?.event === 'job-started') primaryId = primaryOf(fields.params);
      if (fields?.event === 'job-failed') emitMetrics({ action, primaryId }, { Failures: 1 });
    });
    try {
      return await handler(event, context);
    } finally {
      setLogSink(previous);
    }
  };
}

function readLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function primaryOf(params: unknown): string | undefined {
  const id = params && typeof params === 'object' ? (params as { primaryId?: unknown }).primaryId : undefined;
  return typeof id === 'string' ? id : undefined;
}
