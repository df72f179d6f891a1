import { describe, expect, it } from 'vitest';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import { invalidationCallerReference } from '../../../../shared/domain/invalidation.js';
import type { DistributionState } from '../../../../shared/domain/resources.js';
import { type RevertState, planRevert, primaryStanding, revertUnderWay } from '../../../../shared/revert/plan.js';
import { asStagingConfig, buildRecord } from '../../../../shared/revert/record.js';
import { AFTER_LAST_CHANGE, POLICY_ID, distributionConfig, primaryState, stagingState } from '../../fixtures.js';

/** Before the promotion: the primary on /v1; the staging on /v2 (what was promoted). */
const primaryBefore = () =>
  primaryState({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v1') });
const stagingConfig = (path: string) =>
  distributionConfig({ Staging: true, CallerReference: 'staging-ref', Aliases: { Quantity: 0 } }, path);
const staging = (o: Partial<DistributionState> = {}) => stagingState({ config: stagingConfig('/v2'), ...o });
const record = buildRecord(primaryBefore(), staging(), new Date('2026-12-07T10:00:00Z'));
/** The primary serving `path` with its own aliases and policy. */
const primaryOn = (path: string, o: Partial<DistributionState> = {}) =>
  primaryState({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, path), etag: 'EP2', ...o });
const stagingOnRecord = (o: Partial<DistributionState> = {}) =>
  stagingState({ config: asStagingConfig(record, stagingConfig('/v2')), etag: 'ES2', ...o });
const state = (o: Partial<RevertState> = {}): RevertState => ({
  record,
  recordAt: 's3://artifacts/cfcd-revert/E1/k.json',
  primary: primaryOn('/v2'),
  staging: staging(),
  ...o,
});

describe('where a revert stands, from the live state', () => {
  it('tells the promotion, the reverted config and anything else apart', () => {
    expect(primaryStanding(record, primaryOn('/v2'))).toBe('promoted');
    expect(primaryStanding(record, primaryOn('/v1'))).toBe('reverted');
    expect(primaryStanding(record, primaryOn('/v3'))).toBe('changed');
    expect(revertUnderWay(record, primaryOn('/v2'), staging())).toBe(false);
    expect(revertUnderWay(record, primaryOn('/v2'), stagingOnRecord())).toBe(true);
    expect(revertUnderWay(record, primaryOn('/v1'), staging())).toBe(true);
  });
});

describe('planRevert: one step at a time', () => {
  it('(b) puts the recorded config onto the staging, as a staging, and waits for it', () => {
    const plan = planRevert(state(), 'reverting', ['/*']);
    expect(plan.kind).toBe('reverting');
    expect(plan.changes).toEqual([
      {
        kind: 'stage-recorded-config',
        stagingId: staging().id,
        config: asStagingConfig(record, staging().config),
        reason: expect.stringContaining('origin path "/v1"'),
      },
    ]);
    expect(plan.changes[0]).toMatchObject({
      config: { Staging: true, CallerReference: 'staging-ref', Aliases: { Quantity: 0 } },
    });
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'reverting', inProgress: [staging().id] });
  });

  it('refuses (b), with nothing written, when the previous release is gone from the bucket', () => {
    const content = { bucket: 'site', key: 'v1/index.html', exists: false };
    expect(() => planRevert(state({ content }), 'reverting', ['/*'])).toThrow(
      "the previous release's content is gone: s3://site/v1/index.html does not exist",
    );
    expect(planRevert(state({ content: { ...content, exists: true } }), 'reverting', ['/*']).changes).toHaveLength(1);
  });

  it('refuses (b), with nothing written, when a newer release is staged: the revert would replace it', () => {
    const newer = stagingState({ config: stagingConfig('/v3'), etag: 'ES3' });
    expect(() => planRevert(state({ staging: newer }), 'reverting', ['/*'])).toThrow(
      `staging ${newer.id} no longer carries the release promoted in s3://artifacts/cfcd-revert/E1/k.json`,
    );
  });

  it('(c) waits while the staging or the primary is InProgress, then (d) promotes with both ETags', () => {
    const waiting = planRevert(state({ staging: stagingOnRecord({ status: 'InProgress' }) }), 'reverting', ['/*']);
    expect(waiting).toMatchObject({ changes: [], next: { kind: 'wait', inProgress: [staging().id] } });
    const plan = planRevert(state({ staging: stagingOnRecord() }), 'reverting', ['/*']);
    expect(plan.changes).toEqual([
      expect.objectContaining({ kind: 'promote-recorded-config', ifMatch: 'EP2, ES2', stagingId: staging().id }),
    ]);
    expect(plan.next).toMatchObject({ kind: 'wait', inProgress: [primaryOn('/v2').id] });
  });

  it('(e) waits for the primary Deployed, (f) invalidates it, then waits for the invalidation to complete', () => {
    expect(
      planRevert(state({ primary: primaryOn('/v1', { status: 'InProgress' }) }), 'reverting', ['/*']),
    ).toMatchObject({
      changes: [],
      next: { kind: 'wait' },
    });
    const primary = primaryOn('/v1');
    const invalidate = planRevert(state({ primary, cache: { distributionId: primary.id, since: [] } }), 'reverting', [
      '/*',
    ]);
    expect(invalidate.changes).toEqual([
      expect.objectContaining({ kind: 'invalidate-cache', distributionId: primary.id, paths: ['/*'] }),
    ]);
    const ours = {
      id: 'I1',
      status: 'InProgress',
      createTime: AFTER_LAST_CHANGE,
      paths: ['/*'],
      callerReference: invalidationCallerReference(primary, ['/*']),
    };
    expect(
      planRevert(state({ primary, cache: { distributionId: primary.id, since: [ours] } }), 'reverting', ['/*']),
    ).toMatchObject({ kind: 'reverting', changes: [], next: { kind: 'wait' } });
    const done = planRevert(
      state({ primary, cache: { distributionId: primary.id, since: [{ ...ours, status: 'Completed' }] } }),
      'reverting',
      ['/*'],
    );
    expect(done).toMatchObject({ kind: 'reverted', changes: [], next: { kind: 'done' }, cache: { kind: 'completed' } });
  });

  it('is done without an invalidation when InvalidationPaths is []', () => {
    expect(planRevert(state({ primary: primaryOn('/v1') }), 'reverting', [])).toMatchObject({
      kind: 'reverted',
      cache: { kind: 'off' },
    });
  });

  it('never crosses a newer promotion or a change by hand: refuses before (b) and before (d)', () => {
    for (const s of [
      state({ primary: primaryOn('/v3') }),
      state({ primary: primaryOn('/v3'), staging: stagingOnRecord() }),
    ]) {
      expect(() => planRevert(s, 'reverting', ['/*'])).toThrow(StateCheckError);
      expect(() => planRevert(s, 'reverting', ['/*'])).toThrow('no longer carries the promotion recorded in');
    }
  });

  it('refuses distributions of the wrong kind', () => {
    expect(() => planRevert(state({ staging: primaryOn('/v2') }), 'reverting', ['/*'])).toThrow('is not a staging');
  });
});
