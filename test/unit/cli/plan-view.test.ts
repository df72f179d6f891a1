import { describe, expect, it } from 'vitest';
import { ACTIONS, type AnyPlan } from '../../../cli/action-flags.js';
import { sameChanges, viewPlan } from '../../../cli/plan-view.js';
import { painter } from '../../../cli/terminal.js';
import { type Change, DONE, waitFor } from '../../../shared/domain/plan.js';
import { PRIMARY_ID, STAGING_ID, primaryState, stagingState } from '../fixtures.js';

const plain = painter(false);

/** A plan as the actions build them: changes, then done or a wait. */
const plan = (o: Partial<AnyPlan> & Record<string, unknown> = {}): AnyPlan => ({ changes: [], next: DONE, ...o });

describe('viewPlan', () => {
  it('says "nothing to do" for a plan that writes nothing now and nothing later', () => {
    const view = viewPlan(ACTIONS.abort, {}, plan({ nothingToDo: 'no policy is attached to the primary' }));
    expect(view.nothingToDo).toBe(true);
    expect(view.laterPassesDecide).toBe(false);
    expect(view.lines(plain)).toEqual(['Changes   none now (no policy is attached to the primary)', 'Then      done']);
    expect(view.json).toEqual({
      action: 'abort',
      changes: [],
      next: { kind: 'done' },
      nothingToDo: 'no policy is attached to the primary',
    });
  });

  it('numbers the changes with their reasons, then says what it waits for', () => {
    const view = viewPlan(
      ACTIONS['enable-cd'],
      {},
      plan({
        changes: [
          { kind: 'grant', reason: 'the bucket does not let the staging read' },
          { kind: 'attach', reason: 'the primary names no policy' },
        ],
        next: waitFor('deploy', 'both distributions to be Deployed', [PRIMARY_ID, STAGING_ID]),
      }),
      { primary: PRIMARY_ID },
    );
    expect(view.nothingToDo).toBe(false);
    expect(view.laterPassesDecide).toBe(false);
    expect(view.lines(plain)).toEqual([
      'Changes',
      '  1. grant: the bucket does not let the staging read',
      '  2. attach: the primary names no policy',
      `Then      wait for both distributions to be Deployed (InProgress: ${PRIMARY_ID}, ${STAGING_ID}); the next pass reads and plans again`,
    ]);
    expect(view.json).toMatchObject({
      action: 'enable-cd',
      primary: PRIMARY_ID,
      changes: [
        { kind: 'grant', reason: 'the bucket does not let the staging read' },
        { kind: 'attach', reason: 'the primary names no policy' },
      ],
      next: {
        kind: 'wait',
        phase: 'deploy',
        reason: 'both distributions to be Deployed',
        inProgress: [PRIMARY_ID, STAGING_ID],
      },
    });
  });

  it('leaves it to later passes when changes are held back, or when it only waits', () => {
    const held = viewPlan(ACTIONS.promote, {}, plan({ held: 'the primary is InProgress' }));
    expect(held.nothingToDo).toBe(false);
    expect(held.laterPassesDecide).toBe(true);
    expect(held.lines(plain)).toContain('Held      the primary is InProgress');
    expect(held.json).toMatchObject({ held: 'the primary is InProgress' });
    const waiting = viewPlan(ACTIONS.promote, {}, plan({ next: waitFor('deploy', 'the primary', [PRIMARY_ID]) }));
    expect(waiting.laterPassesDecide).toBe(true);
  });

  it("shows promote's decision and warning, and a change's diff under it", () => {
    const view = viewPlan(
      ACTIONS.promote,
      {},
      plan({
        kind: 'promote',
        reason: 'the staging carries the release',
        warning: 'the gate is off',
        changes: [
          { kind: 'promote', reason: 'copy the staging config', diff: ['origin path "/v1" → "/v2"'] } as Change,
        ],
      }),
    );
    expect(view.lines(plain)).toEqual([
      'Decision  promote: the staging carries the release',
      'Changes',
      '  1. promote: copy the staging config',
      '       - origin path "/v1" → "/v2"',
      'Then      done',
      '! the gate is off',
    ]);
    expect(view.changes).toEqual([
      { kind: 'promote', reason: 'copy the staging config', diff: ['origin path "/v1" → "/v2"'] },
    ]);
    expect(view.json).toMatchObject({
      decision: { kind: 'promote', reason: 'the staging carries the release' },
      warning: 'the gate is off',
    });
  });

  it('says what a promotion of the staging would change when the state holds both distributions', () => {
    const state = { primary: primaryState(), staging: stagingState() };
    const view = viewPlan(ACTIONS['enable-cd'], state, plan());
    const lines = view.lines(plain);
    expect(lines[2]).toBe('A promotion of this staging would change, on the primary:');
    expect(lines.slice(3).join('\n')).toMatch(/origin path "\/v1" → "\/v2"/);
    expect(view.json.promoteChanges).toEqual(lines.slice(3).map((l) => l.replace(/^ {2}- /, '')));

    const same = { primary: primaryState(), staging: primaryState({ id: STAGING_ID }) };
    expect(viewPlan(ACTIONS['enable-cd'], same, plan()).lines(plain).at(-1)).toBe(
      'Promotion would change nothing: the primary already carries the staging config',
    );
  });

  it('colours only when the painter does', () => {
    const painted = viewPlan(ACTIONS.abort, {}, plan()).lines(painter(true));
    expect(painted[0]).toMatch(/\u001b\[1mChanges\u001b\[22m/);
  });
});

describe('sameChanges', () => {
  const confirmed = [
    { kind: 'detach', reason: 'the primary names policy P' },
    { kind: 'disable', reason: 'policy P is enabled' },
  ];

  it('holds when a pass plans the changes confirmed, or fewer of them', () => {
    expect(sameChanges(confirmed, confirmed)).toBe(true);
    expect(sameChanges(confirmed, [confirmed[1]!])).toBe(true);
    expect(sameChanges(confirmed, [])).toBe(true);
  });

  it('fails when a change or its reason differs: another writer changed what was read', () => {
    expect(sameChanges(confirmed, [{ kind: 'detach', reason: 'the primary names policy Q' }])).toBe(false);
    expect(sameChanges(confirmed, [{ kind: 'delete', reason: 'policy P is enabled' }])).toBe(false);
  });
});
