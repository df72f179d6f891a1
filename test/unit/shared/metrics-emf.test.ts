import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Level, createLogger, logSink, setLogSink } from '../../../shared/log.js';
import {
  NAMESPACE_VARIABLE,
  RELEASE_METRICS,
  countingFailures,
  emfDocument,
  emitMetrics,
  secondsBetween,
  setMetricsSink,
} from '../../../shared/metrics-emf.js';

const ON = { [NAMESPACE_VARIABLE]: 'CloudFrontCD' };

describe('emfDocument', () => {
  it('follows the EMF specification: _aws with a millisecond Timestamp, directives, and the members at the root', () => {
    const doc = emfDocument('CloudFrontCD', { action: 'watch', primaryId: 'E1' }, { Rollbacks: 1, Steps: 2 }, 1_700);
    expect(doc).toEqual({
      _aws: {
        Timestamp: 1_700,
        CloudWatchMetrics: [
          {
            Namespace: 'CloudFrontCD',
            Dimensions: [['PrimaryDistributionId', 'Action'], ['PrimaryDistributionId']],
            Metrics: [
              { Name: 'Rollbacks', Unit: 'Count' },
              { Name: 'Steps', Unit: 'Count' },
            ],
          },
        ],
      },
      PrimaryDistributionId: 'E1',
      Action: 'watch',
      Rollbacks: 1,
      Steps: 2,
    });
  });

  it('has every dimension and metric it declares as a root member (the specification requires it)', () => {
    const doc = emfDocument('N', { action: 'promote', primaryId: 'E1' }, { CanaryDurationSeconds: 30 }, 0)!;
    for (const d of doc._aws.CloudWatchMetrics) {
      for (const name of d.Dimensions.flat()) expect(typeof doc[name], name).toBe('string');
      for (const m of d.Metrics) expect(typeof doc[m.Name], m.Name).toBe('number');
    }
  });

  it('publishes under the action alone when the primary is not known (a refused input)', () => {
    const doc = emfDocument('N', { action: 'enable-cd' }, { Failures: 1 }, 0)!;
    expect(doc._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Action']]);
    expect(doc).not.toHaveProperty('PrimaryDistributionId');
  });

  it('leaves out facts that are not known, and writes no document when none is', () => {
    const doc = emfDocument(
      'N',
      { action: 'promote', primaryId: 'E1' },
      { Promotions: 1, CanaryDurationSeconds: undefined },
      0,
    );
    expect(doc?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['Promotions']);
    expect(doc).not.toHaveProperty('CanaryDurationSeconds');
    expect(emfDocument('N', { action: 'promote' }, { CanaryDurationSeconds: Number.NaN }, 0)).toBeUndefined();
  });

  it('gives each metric the unit of its catalogue entry', () => {
    const values = Object.fromEntries(Object.keys(RELEASE_METRICS).map((name) => [name, 1]));
    const doc = emfDocument('N', { action: 'watch', primaryId: 'E1' }, values, 0)!;
    for (const m of doc._aws.CloudWatchMetrics[0]!.Metrics) expect(m.Unit).toBe(RELEASE_METRICS[m.Name]);
  });
});

describe('emitMetrics', () => {
  const lines: string[] = [];
  let previous: (line: string) => void;
  beforeEach(() => {
    previous = setMetricsSink((line) => lines.push(line));
  });
  afterEach(() => {
    setMetricsSink(previous);
    lines.length = 0;
  });

  it('writes nothing unless CFCD_METRICS_NAMESPACE is set (cfcd, the local pipeline and tests stay quiet)', () => {
    emitMetrics({ action: 'watch', primaryId: 'E1' }, { Rollbacks: 1 }, {});
    expect(lines).toEqual([]);
  });

  it('writes one whole JSON line, newline-terminated, under the namespace from the environment', () => {
    emitMetrics({ action: 'abort', primaryId: 'E1' }, { Rollbacks: 1 }, ON, 42);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(lines[0]!.trimEnd()).not.toContain('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ _aws: { Timestamp: 42 }, Action: 'abort', Rollbacks: 1 });
  });

  it('never throws, even when the sink does: a metric must not fail the release it describes', () => {
    const restore = setMetricsSink(() => {
      throw new Error('EPIPE');
    });
    expect(() => emitMetrics({ action: 'abort', primaryId: 'E1' }, { Rollbacks: 1 }, ON)).not.toThrow();
    setMetricsSink(restore);
  });

  it('writes to stdout raw by default, not through console (which Lambda wraps in its JSON log format)', async () => {
    const capture = setMetricsSink(previous);
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
    try {
      emitMetrics({ action: 'abort', primaryId: 'E1' }, { Rollbacks: 1 }, ON);
    } finally {
      process.stdout.write = write;
      setMetricsSink(capture);
    }
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({ Action: 'abort' });
  });
});

describe('countingFailures', () => {
  const lines: string[] = [];
  const logLines: string[] = [];
  let previousMetrics: (line: string) => void;
  let previousLog: (line: string, level: Level) => void;
  beforeEach(() => {
    previousMetrics = setMetricsSink((line) => lines.push(line));
    previousLog = setLogSink((line) => logLines.push(line));
    process.env[NAMESPACE_VARIABLE] = 'CloudFrontCD';
  });
  afterEach(() => {
    setMetricsSink(previousMetrics);
    setLogSink(previousLog);
    delete process.env[NAMESPACE_VARIABLE];
    lines.length = 0;
    logLines.length = 0;
  });

  it('counts a failed job once, under the primary its job-started line named, and passes every line on', async () => {
    const handler = countingFailures('promote', async () => {
      const log = createLogger({ function: 'promote' });
      log.info('job-started', { params: { primaryId: 'E1' } });
      log.error('job-failed', { message: 'promote: refused' });
    });
    await handler({});
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ Action: 'promote', PrimaryDistributionId: 'E1', Failures: 1 }),
    ]);
    expect(logLines.map((l) => JSON.parse(l).event)).toEqual(['job-started', 'job-failed']);
  });

  it('counts nothing for a job that succeeded, and gives the log sink back after the invocation, even a rejected one', async () => {
    const sink = logSink;
    await countingFailures('enable-cd', async () => createLogger({}).info('job-succeeded'))({});
    await expect(
      countingFailures('enable-cd', async () => {
        throw new Error('report failed');
      })({}),
    ).rejects.toThrow('report failed');
    expect(lines).toEqual([]);
    expect(logSink).toBe(sink);
  });

  it('counts a failure before the parameters were read under the action alone', async () => {
    await countingFailures('abort', async () => createLogger({}).error('job-failed'))({});
    expect(JSON.parse(lines[0]!)._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Action']]);
  });
});

describe('secondsBetween', () => {
  it('rounds to whole seconds and knows nothing when a time is missing or runs backwards', () => {
    expect(secondsBetween(new Date(1_000), 3_600)).toBe(3);
    expect(secondsBetween(new Date(1_000), new Date(61_000))).toBe(60);
    expect(secondsBetween(undefined, 5)).toBeUndefined();
    expect(secondsBetween(new Date(5_000), 1_000)).toBeUndefined();
  });
});
