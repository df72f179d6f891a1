import { describe, expect, it } from 'vitest';
import { describeLogLine, describeOccupancy, pairs, shorten, timeline } from '../../../../local/pipeline/timeline.js';

describe('the timeline of npm start', () => {
  it('shortens long texts at a word, never inside one', () => {
    const text = 'staging E123 to serve at least 5 request(s) before promoting in the last minute';
    const short = shorten(text, 40);
    expect(short.length).toBeLessThanOrEqual(40);
    expect(short.endsWith(' …')).toBe(true);
    expect(text.startsWith(short.slice(0, -2))).toBe(true);
    expect(text[short.length - 2]).toBe(' ');
  });

  it('shows an object as its fields and says how many it left out, not as cut JSON', () => {
    const text = pairs({ a: '1', b: 'x'.repeat(60), c: 'y'.repeat(60), d: '4' }, 100);
    expect(text).toMatch(/^a=1, b=x+, \(\+2 more\)$/);
  });

  it('gives every rate of the gate a % sign and the window actually used', () => {
    const line = describeLogLine({
      event: 'gate',
      decision: 'wait',
      StagingRequests: '1',
      Staging5xxErrorRate: '0',
      Primary5xxErrorRate: '0',
      PrimaryRequests: '3',
      MetricsWindowMinutes: '1',
      thresholds: { MinStagingRequests: 5, MaxStaging5xxErrorRate: 1, MaxErrorRateIncrease: null },
    });
    expect(line).toBe(
      'gate: wait — staging 1 requests, 5xx 0%; primary 3 requests, 5xx 0%; window 1 min; needs ≥ 5 staging requests, staging 5xx ≤ 1%',
    );
  });

  it('names an EventBridge invocation by its trigger, not by a job id', () => {
    const lines: string[] = [];
    timeline((l) => lines.push(l)).event({
      type: 'invocation',
      action: 'abort',
      functionName: 'abort',
      trigger: 'eventbridge',
      jobId: '',
      attempt: 1,
      logs: [],
      result: undefined,
      durationMs: 12,
    });
    expect(lines[0]).toMatch(/abort invocation \(EventBridge event, 12 ms\)$/);
  });

  it('prints a job failure whole, over several lines, never cut', () => {
    const message = `promote: ${'staging was changed after it was reviewed; '.repeat(8)}end.`;
    const text = describeLogLine({ event: 'job-failed', failureType: 'JobFailed', message }) ?? '';
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(152);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(`FAILED (JobFailed): ${message}`);
  });

  it('shows who holds each stage and who waits in front of it', () => {
    expect(
      describeOccupancy([
        { stage: 'Source', holder: undefined, queued: [] },
        { stage: 'Release', holder: 'v5', queued: ['v6'] },
      ]),
    ).toBe('Release: v5 (v6 waiting)');
  });
});
