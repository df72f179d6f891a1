import { describe, expect, it } from 'vitest';
import type { Words } from '../../../../shared/domain/errors.js';
import {
  evaluateGate,
  gateVariables,
  requiredStagingRequests,
  type GateFigures,
  type GateParams,
  type GateSubject,
} from '../../../../shared/domain/gate.js';
import { POLICY_ID, PRIMARY_ID, STAGING_ID, headerPolicyConfig, weightPolicyConfig } from '../../fixtures.js';

const subject: GateSubject = {
  primaryId: PRIMARY_ID,
  stagingId: STAGING_ID,
  policy: { id: POLICY_ID, etag: 'E', config: headerPolicyConfig() },
};
const gate = (g: Partial<GateParams> = {}): GateParams => ({
  minStagingRequests: undefined,
  maxStaging5xxErrorRate: undefined,
  maxErrorRateIncrease: undefined,
  windowMinutes: 15,
  ...g,
});
const figures = (staging: [number, number | undefined], primary?: [number, number | undefined]): GateFigures => ({
  windowMinutes: 15,
  staging: { requests: staging[0], errorRate5xx: staging[1] },
  primary: primary ? { requests: primary[0], errorRate5xx: primary[1] } : undefined,
});

describe('evaluateGate', () => {
  it('passes when staging served at least MinStagingRequests', () => {
    expect(evaluateGate(gate({ minStagingRequests: 100 }), figures([100, 0]), subject)).toMatchObject({ kind: 'pass' });
  });

  it('waits below MinStagingRequests, naming the figures and the header routing cause', () => {
    const verdict = evaluateGate(gate({ minStagingRequests: 100 }), figures([12, 0]), subject);
    expect(verdict.kind).toBe('wait');
    expect(verdict.reason).toContain(`staging ${STAGING_ID} to serve at least 100 request(s)`);
    expect(verdict.reason).toContain(`staging ${STAGING_ID} served 12 request(s)`);
    expect(verdict.reason).toContain('header aws-cf-cd-staging: true');
    expect(verdict.reason).toContain('peak load');
    expect(verdict.reason).toContain(`the staging id may be wrong: these are the figures of ${STAGING_ID}`);
  });

  it('words guessed causes as possibilities: the minimum may be more than the window brings', () => {
    const reason = evaluateGate(
      gate({ minStagingRequests: 5, windowMinutes: 1 }),
      figures([0, undefined]),
      subject,
    ).reason;
    expect(reason).toContain('If it never does, possible causes: ');
    expect(reason).toContain(
      'the minimum of 5 request(s) may be more than 1 minute(s) of staging traffic brings ' +
        '(lower the minimum or lengthen the metrics window)',
    );
    expect(reason).not.toContain('can hold');
  });

  it('says the wait in one short line with the figures that matter, for a display that repeats it every pass', () => {
    const verdict = evaluateGate(gate({ minStagingRequests: 5, windowMinutes: 1 }), figures([2, 0]), subject);
    expect(verdict).toMatchObject({
      kind: 'wait',
      brief: `staging ${STAGING_ID} to serve 5 request(s): 2 in the last 15 minute(s)`,
    });
    expect(verdict.kind === 'wait' && verdict.brief.length).toBeLessThan(120);
  });

  it('names the ~10 minute start of weighted routing, and a disabled policy first', () => {
    const weighted = {
      ...subject,
      policy: { id: POLICY_ID, etag: 'E', config: weightPolicyConfig({ Enabled: false }) },
    };
    const reason = evaluateGate(gate({ minStagingRequests: 5 }), figures([0, undefined]), weighted).reason;
    expect(reason).toMatch(/If it never does, possible causes: policy .* is disabled/);
    expect(reason).toContain('weighted routing (10% of viewers) can take about 10 minutes to start');
  });

  it('does not judge the error rate on fewer requests than required (waits instead of refusing on noise)', () => {
    expect(
      evaluateGate(gate({ minStagingRequests: 100, maxStaging5xxErrorRate: 1 }), figures([2, 50], [500, 0]), subject)
        .kind,
    ).toBe('wait');
  });

  it('waits with an error-rate threshold alone until staging served at least one request: no data proves nothing', () => {
    expect(requiredStagingRequests(gate({ maxStaging5xxErrorRate: 1 }))).toBe(1);
    expect(evaluateGate(gate({ maxStaging5xxErrorRate: 1 }), figures([0, undefined], [500, 0]), subject).kind).toBe(
      'wait',
    );
    expect(evaluateGate(gate({ maxErrorRateIncrease: 1 }), figures([1, 0], [500, 0]), subject).kind).toBe('pass');
  });

  it("refuses a staging 5xx rate above MaxStaging5xxErrorRate, with both distributions' figures and the abort action", () => {
    const verdict = evaluateGate(
      gate({ minStagingRequests: 10, maxStaging5xxErrorRate: 1 }),
      figures([40, 12.5], [400, 0.25]),
      subject,
    );
    expect(verdict.kind).toBe('refuse');
    expect(verdict.reason).toContain("staging's 5xx error rate 12.5% is above MaxStaging5xxErrorRate 1%");
    expect(verdict.reason).toContain(`staging ${STAGING_ID} served 40 request(s), 5xx error rate 12.5%`);
    expect(verdict.reason).toContain(`primary ${PRIMARY_ID} served 400 request(s), 5xx error rate 0.25%`);
    expect(verdict.reason).toContain(
      `run the abort action with {"PrimaryDistributionId":"${PRIMARY_ID}","Mode":"disable"}`,
    );
  });

  it("names the abort to run and the threshold broken in its reader's words", () => {
    const verdict = evaluateGate(gate({ maxStaging5xxErrorRate: 1 }), figures([40, 12.5]), subject);
    if (verdict.kind !== 'refuse') throw new Error('expected a refusal');
    const cfcd: Words = {
      where: 'cfcd',
      param: (name, value) => `--${name}${value === undefined ? '' : ` ${value}`}`,
      command: (action, params) => `cfcd ${action} ${Object.values(params).join(' ')}`,
      rerun: 'run the command again',
      token: 'the --resume token',
      approveAgain: 'run cfcd promote again',
    };
    const said = verdict.said(cfcd);
    expect(said).toContain("staging's 5xx error rate 12.5% is above --MaxStaging5xxErrorRate 1%");
    expect(said).toContain(`run cfcd abort ${PRIMARY_ID} disable; fix staging, then run cfcd promote again.`);
    expect(said).not.toMatch(/abort action|pipeline|\{/);
  });

  it('accepts a staging rate exactly at the threshold', () => {
    expect(evaluateGate(gate({ maxStaging5xxErrorRate: 1 }), figures([100, 1.0000001]), subject).kind).toBe('pass');
  });

  it('refuses staging worse than the primary by more than MaxErrorRateIncrease', () => {
    const verdict = evaluateGate(gate({ maxErrorRateIncrease: 0.5 }), figures([200, 2], [1000, 1]), subject);
    expect(verdict).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining(
        "staging's 5xx error rate 2% exceeds the primary's 1% by 1 percentage point(s), more than MaxErrorRateIncrease 0.5",
      ),
    });
  });

  it('passes staging within MaxErrorRateIncrease of a primary that has errors too', () => {
    expect(
      evaluateGate(
        gate({ maxStaging5xxErrorRate: 5, maxErrorRateIncrease: 0.5 }),
        figures([200, 1.4], [1000, 1]),
        subject,
      ).kind,
    ).toBe('pass');
  });

  it('compares against 0% when the primary has no data in the window', () => {
    const verdict = evaluateGate(gate({ maxErrorRateIncrease: 0.5 }), figures([200, 1], [0, undefined]), subject);
    expect(verdict).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining("the primary's 0% (no data counts as 0%)"),
    });
  });
});

describe('gateVariables', () => {
  it('reports the figures as strings, "no data" for a rate without requests, the primary only when read', () => {
    expect(gateVariables(figures([12, 0.12345], [0, undefined]))).toEqual({
      StagingRequests: '12',
      Staging5xxErrorRate: '0.123',
      Primary5xxErrorRate: 'no data',
      MetricsWindowMinutes: '15',
    });
    expect(gateVariables(figures([3, 0]))).toEqual({
      StagingRequests: '3',
      Staging5xxErrorRate: '0',
      MetricsWindowMinutes: '15',
    });
  });
});
