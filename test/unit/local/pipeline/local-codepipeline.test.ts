/** The local CodePipeline's stage locks (QUEUED execution mode), with custom actions: no emulator, no bundle. */
import { describe, expect, it } from 'vitest';
import { LocalPipeline, type RunnerEvent, type Stage } from '../../../../local/pipeline/local-codepipeline.js';

/** A promise with its resolve function, to hold an action until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

const noLambdas = { lambdas: {}, results: { jobResults: () => [] }, continuationDelayMs: 1 };

describe('the local CodePipeline: QUEUED executions, one stage at a time', () => {
  /** A custom action that records its start and waits for `until`. */
  const step = (name: string, log: string[], until?: Promise<void>): Stage['actions'][number] => ({
    type: 'custom',
    name,
    run: async (_, execution) => {
      log.push(`${execution}:${name}`);
      await until;
      return { variables: {}, summary: name };
    },
  });

  it('lets a newer execution run the first stage while the older one holds the second (per-stage locks)', async () => {
    const log: string[] = [];
    const hold = gate();
    const events: RunnerEvent[] = [];
    const pipeline = new LocalPipeline(
      'two-stages',
      [
        { name: 'Deploy', actions: [step('deploy', log)] },
        { name: 'Approval', actions: [step('approve', log, hold.opened)] },
      ],
      { ...noLambdas, onEvent: (e) => events.push(e) },
    );
    const a = pipeline.start('A');
    await a.left('Deploy');
    const b = pipeline.start('B');
    await b.left('Deploy');
    expect(log).toEqual(['A:deploy', 'A:approve', 'B:deploy']);
    expect(pipeline.occupancy()).toEqual([
      { stage: 'Deploy', holder: undefined, queued: [] },
      { stage: 'Approval', holder: 'A', queued: ['B'] },
    ]);
    hold.open();
    await Promise.all([a.done, b.done]);
    expect(log).toEqual(['A:deploy', 'A:approve', 'B:deploy', 'B:approve']);
    expect(events.some((e) => e.type === 'stage-queued' && e.execution === 'B' && e.stage === 'Approval')).toBe(true);
  });

  it('keeps a newer execution in front of one locked stage until the older one is done with it', async () => {
    const log: string[] = [];
    const hold = gate();
    const pipeline = new LocalPipeline(
      'one-stage',
      [{ name: 'Release', actions: [step('deploy', log), step('approve', log, hold.opened), step('promote', log)] }],
      noLambdas,
    );
    const a = pipeline.start('A');
    const b = pipeline.start('B');
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual(['A:deploy', 'A:approve']);
    hold.open();
    await Promise.all([a.done, b.done]);
    expect(log).toEqual(['A:deploy', 'A:approve', 'A:promote', 'B:deploy', 'B:approve', 'B:promote']);
  });
});
