import { describe, expect, it } from 'vitest';
import { carriesSameConfig } from '../../../../shared/domain/config-diff.js';
import {
  RevertRecordError,
  asStagingConfig,
  buildRecord,
  configHash,
  describeRecordedRelease,
  isRecordKeyOf,
  parseRecord,
  recordKey,
  recordedCommits,
  serializeRecord,
} from '../../../../shared/revert/record.js';
import {
  LAST_MODIFIED,
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  distributionConfig,
  primaryState,
  stagingState,
} from '../../fixtures.js';

const NOW = new Date('2026-12-07T10:00:00Z');
const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const primary = () =>
  primaryState({
    lastModified: LAST_MODIFIED,
    config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, `/releases/${OLD}`),
  });
const staging = () =>
  stagingState({
    config: distributionConfig(
      { Staging: true, CallerReference: 'staging-ref', Aliases: { Quantity: 0 } },
      `/releases/${NEW}`,
    ),
  });
const record = () => buildRecord(primary(), staging(), new Date('2026-12-07T10:00:00Z'));

describe('the revert record', () => {
  it("records the primary's config, ETag and release, and the hash of what the promotion copies", () => {
    const r = record();
    expect(r).toMatchObject({
      v: 1,
      primaryId: PRIMARY_ID,
      stagingId: STAGING_ID,
      replaced: {
        etag: primary().etag,
        originPaths: [{ originId: 's3-origin', originPath: `/releases/${OLD}`, commit: OLD }],
      },
      promoted: { stagingETag: staging().etag, configHash: configHash(staging().config) },
      recordedAt: '2026-12-07T10:00:00.000Z',
    });
    expect(r.replaced.config).toEqual(primary().config);
    expect(recordedCommits(r)).toEqual([OLD]);
    expect(describeRecordedRelease(r)).toBe(`commit ${OLD}`);
  });

  it('names an origin path that is no release folder as such', () => {
    const r = buildRecord(primaryState(), staging(), new Date());
    expect(recordedCommits(r)).toEqual([]);
    expect(describeRecordedRelease(r)).toBe('origin path "/v1"');
  });

  it('hashes a promoted primary like its staging: aliases, policy id, CallerReference and Staging do not count', () => {
    const promoted = {
      ...staging().config,
      Aliases: primary().config.Aliases,
      CallerReference: 'primary-ref',
      Staging: false,
      ContinuousDeploymentPolicyId: POLICY_ID,
    };
    expect(carriesSameConfig(promoted, staging().config)).toBe(true);
    expect(configHash(promoted)).toBe(configHash(staging().config));
    // Empty lists and absent fields are the same "none", as for carriesSameConfig.
    const sparse = { ...staging().config, CustomErrorResponses: { Quantity: 0, Items: [] } };
    expect(configHash(sparse)).toBe(configHash({ ...staging().config, CustomErrorResponses: { Quantity: 0 } }));
    expect(configHash(primary().config)).not.toBe(configHash(staging().config));
  });

  it('is keyed by primary and promotion (the pre-promotion time and ETag), the same for a repeated delivery', () => {
    expect(recordKey(primary(), NOW)).toBe(
      `cfcd-revert/${PRIMARY_ID}/${LAST_MODIFIED.toISOString().replace(/[:.]/g, '-')}-${primary().etag}.json`,
    );
    expect(recordKey(primary(), NOW)).toBe(recordKey(primary(), NOW));
    expect(isRecordKeyOf(recordKey(primary(), NOW), PRIMARY_ID)).toBe(true);
    expect(isRecordKeyOf(recordKey(primary(), NOW), 'E9OTHER000009')).toBe(false);
    expect(isRecordKeyOf(`cfcd-revert/${PRIMARY_ID}/../x.json`, PRIMARY_ID)).toBe(false);
    expect(isRecordKeyOf(`cfcd-revert/${PRIMARY_ID}/a/b.json`, PRIMARY_ID)).toBe(false);
  });

  it('falls back to the time of recording when CloudFront gave no last-change time', () => {
    expect(recordKey({ ...primary(), lastModified: undefined }, NOW)).toContain('/2026-12-07T10-00-00-000Z-');
  });

  it('parses what it serialises', () => {
    expect(parseRecord(serializeRecord(record()), 's3://b/k', PRIMARY_ID)).toEqual(record());
  });

  it.each([
    ['not JSON', '{', /s3:\/\/b\/k is not JSON/],
    ['another version', JSON.stringify({ ...record(), v: 2 }), /does not parse: v is not 1/],
    ['no config', JSON.stringify({ ...record(), replaced: { etag: 'E1' } }), /replaced.config is missing/],
    ['a bad hash', JSON.stringify({ ...record(), promoted: { stagingETag: 'E', configHash: 'x' } }), /configHash/],
    ['no time', JSON.stringify({ ...record(), recordedAt: 'soon' }), /recordedAt is not a time/],
    ['an array', '[]', /not a JSON object/],
  ])('refuses a record with %s, naming it', (_what, text, message) => {
    expect(() => parseRecord(text, 's3://b/k', PRIMARY_ID)).toThrow(RevertRecordError);
    expect(() => parseRecord(text, 's3://b/k', PRIMARY_ID)).toThrow(message);
  });

  it("refuses another primary's record", () => {
    expect(() => parseRecord(serializeRecord(record()), 's3://b/k', 'E9OTHER000009')).toThrow(
      `is for primary ${PRIMARY_ID}, not E9OTHER000009`,
    );
  });

  it("turns the recorded config into a staging config: the staging's CallerReference, Staging, no aliases or policy", () => {
    const config = asStagingConfig(record(), staging().config);
    expect(config).toMatchObject({ CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 } });
    expect(config.ContinuousDeploymentPolicyId).toBeUndefined();
    expect(config.Origins?.Items?.[0]?.OriginPath).toBe(`/releases/${OLD}`);
    expect(configHash(config)).toBe(configHash(primary().config));
  });
});
