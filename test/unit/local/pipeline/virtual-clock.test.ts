import { describe, expect, it } from 'vitest';
import type { InvocationResult, InvokeOptions } from '../../../../local/pipeline/lambda.js';
import { codePipelineEvent } from '../../../../local/pipeline/local-codepipeline.js';
import { onVirtualClock, virtualClock } from '../../../../local/pipeline/virtual-clock.js';

const MIN = 60_000;

/** A clock over a fake emulator, a function that records the offset of each invocation, and the timeline's notes. */
function setUp() {
  const advanced: number[] = [];
  const notes: string[] = [];
  const clock = virtualClock({ advanceClock: (ms) => advanced.push(ms) }, (text) => notes.push(text));
  const offsets: number[] = [];
  const lambda = {
    invoke: async (_event: unknown, _timeoutMs?: number, opts?: InvokeOptions): Promise<InvocationResult> => {
      offsets.push(opts?.clockOffsetMs ?? -1);
      return { ok: true, logs: [], durationMs: 0, handlerMs: 0 };
    },
  };
  const invokers = onVirtualClock({ ramp: lambda }, clock);
  const first = codePipelineEvent('j1', 'ramp', '{}');
  const again = codePipelineEvent('j2', 'ramp', '{}', 'token');
  return { clock, advanced, notes, offsets, ramp: invokers.ramp!, first, again };
}

describe('virtual minutes for the ramp cycles', () => {
  it('changes nothing until started: offset 0, no minute, no traffic', async () => {
    const { clock, advanced, notes, offsets, ramp, first, again } = setUp();
    let traffic = 0;
    clock.trafficEachMinute(async () => `${++traffic}`);
    await ramp.invoke(first);
    await ramp.invoke(again);
    expect(offsets).toEqual([0, 0]);
    expect(advanced).toEqual([]);
    expect(traffic).toBe(0);
    expect(notes).toEqual([]);
  });

  it('once started, lets a minute pass before each continuation only: both clocks ahead, then the traffic', async () => {
    const { clock, advanced, notes, offsets, ramp, first, again } = setUp();
    clock.start();
    const seenAt: number[] = [];
    clock.trafficEachMinute(async () => {
      seenAt.push(clock.offsetMs);
      return '1000 viewers';
    });
    await ramp.invoke(first);
    await ramp.invoke(again);
    await ramp.invoke(again);
    expect(offsets).toEqual([0, MIN, 2 * MIN]);
    expect(advanced).toEqual([MIN, MIN]);
    // The minute's viewers come at its end, on the advanced clock, before the re-invocation.
    expect(seenAt).toEqual([MIN, 2 * MIN]);
    expect(notes).toEqual([
      '  ⏲ a minute later (virtual clock +1 min): 1000 viewers',
      '  ⏲ a minute later (virtual clock +2 min): 1000 viewers',
    ]);
  });

  it('skips minutes with no viewer, on both clocks', async () => {
    const { clock, advanced, offsets, ramp, first } = setUp();
    clock.start();
    clock.skip(20);
    await ramp.invoke(first);
    expect(advanced).toEqual([20 * MIN]);
    expect(offsets).toEqual([20 * MIN]);
  });

  it('runs one minute at a time when two executions continue at once', async () => {
    const { clock, ramp, again } = setUp();
    clock.start();
    let running = 0;
    let most = 0;
    clock.trafficEachMinute(async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return '';
    });
    await Promise.all([ramp.invoke(again), ramp.invoke(again)]);
    expect(most).toBe(1);
    expect(clock.offsetMs).toBe(2 * MIN);
  });
});
