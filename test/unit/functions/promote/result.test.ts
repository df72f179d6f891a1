import { describe, expect, it } from 'vitest';
import {
  factsFromData,
  factsToData,
  promotionNote,
  pruneOutcome,
  pruneReportFromData,
  pruneReportToData,
  successVariables,
} from '../../../../functions/promote/result.js';
import { POLICY_ID, PRIMARY_ID, STAGING_ID } from '../../fixtures.js';

const ids = { primaryId: PRIMARY_ID, stagingId: STAGING_ID };

describe('promotionNote', () => {
  it('says the promotion disabled the policy and that the next enable-CD run re-enables it', () => {
    expect(promotionNote({ ...ids, policyId: POLICY_ID, policyEnabled: false })).toBe(
      `Promotion disabled continuous deployment policy ${POLICY_ID}: all traffic is back on primary ${PRIMARY_ID}. The next enable-CD run re-enables it (CloudFormation cannot see that drift).`,
    );
  });

  it('does not claim a disabled policy when it is still enabled', () => {
    expect(promotionNote({ ...ids, policyId: POLICY_ID, policyEnabled: true })).toContain('is still enabled');
  });

  it('says when no policy is attached at all', () => {
    expect(promotionNote({ ...ids, policyId: undefined, policyEnabled: false })).toContain(
      'No continuous deployment policy is attached',
    );
  });
});

describe('promotion facts in the continuation token', () => {
  it('round-trip through the continuation data', () => {
    const facts = { changes: 'c', policyEnabled: 'false', note: 'n', etagAfterPromote: 'E' };
    expect(factsFromData(factsToData(facts))).toEqual(facts);
    expect(factsFromData(factsToData({ changes: 'c', policyEnabled: 'false', note: 'n' }))).toEqual({
      changes: 'c',
      policyEnabled: 'false',
      note: 'n',
    });
  });

  it('refuse data this function did not write, saying a re-run is safe', () => {
    expect(() => factsFromData(undefined)).toThrow(/re-run the action, which checks before writing/);
    expect(() => factsFromData({ changes: 'c' })).toThrow(/does not hold the promotion facts/);
  });

  it('become the output variables with the fresh primary ETag and the staging id', () => {
    expect(
      successVariables({ changes: 'c', policyEnabled: 'false', note: 'n', etagAfterPromote: 'OLD' }, 'NOW', STAGING_ID),
    ).toEqual({
      PrimaryETag: 'NOW',
      PromotedFrom: STAGING_ID,
      Changes: 'c',
      PolicyEnabled: 'false',
      Note: 'n',
    });
  });
});

describe('gate figures in the promotion facts', () => {
  it('travel through the continuation data and become output variables', () => {
    const gate = {
      StagingRequests: '120',
      Staging5xxErrorRate: '0.5',
      Primary5xxErrorRate: 'no data',
      MetricsWindowMinutes: '15',
    };
    const facts = factsFromData(factsToData({ changes: 'c', policyEnabled: 'false', note: 'n', gate }));
    expect(successVariables(facts, 'ETAG', 'E2STAGING00002')).toMatchObject(gate);
    expect(
      successVariables(
        factsFromData(factsToData({ changes: 'c', policyEnabled: 'false', note: 'n' })),
        'ETAG',
        'E2STAGING00002',
      ),
    ).not.toHaveProperty('StagingRequests');
  });
});

describe('the prune in the report', () => {
  const target = { bucket: 'my-site-bucket', ...ids };
  const command = `cfcd prune --bucket my-site-bucket --primary ${PRIMARY_ID} --staging ${STAGING_ID}`;

  it('says in a short Pruned variable how many folders were deleted and kept', () => {
    expect(pruneOutcome({ outcome: 'pruned', deleted: 2, kept: 5 }, target)).toEqual({
      variable: 'deleted 2 release folders, kept 5',
      sentence: 'Pruned s3://my-site-bucket/releases/: deleted 2 release folders, kept 5.',
    });
    expect(pruneOutcome({ outcome: 'pruned', deleted: 1, kept: 1 }, target).variable).toBe(
      'deleted 1 release folder, kept 1',
    );
  });

  it('says a failed prune failed, that the promotion stands, and which cfcd prune command finishes it', () => {
    const out = pruneOutcome({ outcome: 'failed', error: 'AccessDenied: no s3:DeleteObject' }, target);
    expect(out.variable).toBe(`failed: run ${command}`);
    expect(out.sentence).toBe(
      'Pruning old release folders of s3://my-site-bucket/releases/ failed (AccessDenied: no s3:DeleteObject); ' +
        `the promotion stands. Old folders may remain: run ${command}.`,
    );
  });

  it('says a prune skipped for an unreadable revert record, naming the cfcd prune command with --record-bucket', () => {
    const skipped = pruneReportFromData(pruneReportToData({ outcome: 'skipped', error: 'AccessDenied' }));
    expect(skipped).toEqual({ outcome: 'skipped', error: 'AccessDenied' });
    const out = pruneOutcome(skipped, { ...target, recordBucket: 'artifacts' });
    expect(out.variable).toBe(`skipped: run ${command} --record-bucket artifacts`);
    expect(out.sentence).toContain('the newest revert record could not be read (AccessDenied)');
    expect(out.sentence).toContain('the promotion stands');
  });

  it('never claims a prune that did not run', () => {
    const out = pruneOutcome({ outcome: 'not-run' }, target);
    expect(out.variable).toBe(`not run: run ${command}`);
    expect(out.sentence).toContain('were not pruned in this run');
  });

  it('keeps the Pruned variable small whatever the error', () => {
    const data = pruneReportToData({ outcome: 'failed', error: 'x'.repeat(5000) });
    const report = pruneReportFromData(data);
    expect(report).toMatchObject({ outcome: 'failed' });
    expect(report.outcome === 'failed' && report.error.length).toBe(300);
    expect(pruneOutcome(report, target).variable.length).toBeLessThan(200);
  });

  it('round-trips through the memory the write leaves, and reads no report as not run', () => {
    const pruned = { outcome: 'pruned', deleted: 3, kept: 6 } as const;
    expect(pruneReportFromData(pruneReportToData(pruned))).toEqual(pruned);
    expect(pruneReportFromData({})).toEqual({ outcome: 'not-run' });
  });
});
