import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { runExperiment } from '../../local/pipeline/experiment.js';
import { describeLogLine, pairs, shorten, timeline } from '../../local/pipeline/timeline.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

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

  it('reads line by line on the default run: short lines, and a last "nothing to change" names what the action wrote', async () => {
    emulator = await startEmulator({ propagationMs: 30, seed: 7 });
    const lines: string[] = [];
    const result = await runExperiment({
      emulator,
      continuationDelayMs: 20,
      approval: 'auto',
      write: (l) => lines.push(l),
      weightedSample: 600,
    });
    expect(result.ok).toBe(true);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(240);
    expect(lines.join('\n')).not.toMatch(/\{"/);
    const nothing = lines.filter((l) => /succeeded: .*nothing to change/.test(l));
    expect(nothing.length).toBeGreaterThan(0);
    for (const line of nothing)
      expect(line, line).toMatch(/earlier invocations of this action wrote [a-z-]+|^(?!.*earlier)/);
    expect(lines.find((l) => l.includes('✓ EnableContinuousDeployment'))).toContain(
      '(wrote grant-bucket-read, attach-policy)',
    );
  });
});
