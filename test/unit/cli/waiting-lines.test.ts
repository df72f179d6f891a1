/** cfcd's wait: one short line per pass, the full reason once (issue 29, item 3). */
import { describe, expect, it } from 'vitest';
import { waitingLines } from '../../../cli/commands/actions.js';
import { evaluateGate } from '../../../shared/domain/gate.js';
import { PRIMARY_ID, STAGING_ID, headerPolicyConfig, policyState } from '../fixtures.js';

const gateWait = (requests: number) => {
  const verdict = evaluateGate(
    { minStagingRequests: 5, maxStaging5xxErrorRate: undefined, maxErrorRateIncrease: undefined, windowMinutes: 1 },
    { windowMinutes: 1, staging: { requests, errorRate5xx: requests ? 0 : undefined }, primary: undefined },
    { primaryId: PRIMARY_ID, stagingId: STAGING_ID, policy: policyState({ config: headerPolicyConfig() }) },
  );
  if (verdict.kind !== 'wait') throw new Error('expected a wait');
  return { phase: 'gatheringTraffic', reason: verdict.reason, brief: verdict.brief, inProgress: [] };
};

describe("cfcd's waiting lines", () => {
  it("the gate's wait: the full reason on the first pass only, then one short line (< 120 characters) per pass", () => {
    const seen = new Set<string>();
    const first = waitingLines(gateWait(0), { seen, verbose: false });
    expect(first.full).toContain('If it never does, possible causes:');
    expect(first.full?.length).toBeGreaterThan(300);
    expect(first.line).toBe(`waiting for staging ${STAGING_ID} to serve 5 request(s): 0 in the last 1 minute(s)`);
    for (const requests of [1, 2, 3]) {
      const later = waitingLines(gateWait(requests), { seen, verbose: false });
      expect(later.full).toBeUndefined();
      expect(later.line).toContain(`: ${requests} in the last 1 minute(s)`);
      expect(later.line.length).toBeLessThan(120);
    }
  });

  it('with --verbose, the full reason every pass', () => {
    const seen = new Set<string>();
    waitingLines(gateWait(0), { seen, verbose: true });
    expect(waitingLines(gateWait(1), { seen, verbose: true }).full).toContain('possible causes');
  });

  it('a short reason (a distribution to be Deployed) is the line itself, never repeated as a full reason', () => {
    const deployed = { phase: 'propagating', reason: `primary ${PRIMARY_ID} to be Deployed`, inProgress: [PRIMARY_ID] };
    const shown = waitingLines({ ...deployed, brief: deployed.reason }, { seen: new Set(), verbose: false });
    expect(shown).toEqual({
      full: undefined,
      line: `waiting for primary ${PRIMARY_ID} to be Deployed — InProgress: ${PRIMARY_ID}`,
    });
  });
});
