import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { runExperiment, type ExperimentResult } from '../../local/pipeline/experiment.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function failed(result: ExperimentResult): string[] {
  return result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

describe('the whole pipeline against the emulator and the built bundles', () => {
  it('runs header, weighted and content-only cycles with every expectation holding', async () => {
    emulator = await startEmulator({ propagationMs: 30, seed: 7 });
    const lines: string[] = [];
    const result = await runExperiment({
      emulator,
      continuationDelayMs: 20,
      approval: 'auto',
      write: (l) => lines.push(l),
      weightedSample: 600,
    });
    expect(failed(result)).toEqual([]);
    const names = result.checks.map((c) => c.name);
    for (const expected of [
      'with the header, requests reach v2',
      'without the header, requests get v1',
      'after promotion everyone gets v2',
      'about 15% of fresh viewers reach v3',
      'a viewer routed to staging stays there (sticky cookie)',
      'after promotion everyone gets v3',
      'enable-CD re-enabled the policy that CloudFormation skipped',
      'after promotion everyone gets v4',
      'statements other owners put in the bucket policy are intact',
    ]) {
      expect(names).toContain(expected);
    }
    // The propagation waits were handed to CodePipeline, not slept through.
    expect(lines.some((l) => l.includes('re-invokes with the continuation token'))).toBe(true);
  });

  it('rolls traffic back to the primary when the approval is rejected', async () => {
    emulator = await startEmulator({ propagationMs: 0, seed: 7 });
    const result = await runExperiment({
      emulator,
      continuationDelayMs: 5,
      approval: 'reject',
      write: () => undefined,
    });
    expect(failed(result)).toEqual([]);
    expect(result.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'abort succeeded',
        'after the rejection, requests with the header get v1 again',
        'the policy is disabled after abort',
      ]),
    );
    // Nothing was promoted.
    expect(result.events.some((e) => e.type === 'invocation' && e.functionName === 'promote')).toBe(false);
  });
});
