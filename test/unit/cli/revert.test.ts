/**
 * `cfcd revert`'s pure parts: its flags (read by the revert's own parser, a mistake naming the flag), the newest
 * record of a primary, and the revert target judged against the live primary and staging.
 */
import type { DistributionState } from '../../../shared/domain/resources.js';
import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandLine } from '../../../cli/args.js';
import { parseWithFlags } from '../../../cli/action-flags.js';
import { contentCheck, revertSpec } from '../../../cli/commands/revert.js';
import { parameterNames, parseRevertParams, parseRevertRequest } from '../../../shared/revert/params.js';
import { asStagingConfig, buildRecord, recordedContentBucket } from '../../../shared/revert/record.js';
import { judgeTarget, newestRecordKey, recordPrefix } from '../../../shared/revert/target.js';
import {
  BUCKET,
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  distributionConfig,
  primaryState,
  stagingState,
} from '../fixtures.js';

const flags = (...args: string[]) =>
  parseWithFlags(revertSpec, parameterNames, parseCommandLine(revertSpec, args), (p) =>
    parseRevertRequest(JSON.stringify(p)),
  );
const usage = (...args: string[]) => {
  try {
    flags(...args);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('no usage error');
};
const KEY = `cfcd-revert/${PRIMARY_ID}/2026-12-07T10-00-00-000Z-EP1.json`;

describe('cfcd revert: flags', () => {
  it('reads the primary, the record bucket and, optionally, the record, the staging and the site bucket', () => {
    expect(flags('--primary', PRIMARY_ID, '--record-bucket', 'artifacts')).toEqual({
      primaryId: PRIMARY_ID,
      stagingId: undefined,
      recordBucket: 'artifacts',
      recordKey: undefined,
      contentBucket: undefined,
      invalidationPaths: ['/*'],
      maxWaitMinutes: 60,
    });
    expect(
      flags(
        '--primary',
        PRIMARY_ID,
        '--record-bucket',
        'artifacts',
        '--record',
        KEY,
        '--staging',
        STAGING_ID,
        '--bucket',
        'site',
        '--invalidation-paths',
        '[]',
      ),
    ).toMatchObject({ recordKey: KEY, stagingId: STAGING_ID, contentBucket: 'site', invalidationPaths: [] });
  });

  it.each([
    [['--primary', 'E1'], /^--primary: "E1" is not a valid CloudFront distribution id/],
    [['--primary', PRIMARY_ID], /^--record-bucket is required/],
    [['--primary', PRIMARY_ID, '--record-bucket', 'a', '--staging', PRIMARY_ID], /^--staging must differ from/],
    [
      ['--primary', PRIMARY_ID, '--record-bucket', 'artifacts', '--record', 'cfcd-revert/E9OTHER000009/x.json'],
      /^--record: "cfcd-revert\/E9OTHER000009\/x.json" is not a revert record key of primary E1PRIMARY00001/,
    ],
    [['--primary', PRIMARY_ID, '--record-bucket', 'artifacts', '--invalidation-paths', '/*'], /^--invalidation-paths/],
  ])('%j is a usage error naming the flag', (args, message) => {
    expect(usage(...args)).toMatch(message);
  });

  it('the action needs the record and the staging that the command settles', () => {
    const base = { PrimaryDistributionId: PRIMARY_ID, RevertRecordBucket: 'artifacts' };
    expect(() => parseRevertParams(JSON.stringify({ ...base, RevertRecord: KEY }))).toThrow(/StagingDistributionId/);
    expect(() => parseRevertParams(JSON.stringify({ ...base, StagingDistributionId: STAGING_ID }))).toThrow(
      /RevertRecord/,
    );
  });
});

describe('the newest record of a primary', () => {
  it("is the last key in order among the primary's own, whatever the listing's order", () => {
    const key = (at: string) => `${recordPrefix(PRIMARY_ID)}${at}-E1.json`;
    const keys = [
      key('2026-12-07T10-00-00-000Z'),
      key('2026-12-09T08-00-00-000Z'),
      key('2026-12-08T23-59-59-999Z'),
      `${recordPrefix(PRIMARY_ID)}notes.txt`,
      `${recordPrefix(PRIMARY_ID)}sub/2027-01-01T00-00-00-000Z-E1.json`,
    ];
    expect(newestRecordKey(keys, PRIMARY_ID)).toBe(key('2026-12-09T08-00-00-000Z'));
    expect(newestRecordKey([], PRIMARY_ID)).toBeUndefined();
    expect(newestRecordKey(keys, STAGING_ID)).toBeUndefined();
  });
});

describe('the revert target, judged live', () => {
  const primaryOn = (path: string) =>
    primaryState({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, path), etag: 'EP2' });
  const stagingConfig = (path: string) =>
    distributionConfig({ Staging: true, CallerReference: 'staging-ref', Aliases: { Quantity: 0 } }, path);
  const staging = stagingState({ config: stagingConfig('/v2') });
  const record = buildRecord(primaryOn('/v1'), staging, new Date('2026-12-07T10:00:00Z'));
  const where = { bucket: 'artifacts', key: KEY };
  const judge = (primary: DistributionState, s: DistributionState | undefined = staging) =>
    judgeTarget(record, where, primary, s);

  it('while the primary carries the promotion: a revert would go back, changing what the promotion changed', () => {
    expect(judge(primaryOn('/v2'))).toEqual({
      recordAt: `s3://artifacts/${KEY}`,
      key: KEY,
      recordedAt: '2026-12-07T10:00:00.000Z',
      release: 'origin path "/v1"',
      standing: 'promoted',
      underWay: false,
      changes: ['origin s3-origin: origin path "/v2" → "/v1"'],
      summary:
        `primary ${PRIMARY_ID} still carries the promotion recorded in s3://artifacts/${KEY}: a revert would go ` +
        'back to origin path "/v1"',
      brief: `primary ${PRIMARY_ID} still carries the promotion this record names: a revert would go back to origin path "/v1"`,
    });
  });

  it('says a revert is under way when the staging carries the recorded config, and done once the primary does', () => {
    const onRecord = stagingState({ config: asStagingConfig(record, stagingConfig('/v2')) });
    expect(judge(primaryOn('/v2'), onRecord)).toMatchObject({ standing: 'promoted', underWay: true });
    expect(judge(primaryOn('/v2'), onRecord).summary).toContain('a revert to origin path "/v1" is under way');
    expect(judge(primaryOn('/v1'))).toMatchObject({ standing: 'reverted', underWay: true, changes: [] });
    expect(judge(primaryOn('/v1'), undefined)).toMatchObject({ standing: 'reverted', underWay: true });
  });

  it('says production changed since, and lists nothing to change, for a newer promotion or a hand change', () => {
    const changed = judge(primaryOn('/v3'));
    expect(changed).toMatchObject({ standing: 'changed', underWay: false, changes: [] });
    expect(changed.summary).toBe(
      `production changed since the promotion recorded in s3://artifacts/${KEY}: a newer promotion or a hand ` +
        'change; nothing to revert to safely (older records are what earlier promotions replaced)',
    );
  });
});

describe("the previous release's content check: on by default, from the record's S3 origin", () => {
  const recordOf = (config = distributionConfig({}, '/releases/abc')) =>
    buildRecord(primaryState({ config }), stagingState(), new Date('2026-12-07T10:00:00Z'));

  it("takes the bucket of the record's S3 origin when --bucket is not given", () => {
    const record = recordOf();
    expect(recordedContentBucket(record)).toBe(BUCKET);
    expect(contentCheck({ contentBucket: undefined }, record)).toEqual({
      bucket: BUCKET,
      note: `the previous release's content is checked at s3://${BUCKET}/releases/abc/index.html (the record's S3 origin)`,
    });
  });

  it('prefers --bucket, and says so', () => {
    const check = contentCheck({ contentBucket: 'other-site' }, recordOf());
    expect(check.bucket).toBe('other-site');
    expect(check.note).toBe(
      'the recorded config serves no default root object from s3://other-site (--bucket): content check skipped',
    );
  });

  it("prefers the default behavior's origin among several S3 origins", () => {
    const base = distributionConfig({}, '/v1');
    const config = {
      ...base,
      Origins: {
        Quantity: 2,
        Items: [
          { Id: 'logs', DomainName: 'logs-bucket.s3.amazonaws.com', OriginPath: '' },
          ...(base.Origins?.Items ?? []),
        ],
      },
    };
    expect(recordedContentBucket(recordOf(config))).toBe(BUCKET);
  });

  it('says the check is skipped when the record has no S3 origin', () => {
    const base = distributionConfig({}, '');
    const items = (base.Origins?.Items ?? []).map((o) => ({ ...o, DomainName: 'origin.example.com' }));
    const record = recordOf({ ...base, Origins: { Quantity: items.length, Items: items } });
    expect(contentCheck({ contentBucket: undefined }, record)).toEqual({
      bucket: undefined,
      note: "the record's config has no S3 origin: the previous release's content check is skipped",
    });
  });
});
