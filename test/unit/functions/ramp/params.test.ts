import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RAMP_MIN_STAGING_REQUESTS,
  DEFAULT_STEP_MINUTES,
  parseRampParams,
} from '../../../../functions/ramp/params.js';
import { InputError } from '../../../../shared/domain/errors.js';
import { PRIMARY_ID, STAGING_ID, namesField } from '../../fixtures.js';

const base = { PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID, MaxStaging5xxErrorRate: 5 };
const parse = (extra: Record<string, unknown>) => parseRampParams(JSON.stringify({ ...base, ...extra }));

function refusal(extra: Record<string, unknown>): InputError {
  try {
    parse(extra);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('ramp parameters', () => {
  it('reads the ladder, the bake, the gate and the probes, with defaults for what is left out', () => {
    const p = parse({ Steps: [1, 5, 15], Probes: ['/', { Path: '/app.js', Status: 200, Contains: 'v2' }] });
    expect(p).toMatchObject({
      primaryId: PRIMARY_ID,
      stagingId: STAGING_ID,
      steps: [1, 5, 15],
      stepMinutes: DEFAULT_STEP_MINUTES,
      gate: { minStagingRequests: DEFAULT_RAMP_MIN_STAGING_REQUESTS, maxStaging5xxErrorRate: 5 },
      probes: [
        { path: '/', status: 200, contains: undefined },
        { path: '/app.js', status: 200, contains: 'v2' },
      ],
      probeBaseUrl: undefined,
      // Each step may take its bake and 30 minutes of propagation and metrics lag.
      maxWaitMinutes: 3 * (DEFAULT_STEP_MINUTES + 30),
    });
  });

  it('reads RampHeader as enable-cd does: absent or "" = none, else the header the rollback restores', () => {
    expect(parse({ Steps: [1] }).rampHeader).toBeUndefined();
    expect(parse({ Steps: [1], RampHeader: '' }).rampHeader).toBeUndefined();
    expect(parse({ Steps: [1], RampHeader: 'aws-cf-cd-staging: true' }).rampHeader).toEqual({
      header: 'aws-cf-cd-staging',
      value: 'true',
    });
    expect(refusal({ Steps: [1], RampHeader: 'x-staging: true' }).message).toMatch(/RampHeader/);
  });

  it('accepts the ladder and the probes as strings, as pipeline variables and cfcd flags pass them', () => {
    const p = parse({ Steps: '[0.5, 2.5]', Probes: '["/index.html"]', StepMinutes: '0', MaxWaitMinutes: '90' });
    expect(p).toMatchObject({
      steps: [0.5, 2.5],
      stepMinutes: 0,
      maxWaitMinutes: 90,
      probes: [{ path: '/index.html' }],
    });
  });

  it.each([
    [[], 'is empty'],
    ['1,5', 'must be a JSON array'],
    [['1', 5], 'step 1 must be a number'],
    [[0, 5], 'step 1 is 0; each step must be above 0 and at most 15'],
    [[5, 20], 'step 2 is 20; each step must be above 0 and at most 15'],
    [[5, 5], 'step 2 (5) must be above the step before it (5)'],
    [[10, 5], 'step 2 (5) must be above the step before it (10)'],
    [[1.00001], 'at most 3 decimals'],
  ])('refuses Steps %j, naming the field', (steps, problem) => {
    const err = refusal({ Steps: steps });
    expect(err.message).toContain(namesField('Steps'));
    expect(err.message).toContain(problem);
  });

  it('requires Steps', () => {
    expect(refusal({}).message).toContain(`${namesField('Steps')} is required`);
  });

  it.each([
    [-1, 'must be between 0 and 1440'],
    [1.5, 'must be an integer'],
  ])('refuses StepMinutes %j', (minutes, problem) => {
    const err = refusal({ Steps: [1], StepMinutes: minutes });
    expect(err.message).toContain(`${namesField('StepMinutes')} ${problem}`);
  });

  it.each([
    ['/x', 'must be a JSON array'],
    [['x'], 'probe 1: Path must be a string starting with "/"'],
    [[{ Path: '/', Status: 99 }], 'probe 1: Status must be an HTTP status'],
    [[{ Path: '/', Contains: '' }], 'probe 1: Contains must be a non-empty string'],
    [[{ Path: '/', Expect: 200 }], 'probe 1 has the unknown key "Expect"'],
    [['/', '/a b'], 'probe 2: Path "/a b" must be URL-encoded'],
    [[7], 'probe 1 must be a path or an object'],
  ])('refuses malformed Probes %j', (probes, problem) => {
    const err = refusal({ Steps: [1], Probes: probes });
    expect(err.message).toContain(namesField('Probes'));
    expect(err.message).toContain(problem);
  });

  it('takes https probe bases, and http only on the loopback (the local data plane)', () => {
    expect(
      parse({ Steps: [1], Probes: ['/'], ProbeBaseUrl: 'http://127.0.0.1:4566/_viewer/d1.net/' }).probeBaseUrl,
    ).toBe('http://127.0.0.1:4566/_viewer/d1.net');
    expect(refusal({ Steps: [1], Probes: ['/'], ProbeBaseUrl: 'http://example.com' }).message).toContain(
      `${namesField('ProbeBaseUrl')} must be an https URL`,
    );
    expect(refusal({ Steps: [1], Probes: ['/'], ProbeBaseUrl: 'https://example.com/?a=1' }).message).toContain(
      'no query',
    );
    expect(refusal({ Steps: [1], ProbeBaseUrl: 'https://example.com' }).message).toContain('is only used with Probes');
  });

  it('requires an error-rate threshold: a step is judged on its 5xx rate', () => {
    const err = (() => {
      try {
        parseRampParams(
          JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID, Steps: [1] }),
        );
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a refusal');
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(namesField('MaxStaging5xxErrorRate'));
  });

  it("reads AlarmNames as the watch's and the bake's (ARNs in their region, plain names in the function's)", () => {
    const p = parse({
      Steps: [1],
      AlarmNames: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx,checkout-errors',
    });
    expect(p.alarms).toEqual([
      { name: 'site-5xx', region: 'us-east-1' },
      { name: 'checkout-errors', region: undefined },
    ]);
    expect(parse({ Steps: [1] }).alarms).toEqual([]);
    expect(parse({ Steps: [1], AlarmNames: '' }).alarms).toEqual([]);
  });

  it.each([
    ['arn:aws:cloudwatch:us-east-1:alarm:site-5xx', 'is not a CloudWatch alarm ARN'],
    ['a,,b', 'has an empty entry between commas'],
    ['a,a', 'names alarm "a" twice'],
    [7, 'must be a string of comma-separated alarm names or ARNs'],
  ])('refuses AlarmNames %j, naming the field', (alarms, problem) => {
    const err = refusal({ Steps: [1], AlarmNames: alarms });
    expect(err.message).toContain(namesField('AlarmNames'));
    expect(err.message).toContain(problem);
  });

  it('does not take alarms for an error-rate threshold: a step still advances only on its own traffic', () => {
    const err = (() => {
      try {
        parseRampParams(
          JSON.stringify({
            PrimaryDistributionId: PRIMARY_ID,
            StagingDistributionId: STAGING_ID,
            Steps: [1],
            AlarmNames: 'site-5xx',
          }),
        );
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a refusal');
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(namesField('MaxStaging5xxErrorRate'));
  });

  it('refuses unknown keys such as a typo of Steps', () => {
    expect(refusal({ Step: [1] }).message).toContain(`${namesField('Step')} is not a known parameter`);
  });
});
