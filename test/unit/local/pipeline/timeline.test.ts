import { describe, expect, it } from 'vitest';
import { describeLogLine, describeOccupancy, pairs, shorten, timeline } from '../../../../local/pipeline/timeline.js';
import { localViewerAddresses } from '../../../../local/pipeline/viewers.js';

describe("the approval text, with the emulator's addresses", () => {
  const customData = "Review staging: curl -H 'aws-cf-cd-staging: true' https://dabc123.cloudfront.net/ (requests…)";

  it("replaces each CloudFront address by the emulator's viewer path for its domain", () => {
    expect(localViewerAddresses(customData, 'http://127.0.0.1:4566')).toBe(
      "Review staging: curl -H 'aws-cf-cd-staging: true' http://127.0.0.1:4566/_viewer/dabc123.cloudfront.net/ " +
        '(requests…)',
    );
    expect(localViewerAddresses('https://www.example.com/ stays', 'http://127.0.0.1:1')).toBe(
      'https://www.example.com/ stays',
    );
  });

  it("prints the pending approval's instructions as a local reviewer can act on them, and says so", () => {
    const lines: string[] = [];
    const tl = timeline((l) => lines.push(l), {
      approvalText: (t) => localViewerAddresses(t, 'http://127.0.0.1:4566'),
    });
    tl.event({ type: 'approval-pending', action: 'ApproveStaging', customData });
    expect(lines.join('\n')).toContain("(CustomData, with the emulator's addresses)");
    expect(lines.join('\n')).toContain('http://127.0.0.1:4566/_viewer/dabc123.cloudfront.net/');
    expect(lines.join('\n')).not.toContain('https://dabc123.cloudfront.net/');
  });
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

  it('prints a job failure whole, over several lines, never cut', () => {
    const message = `promote: ${'staging was changed after it was reviewed; '.repeat(8)}end.`;
    const text = describeLogLine({ event: 'job-failed', failureType: 'JobFailed', message }) ?? '';
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(152);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(`FAILED (JobFailed): ${message}`);
  });

  it("names a revert's promotion back by its change, and promote's by its one operation", () => {
    const write = {
      event: 'write',
      operation: 'UpdateDistributionWithStagingConfig',
      primaryId: 'EPRIMARY',
      stagingId: 'ESTAGING',
      ifMatch: 'EA',
      newPrimaryEtag: 'EB',
    };
    expect(describeLogLine({ ...write, change: 'promote-recorded-config' })).toBe(
      'wrote promote-recorded-config: staging ESTAGING onto primary EPRIMARY (If-Match EA → EB)',
    );
    expect(describeLogLine(write)).toBe(
      'wrote promote-staging-config: staging ESTAGING onto primary EPRIMARY (If-Match EA → EB)',
    );
  });

  it('says what a failed action wrote in all, as a succeeded one does, and nothing when it wrote nothing', () => {
    const lines: string[] = [];
    const tl = timeline((l) => lines.push(l));
    const invocation = (change: string | undefined) =>
      tl.event({
        type: 'invocation',
        action: 'BakeProduction',
        functionName: 'bake',
        jobId: 'job-1',
        attempt: 1,
        logs: change ? [{ event: 'write', change, operation: 'UpdateDistribution' }] : [],
        result: undefined,
        durationMs: 5,
      });
    invocation('stage-recorded-config');
    invocation('promote-recorded-config');
    tl.event({
      type: 'action-failed',
      stage: 'Release',
      action: 'BakeProduction',
      message: 'bake: production is back',
    });
    invocation(undefined);
    tl.event({ type: 'action-failed', stage: 'Release', action: 'BakeProduction', message: 'bake: refused' });
    const failed = lines.filter((l) => l.includes('✗'));
    expect(failed[0]).toMatch(
      /✗ BakeProduction failed \(wrote stage-recorded-config, promote-recorded-config\): bake: production is back$/,
    );
    expect(failed[1]).toMatch(/✗ BakeProduction failed: bake: refused$/);
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
