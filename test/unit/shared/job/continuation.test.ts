import { describe, expect, it } from 'vitest';
import { PIPELINE_WORDS } from '../../../../shared/domain/errors.js';
import {
  ContinuationError,
  decodeContinuation,
  encodeContinuation,
  ofPhases,
} from '../../../../shared/job/continuation.js';

describe('continuation tokens', () => {
  it('round-trip phase, first invocation time and data', () => {
    const c = { phase: 'detached', startedAt: 42, data: { policyId: 'p', changes: 'disable-policy' } };
    expect(decodeContinuation(encodeContinuation(c))).toEqual(c);
  });

  it.each([
    ['not JSON', 'garbage'],
    ['another version', JSON.stringify({ v: 2, phase: 'x', startedAt: 1 })],
    ['data that is not strings', JSON.stringify({ v: 1, phase: 'x', startedAt: 1, data: { n: 1 } })],
  ])('refuse a token that is %s', (_, token) => {
    expect(() => decodeContinuation(token)).toThrow(ContinuationError);
  });

  it("accept only the action's own phases, naming the ones it writes", () => {
    const token = { phase: 'promoted', startedAt: 1 };
    expect(ofPhases('abort', ['propagating', 'detached'], { phase: 'detached', startedAt: 1 }).phase).toBe('detached');
    expect(() => ofPhases('abort', ['propagating', 'detached'], token)).toThrow(
      'the continuation token has phase "promoted", which abort never writes ' +
        '(it writes propagating, detached); nothing was changed. Re-run the action.',
    );
  });

  it("says what to do in the reader's words: CodePipeline's token in a pipeline, cfcd's --resume in cfcd", () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        return err as ContinuationError;
      }
      throw new Error('expected a refusal');
    };
    const cfcd = { ...PIPELINE_WORDS, token: 'the --resume token', rerun: 'run the command again' };
    expect(refusal(() => decodeContinuation('garbage')).say(cfcd)).toBe(
      'the --resume token is not one this action wrote (not JSON)',
    );
    expect(refusal(() => ofPhases('abort', ['detached'], { phase: 'promoted', startedAt: 1 })).say(cfcd)).toBe(
      'the --resume token has phase "promoted", which abort never writes (it writes detached); nothing was changed. ' +
        'Run the command again.',
    );
  });
});
