import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../local/chaos/faults.js';
import { INVARIANTS } from '../../local/chaos/invariants.js';
import { runChaos, summaryTable } from '../../local/chaos/run.js';

describe('npm run chaos: whole release cycles under injected faults', () => {
  it('keeps every invariant through a short fixed-seed run (header and weight, approved and rejected)', {
    timeout: 110_000,
  }, async () => {
    const lines: string[] = [];
    // Seed 2's first four cycles: weighted approved, header rejected, weighted rejected, header approved. A cleanly
    // failed action is retried in its stage or its release is run again, as the seed chooses (the default, mixed).
    const summary = await runChaos({
      seed: 2,
      cycles: 4,
      write: (l) => lines.push(l),
      dumpDir: '/tmp/cloudfront-cd-chaos-test',
    });
    expect(summary.violation, summaryTable(summary).join('\n')).toBeUndefined();
    expect(summary.cycles).toBe(4);
    expect(summary.outcomes.promoted).toBeGreaterThan(0);
    expect(summary.outcomes['rolled back']).toBeGreaterThan(0);
    const injected = FAULT_KINDS.reduce((n, k) => n + summary.faults[k].injected, 0);
    expect(injected).toBeGreaterThan(0);
    for (const k of FAULT_KINDS) expect(summary.faults[k].survived).toBe(summary.faults[k].injected);
    for (const id of ['production', 'bucketPolicy', 'jobs', 'policy', 'maxWait', 'staged'] as const)
      expect(summary.invariants[id], INVARIANTS[id]).toBeGreaterThan(0);
    expect(lines.filter((l) => /^cycle \d\/4 .* ✓$/.test(l))).toHaveLength(4);
  });

  it('with --ramp: a ramped release climbs its ladder under duplicate and late deliveries, each step judged first', {
    timeout: 110_000,
  }, async () => {
    // Seed 3's first three cycles: weighted approved, broken (weight), then a ramp without probes, approved. No fault
    // on the requests: one that failed the ramp would make the release run again, and a second ramp of a release
    // meets the policy at the weight the first one left (docs/local.md, "Ramped releases"), a known violation.
    const lines: string[] = [];
    const summary = await runChaos({
      seed: 3,
      cycles: 3,
      ramp: true,
      rates: { requestRate: 0 },
      write: (l) => lines.push(l),
      dumpDir: '/tmp/cloudfront-cd-chaos-test',
    });
    expect(summary.violation, summaryTable(summary).join('\n')).toBeUndefined();
    expect(lines[2]).toMatch(/^cycle 3\/3 v4 ramp, approve → promoted; .* ✓$/);
    expect(summary.outcomes.rampsClimbed).toBeGreaterThan(0);
    expect(summary.invariants.ramp, INVARIANTS.ramp).toBeGreaterThan(1);
  });

  it('with --bake: releases failing in production are reverted to the recorded config, never over a newer promotion', {
    timeout: 110_000,
  }, async () => {
    // Seed 1's first three cycles, all approved and baked: v2 and v3 fail in production on one path (each reverted
    // to v1), v4 is healthy and promoted over by hand during its bake (the bake must refuse). With the faults on
    // requests off, to keep the run short and its three endings fixed; the long runs keep them on (docs/local.md,
    // "Baked releases"), including a promote job that reports RevertRecord none, whose record the bake finds.
    const lines: string[] = [];
    const summary = await runChaos({
      seed: 1,
      cycles: 3,
      bake: true,
      rates: { requestRate: 0, duplicateRate: 0, lateRate: 0 },
      write: (l) => lines.push(l),
      dumpDir: '/tmp/cloudfront-cd-chaos-test',
    });
    expect(summary.violation, summaryTable(summary).join('\n')).toBeUndefined();
    expect(lines[0]).toMatch(
      /^cycle 1\/3 v2 .*baked, fails in production → promoted, reverted by the bake to v1; .* ✓$/,
    );
    expect(lines[1]).toMatch(
      /^cycle 2\/3 v3 .*baked, fails in production → promoted, reverted by the bake to v1; .* ✓$/,
    );
    expect(lines[2]).toMatch(/^cycle 3\/3 v4 .*newer promotion → promoted, the bake refused to revert over v100004; /);
    expect(summary.outcomes).toMatchObject({ bakes: 3, reverted: 2, refused: 1 });
    // Each revert checked against its record, each bake write against the newer promotion.
    expect(summary.invariants.revertRestores, INVARIANTS.revertRestores).toBeGreaterThanOrEqual(4);
    expect(summary.invariants.revertNewer, INVARIANTS.revertNewer).toBeGreaterThan(1);
    expect(summary.invariants.production).toBeGreaterThan(0);
  });

  it('stops at a violation when the actions do not invalidate: the cache checks can fail', {
    timeout: 60_000,
  }, async () => {
    // Seed 2's first release is promoted while the primary's edge cache still holds v1 (the probe filled it).
    const summary = await runChaos({
      seed: 2,
      cycles: 2,
      noInvalidation: true,
      write: () => undefined,
      dumpDir: '/tmp/cloudfront-cd-chaos-test',
    });
    expect(summary.ok).toBe(false);
    expect(summary.violation).toMatchObject({
      invariant: 'production',
      cycle: 1,
      detail: expect.stringMatching(/^the primary served v1 \(a cache hit, .*\); production may serve v2$/),
    });
  });
});
