import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STALE_ETAG_ATTEMPTS, applyPlan } from '../../../../shared/aws/apply-plan.js';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import { DONE, type Plan, waitFor } from '../../../../shared/domain/plan.js';
import { createLogger } from '../../../../shared/log.js';
import { awsError, captureLogs } from '../../fixtures.js';

/** A toy world: two switches that should be on, and a distribution that may be InProgress. */
interface World {
  a: boolean;
  b: boolean;
  busy: boolean;
}
type Toy = { kind: 'switch-a' | 'switch-b'; reason: string };

function toyPlan(w: World): Plan<Toy, 'settling' | 'held'> {
  const changes: Toy[] = [];
  if (!w.a) changes.push({ kind: 'switch-a', reason: 'a is off' });
  if (!w.b) changes.push({ kind: 'switch-b', reason: 'b is off' });
  if (changes.length && w.busy) return { changes: [], held: 'E1 InProgress', next: waitFor('held', 'busy', ['E1']) };
  if (w.a && w.b && !w.busy) return { changes, next: DONE };
  return { changes, next: waitFor('settling', 'switches to settle', ['E1']) };
}

/** Runs applyPlan on a world; `stale` lists the writes that meet a stale ETag (after which `meanwhile` happens). */
async function run(world: World, stale: Toy['kind'][] = [], meanwhile: (w: World) => void = () => {}) {
  const writes: string[] = [];
  let reads = 0;
  const logs = captureLogs();
  try {
    const applied = await applyPlan(
      {
        read: async () => {
          reads += 1;
          return { ...world };
        },
        plan: toyPlan,
        write: async (change) => {
          const i = stale.indexOf(change.kind);
          if (i >= 0) {
            stale.splice(i, 1);
            meanwhile(world);
            throw awsError('PreconditionFailed', 412);
          }
          writes.push(change.kind);
          world[change.kind === 'switch-a' ? 'a' : 'b'] = true;
          return true;
        },
        stepName: (c) => c.kind,
      },
      { ...world },
      createLogger({ test: 'apply-plan' }),
    );
    return { applied, writes, reads, lines: logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    logs.restore();
  }
}

describe('applyPlan', () => {
  // Every log line goes to `logs`, not to the test run's output.
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  it('writes the changes in order and takes what comes next from the plan', async () => {
    const { applied, writes, reads } = await run({ a: false, b: false, busy: false });
    expect(writes).toEqual(['switch-a', 'switch-b']);
    expect(reads).toBe(0);
    expect(applied.written.map((c) => c.kind)).toEqual(['switch-a', 'switch-b']);
    expect(applied.next).toMatchObject({ kind: 'wait', phase: 'settling' });
  });

  it('writes nothing and is done when the plan is empty', async () => {
    const { applied, writes } = await run({ a: true, b: true, busy: false });
    expect(writes).toEqual([]);
    expect(applied.next).toEqual(DONE);
  });

  it('re-reads and re-plans everything after a stale ETag, never writing what another writer already did', async () => {
    const { applied, writes, reads, lines } = await run({ a: false, b: false, busy: false }, ['switch-a'], (w) => {
      w.a = true;
    });
    expect(reads).toBe(1);
    expect(writes).toEqual(['switch-b']);
    expect(applied.plan.changes.map((c) => c.kind)).toEqual(['switch-b']);
    expect(lines.filter((l) => l.event === 'plan')).toHaveLength(2);
    expect(lines.find((l) => l.event === 'write-skipped')).toMatchObject({
      change: 'switch-a',
      reason: 'already in place on re-read',
    });
  });

  it('holds the rest of the plan when the re-read finds a distribution InProgress', async () => {
    const { applied, writes, lines } = await run({ a: false, b: false, busy: false }, ['switch-a'], (w) => {
      w.busy = true;
    });
    expect(writes).toEqual([]);
    expect(applied.next).toMatchObject({ kind: 'wait', phase: 'held' });
    expect(lines.filter((l) => l.event === 'write-skipped').map((l) => l.reason)).toEqual([
      'held on re-read: E1 InProgress',
      'held on re-read: E1 InProgress',
    ]);
  });

  it("keeps the writing plan's wait when a re-plan finds nothing left: this invocation's write still propagates", async () => {
    // a is written, b meets a stale ETag because another writer switched b on; the re-plan is empty and done.
    const { applied, writes } = await run({ a: false, b: false, busy: false }, ['switch-b'], (w) => {
      w.b = true;
    });
    expect(writes).toEqual(['switch-a']);
    expect(applied.plan.next).toEqual(DONE);
    expect(applied.next).toMatchObject({ kind: 'wait', phase: 'settling' });
  });

  it(`gives up after ${STALE_ETAG_ATTEMPTS} stale ETags in a row, naming the step`, async () => {
    const stale: Toy['kind'][] = Array(STALE_ETAG_ATTEMPTS).fill('switch-a');
    await expect(run({ a: false, b: true, busy: false }, stale)).rejects.toThrow(/step "switch-a".*PreconditionFailed/);
  });

  it('stops at a check the re-plan refuses, without writing', async () => {
    const writes: string[] = [];
    const applying = applyPlan(
      {
        read: async () => ({ refused: true }),
        plan: (s: { refused: boolean }) => {
          if (s.refused) throw new StateCheckError('the other writer switched to HTTP/3');
          return { changes: [{ kind: 'x', reason: 'r' }], next: DONE };
        },
        write: async () => {
          if (!writes.length) {
            writes.push('attempt');
            throw awsError('PreconditionFailed', 412);
          }
          writes.push('written');
          return true;
        },
        stepName: () => 'x',
      },
      { refused: false },
      createLogger({ test: 'apply-plan' }),
    );
    await expect(applying).rejects.toThrow(/HTTP\/3/);
    expect(writes).toEqual(['attempt']);
    expect(logs.lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['plan', 'stale-etag']);
  });

  it('shows each plan to the approval before writing it, and writes nothing when the approval throws', async () => {
    const seen: (number | undefined)[] = [];
    const writes: string[] = [];
    const run = (refuse: boolean) =>
      applyPlan(
        {
          read: async () => ({ a: false, b: true, busy: false }),
          plan: toyPlan,
          write: async (change) => {
            writes.push(change.kind);
            return true;
          },
          stepName: (c) => c.kind,
        },
        { a: false, b: true, busy: false },
        createLogger({ test: 'apply-plan' }),
        (plan, { replan }) => {
          seen.push(replan);
          if (refuse) throw new StateCheckError(`not what was confirmed: ${plan.changes.map((c) => c.kind)}`);
        },
      );
    await expect(run(true)).rejects.toThrow('not what was confirmed: switch-a');
    expect(writes).toEqual([]);
    await run(false);
    expect(writes).toEqual(['switch-a']);
    expect(seen).toEqual([undefined, undefined]);
  });
});
