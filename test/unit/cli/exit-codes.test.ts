import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/args.js';
import { DeclinedError, EXIT, InterruptedError, RefusedError, classify, messageOf } from '../../../cli/exit-codes.js';
import { InputError, StateCheckError, StepError } from '../../../shared/domain/errors.js';

describe('classify: the exit code scripts branch on', () => {
  it.each([
    ['a usage error', new UsageError('--primary is required'), 'usage', 2],
    ['a UserParameters problem', new InputError('Mode', 'must be one of …'), 'usage', 2],
    ['a check on the live state', new StateCheckError('the staging is not a staging'), 'refused', 3],
    ["cfcd's own refusal", new RefusedError('the plan changed'), 'refused', 3],
    ['Ctrl-C', new InterruptedError('stopped', 'cfcd promote --resume x'), 'interrupted', 130],
    ['a no at the prompt', new DeclinedError('nothing was written'), 'declined', 1],
    ['an AWS failure', Object.assign(new Error('Throttling'), { name: 'ThrottlingException' }), 'failed', 1],
    ['something thrown that is not an Error', 'a string', 'failed', 1],
  ])('%s: %s, exit %i', (_what, err, kind, code) => {
    expect(classify(err)).toEqual({ kind, code });
  });

  it('looks through the cause chain: a step that wraps a refusal is still a refusal', () => {
    const wrapped = new StepError('check and plan', new StateCheckError('no policy attached'));
    expect(classify(wrapped)).toEqual({ kind: 'refused', code: EXIT.refused });
    expect(classify(new Error('outer', { cause: new UsageError('inner') }))).toEqual({ kind: 'usage', code: 2 });
  });

  it('stops looking after ten causes (a cycle does not hang it)', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(classify(a)).toEqual({ kind: 'failed', code: EXIT.failed });
  });
});

describe('messageOf', () => {
  it("shows a refusal in its own words, without the step's prefix", () => {
    const wrapped = new StepError('check and plan', new StateCheckError('no policy attached to E1'));
    expect(wrapped.message).toBe('step "check and plan": no policy attached to E1');
    expect(messageOf(wrapped)).toBe('no policy attached to E1');
  });

  it('shows any other error as it is, step included', () => {
    const wrapped = new StepError('apply', new Error('AccessDenied'));
    expect(messageOf(wrapped)).toBe('step "apply": AccessDenied');
    expect(messageOf(42)).toBe('42');
  });

  it('shows a UserParameters problem with its field', () => {
    expect(messageOf(new InputError('Mode', 'must be one of disable'))).toBe(
      'UserParameters.Mode: must be one of disable',
    );
  });
});
