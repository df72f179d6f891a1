/**
 * promote's prune with `RevertRecordBucket`: the newest revert record's release folders are kept whichever job wrote
 * the record, and a record that cannot be read skips the prune (nothing deleted) rather than prune unprotected.
 */
import { CloudFrontClient, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PruneReleasesChange } from '../../../../functions/promote/plan.js';
import { pruneWrite } from '../../../../functions/promote/prune.js';
import { pruneReportFromData } from '../../../../functions/promote/result.js';
import { createLogger } from '../../../../shared/log.js';
import { serializeManifest } from '../../../../shared/release/manifest.js';
import { buildRecord, recordKey, serializeRecord } from '../../../../shared/revert/record.js';
import {
  PRIMARY_ID,
  STAGING_ID,
  awsError,
  captureLogs,
  distributionConfig,
  primaryOutput,
  primaryState,
  stagingOutput,
  stagingState,
} from '../../fixtures.js';

const OLDEST = 'a'.repeat(40);
const MIDDLE = 'b'.repeat(40);
const NEWEST = 'c'.repeat(40);
const SITE = 'site-bucket';
const ARTIFACTS = 'artifact-bucket';

const s3 = mockClient(S3Client);
const cf = mockClient(CloudFrontClient);
const body = (text: string) => ({ Body: { transformToString: async () => text } }) as never;

const record = buildRecord(
  primaryState({ config: distributionConfig({}, `/releases/${OLDEST}`) }),
  stagingState(),
  new Date('2026-12-07T10:00:00Z'),
);
const RECORD_KEY = recordKey(primaryState(), new Date('2026-12-07T10:00:00Z'));

const change = (recordBucket?: string): PruneReleasesChange => ({
  kind: 'prune-releases',
  bucket: SITE,
  keep: 1,
  primaryId: PRIMARY_ID,
  stagingId: STAGING_ID,
  protect: [],
  ...(recordBucket ? { recordBucket } : {}),
  reason: 'test',
});

let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  s3.reset();
  cf.reset();
  logs = captureLogs();
  const folders = [OLDEST, MIDDLE, NEWEST];
  s3.on(ListObjectsV2Command, { Prefix: 'releases/' }).resolves({
    Contents: folders.flatMap((c, i) => [
      { Key: `releases/${c}/index.html`, LastModified: new Date(Date.UTC(2026, 0, i + 1)) },
      { Key: `releases/${c}/.cfcd-release.json`, LastModified: new Date(Date.UTC(2026, 0, i + 1)) },
    ]),
  });
  for (const [i, c] of folders.entries())
    s3.on(GetObjectCommand, { Bucket: SITE, Key: `releases/${c}/.cfcd-release.json` }).resolves(
      body(
        serializeManifest({ v: 1, commit: c, createdAt: new Date(Date.UTC(2026, 0, i + 1)).toISOString(), files: [] }),
      ),
    );
  s3.on(DeleteObjectsCommand).resolves({});
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
    primaryOutput('', { config: distributionConfig({}, `/releases/${NEWEST}`) }),
  );
  cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({}, `/releases/${NEWEST}`));
});

afterEach(() => logs.restore());

const deletedKeys = () =>
  s3.commandCalls(DeleteObjectsCommand).flatMap((c) => c.args[0].input.Delete?.Objects?.map((o) => o.Key) ?? []);

describe("promote's prune and the revert target", () => {
  it('without RevertRecordBucket, keeps only what is served and the newest: both older folders go', async () => {
    const out = await pruneWrite(change(), createLogger({ test: 'prune' }, 'ERROR'));
    expect(pruneReportFromData(out.remember ?? {})).toMatchObject({ outcome: 'pruned', deleted: 2 });
    expect(deletedKeys().some((k) => k?.startsWith(`releases/${OLDEST}/`))).toBe(true);
  });

  it("keeps the newest record's release folder, a record this job did not write", async () => {
    s3.on(ListObjectsV2Command, { Bucket: ARTIFACTS, Prefix: `cfcd-revert/${PRIMARY_ID}/` }).resolves({
      Contents: [{ Key: RECORD_KEY }],
    });
    s3.on(GetObjectCommand, { Bucket: ARTIFACTS, Key: RECORD_KEY }).resolves(body(serializeRecord(record)));
    const out = await pruneWrite(change(ARTIFACTS), createLogger({ test: 'prune' }, 'INFO'));
    expect(pruneReportFromData(out.remember ?? {})).toMatchObject({ outcome: 'pruned', deleted: 1 });
    expect(deletedKeys().every((k) => k?.startsWith(`releases/${MIDDLE}/`))).toBe(true);
    expect(deletedKeys().length).toBeGreaterThan(0);
    expect(logs.lines.join('\n')).toContain('prune-protects-revert-target');
  });

  it('skips the prune, deleting nothing, when the newest record cannot be read', async () => {
    s3.on(ListObjectsV2Command, { Bucket: ARTIFACTS }).rejects(awsError('AccessDenied', 403));
    const out = await pruneWrite(change(ARTIFACTS), createLogger({ test: 'prune' }, 'INFO'));
    expect(out.wrote).toBe(false);
    expect(pruneReportFromData(out.remember ?? {})).toMatchObject({ outcome: 'skipped' });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
    const warn = logs.lines.find((l) => l.includes('prune-skipped'));
    expect(warn).toContain(`--record-bucket ${ARTIFACTS}`);
  });
});
