/**
 * The driver without AWS: a declared action whose read and writes are plain functions, so each test says what the
 * state is and checks what the driver makes of it — the memory it hands on, the changes it keeps across
 * continuations, deferred and already-complete writes, the token's phase check, and the wait limit.
 */
import { describe, expect, it } from 'vitest';
import type { WriteResult } from '../../../../shared/aws/apply-plan.js';
import { InputError, PIPELINE_WORDS, StateCheckError, kindOf } from '../../../../shared/domain/errors.js';
import { DONE, type Plan, waitFor } from '../../../../shared/domain/plan.js';
import { ContinuationError } from '../../../../shared/job/continuation.js';
import {
  type ActionDefinition,
  type Memory,
  WaitLimitError,
  checkWaitLimit,
  continuationFor,
  runAction,
  runPass,
} from '../../../../shared/job/driver.js';
import { createLogger } from '../../../../shared/log.js';

type Change = { kind: 'grant' | 'invalidate'; reason: string };
type State = { done: string[] };
type TestPlan = Plan<Change, 'propagating' | 'invalidating'>;

const log = createLogger({ test: 'driver' }, 'ERROR');

/**
 * An action that plans `plan(state)` against a state listing what is already in place; `result` says what each
 * write answers.
 */
function action(
  plan: (state: State) => TestPlan,
  result: (change: Change) => boolean | WriteResult = () => true,
  state: State = { done: [] },
): ActionDefinition<{ id: string }, State, TestPlan, 'propagating' | 'invalidating', Memory> & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    name: 'test',
    parameterNames: ['Id'],
    parseParams: (raw) => raw as { id: string },
    maxWaitMinutes: () => 10,
    phases: ['propagating', 'invalidating'],
    readStep: 'read the test state',
    steps: () => ({
      read: async () => state,
      plan,
      write: async (change) => {
        writes.push(change.kind);
        return result(change);
      },
      stepName: (change) => `write ${change.kind}`,
    }),
    remember: ({ state: s }) => ({ seen: String(s.done.length) }),
    summarise: ({ changes }) => ({ summary: `applied ${changes.join(',') || 'nothing'}`, outputVariables: {} }),
  };
}

const grant: Change = { kind: 'grant', reason: 'not granted' };
const invalidate: Change = { kind: 'invalidate', reason: 'cache not invalidated' };
const params = { id: 'x' };

describe('runPass', () => {
  it('keeps the changes of every pass and merges what the action and its writes remember into the earlier memory', async () => {
    const def = action(
      () => ({ changes: [invalidate], next: waitFor('invalidating', 'the invalidation', []) }),
      () => ({ wrote: true, remember: { invalidationId: 'I1' } }),
    );
    const pass = await runPass(def, {
      params,
      continuation: { phase: 'propagating', startedAt: 0, data: { written: 'grant', kept: 'yes' } },
      log,
    });
    expect(pass.written).toEqual(['invalidate']);
    expect(pass.changes).toEqual(['grant', 'invalidate']);
    expect(pass.memory).toEqual({ written: 'grant,invalidate', kept: 'yes', seen: '0', invalidationId: 'I1' });
    expect(pass.next).toMatchObject({ kind: 'wait', phase: 'invalidating' });
  });

  it('waits with the reason of a deferred write and writes nothing down as written', async () => {
    const def = action(
      () => ({ changes: [invalidate], next: waitFor('invalidating', 'the invalidation', []) }),
      () => ({ wrote: false, deferred: 'TooManyInvalidationsInProgress' }),
    );
    const outcome = await runAction(def, { params, continuation: undefined, log });
    expect(outcome).toMatchObject({
      kind: 'waiting',
      phase: 'invalidating',
      reason: 'TooManyInvalidationsInProgress; retrying until MaxWaitMinutes',
    });
    expect(outcome.kind === 'waiting' && outcome.data?.written).toBeUndefined();
  });

  it('is done at once when every write of the pass answered already complete', async () => {
    const def = action(
      () => ({ changes: [invalidate], next: waitFor('invalidating', 'the invalidation', []) }),
      () => ({ wrote: true, complete: true }),
    );
    await expect(runAction(def, { params, continuation: undefined, log })).resolves.toEqual({
      kind: 'succeeded',
      summary: 'applied invalidate',
      outputVariables: {},
    });
  });

  it('still waits when only some of the writes answered complete', async () => {
    const def = action(
      () => ({ changes: [grant, invalidate], next: waitFor('propagating', 'the grant', []) }),
      (change) => ({ wrote: true, complete: change.kind === 'invalidate' }),
    );
    await expect(runAction(def, { params, continuation: undefined, log })).resolves.toMatchObject({
      kind: 'waiting',
      phase: 'propagating',
    });
  });

  it('reports the summary from every pass of the job when the plan says done', async () => {
    const def = action(() => ({ changes: [], next: DONE }));
    const outcome = await runAction(def, {
      params,
      continuation: { phase: 'propagating', startedAt: 0, data: { written: 'grant,invalidate' } },
      log,
    });
    expect(outcome).toEqual({ kind: 'succeeded', summary: 'applied grant,invalidate', outputVariables: {} });
    expect(def.writes).toEqual([]);
  });

  it('stops at a refusal of the plan before any write, as a refusal', async () => {
    const def = action(() => {
      throw new StateCheckError('the staging is not a staging distribution');
    });
    const failure = await runPass(def, { params, continuation: undefined, log }).catch((e: unknown) => e);
    expect(kindOf(failure)).toBe('refused');
    expect(def.writes).toEqual([]);
  });
});

describe('continuationFor', () => {
  const def = { ...action(() => ({ changes: [], next: DONE })) };

  it('refuses a phase the action never writes', () => {
    expect(() => continuationFor(def, { phase: 'promoted', startedAt: 0 })).toThrow(ContinuationError);
  });

  it('lets the action read its memory back, and drops an empty one', () => {
    const reading = { ...def, readMemory: (_phase: string, data: Memory | undefined) => ({ id: data?.id ?? 'none' }) };
    expect(continuationFor(reading, { phase: 'invalidating', startedAt: 5, data: { id: 'I9' } })).toEqual({
      phase: 'invalidating',
      startedAt: 5,
      data: { id: 'I9' },
    });
    expect(continuationFor(def, { phase: 'propagating', startedAt: 5, data: {} })).toEqual({
      phase: 'propagating',
      startedAt: 5,
    });
  });
});

describe('checkWaitLimit', () => {
  const wait = { reason: 'primary to be Deployed', inProgress: ['E1PRIMARY00001'] };

  it('lets a wait go on until the limit', () => {
    expect(() => checkWaitLimit({ maxWaitMinutes: () => 10 }, params, wait, 10 * 60_000 - 1)).not.toThrow();
  });

  it('fails at the limit naming what it waited for, in the words of the trigger', () => {
    let error: unknown;
    try {
      checkWaitLimit({ maxWaitMinutes: () => 10 }, params, wait, 10 * 60_000);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WaitLimitError);
    expect((error as WaitLimitError).message).toBe(
      'gave up after waiting 10 minutes (MaxWaitMinutes=10) for: primary to be Deployed; still InProgress: ' +
        'E1PRIMARY00001. The changes already made stay in place; re-run the action to carry on from the live state.',
    );
    const words = { ...PIPELINE_WORDS, param: (n: string, v?: string) => `--${n} ${v}`, rerun: 'run it again' };
    expect((error as WaitLimitError).say(words)).toBe(
      'gave up after waiting 10 minutes (--MaxWaitMinutes 10) for: primary to be Deployed; still InProgress: ' +
        'E1PRIMARY00001. The changes already made stay in place; run it again to carry on from the live state.',
    );
  });
});

describe('the error family', () => {
  it('names the source of an input problem', () => {
    expect(new InputError('Mode', 'must be one of disable, detach').message).toBe(
      'UserParameters.Mode: must be one of disable, detach',
    );
    expect(new InputError('Mode', 'is bad').from({ function: 'abort', noun: 'event field' }).message).toBe(
      'abort: event field Mode: is bad',
    );
    expect(new InputError('event', 'must be an object', { function: 'watch', noun: 'input field' }).message).toBe(
      'watch: must be an object',
    );
  });
});
