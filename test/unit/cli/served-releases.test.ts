import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ServedOrigin,
  checkReleaseFolders,
  describeServed,
  folderWarning,
  servedOrigins,
  withFolderStates,
} from '../../../cli/served-releases.js';
import { BUCKET, PRIMARY_ID, STAGING_ID, awsError, distributionConfig } from '../fixtures.js';

const COMMIT = `3f2a9c1${'b'.repeat(33)}`;
const OTHER = `77aa001${'c'.repeat(33)}`;

const origin = (o: Partial<ServedOrigin> = {}): ServedOrigin => ({
  originId: 's3-origin',
  bucket: BUCKET,
  originPath: `/releases/${COMMIT}`,
  commit: COMMIT,
  folder: null,
  ...o,
});

describe('servedOrigins', () => {
  it('reads the full commit of a /releases/<commit> origin path and the bucket from the S3 domain', () => {
    expect(servedOrigins(distributionConfig({}, `/releases/${COMMIT}`))).toEqual([origin()]);
  });

  it('keeps another path and the root as they are, and leaves out origins that are not S3', () => {
    const config = distributionConfig({
      Origins: {
        Quantity: 4,
        Items: [
          { Id: 'old', DomainName: `${BUCKET}.s3.amazonaws.com`, OriginPath: '/v3' },
          { Id: 'root', DomainName: 'other.bucket.s3.dualstack.eu-west-1.amazonaws.com' },
          { Id: 'api', DomainName: 'api.example.com', OriginPath: `/releases/${COMMIT}` },
          { Id: 'near', DomainName: `${BUCKET}.s3.amazonaws.com`, OriginPath: '/releases/not-a-commit' },
        ],
      },
    });
    expect(servedOrigins(config)).toEqual([
      origin({ originId: 'old', originPath: '/v3', commit: null }),
      origin({ originId: 'root', bucket: 'other.bucket', originPath: '', commit: null }),
      origin({ originId: 'near', originPath: '/releases/not-a-commit', commit: null }),
    ]);
  });
});

describe('describeServed', () => {
  it('shows a release by its short commit and its folder, shortened', () => {
    expect(describeServed(origin())).toBe('release 3f2a9c1 (releases/3f2a9c1…/)');
    expect(describeServed(origin({ originPath: '/releases/3f2a9c1', commit: '3f2a9c1' }))).toBe(
      'release 3f2a9c1 (releases/3f2a9c1/)',
    );
  });

  it('shows another folder as hand-uploaded, and no origin path as the bucket root', () => {
    expect(describeServed(origin({ originPath: '/v3', commit: null }))).toBe('/v3 (hand-uploaded folder)');
    expect(describeServed(origin({ originPath: '', commit: null }))).toBe('the bucket root (no origin path)');
  });
});

describe('folderWarning', () => {
  it('says nothing of a complete folder', () => {
    expect(folderWarning(BUCKET, COMMIT, 'complete', [`primary ${PRIMARY_ID}`])).toBeUndefined();
  });

  it('names who serves an unfinished folder, its full key, and the upload that completes it', () => {
    expect(folderWarning(BUCKET, COMMIT, 'unfinished', [`primary ${PRIMARY_ID}`, `staging ${STAGING_ID}`])).toBe(
      `primary ${PRIMARY_ID} and staging ${STAGING_ID} serve release 3f2a9c1, but s3://${BUCKET}/releases/${COMMIT}/ ` +
        'has no .cfcd-release.json: an upload that did not finish (or is still running); ' +
        'viewers may miss files until the same cfcd upload completes it',
    );
  });

  it('says viewers get errors from a folder that is not there', () => {
    expect(folderWarning(BUCKET, COMMIT, 'missing', [`staging ${STAGING_ID}`])).toBe(
      `staging ${STAGING_ID} serves release 3f2a9c1, but s3://${BUCKET}/releases/${COMMIT}/ is empty: ` +
        'viewers get errors from that origin',
    );
  });
});

describe('withFolderStates', () => {
  it('sets the state on the releases of that bucket only', () => {
    const states = new Map([[COMMIT, 'complete' as const]]);
    const origins = [origin(), origin({ bucket: 'elsewhere' }), origin({ originPath: '/v3', commit: null })];
    expect(withFolderStates(origins, BUCKET, states).map((o) => o.folder)).toEqual(['complete', null, null]);
  });
});

describe('checkReleaseFolders', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  afterEach(() => s3.reset());

  const served = (primary: ServedOrigin[], staging: ServedOrigin[] = []) => [
    { by: `primary ${PRIMARY_ID}`, origins: primary },
    { by: `staging ${STAGING_ID}`, origins: staging },
  ];

  it('a manifest present is a complete folder: one HeadObject per release, no listing, no warning', async () => {
    s3.on(HeadObjectCommand).resolves({});
    const warnings: string[] = [];
    const states = await checkReleaseFolders(BUCKET, served([origin()], [origin()]), warnings);
    expect(states).toEqual(new Map([[COMMIT, 'complete']]));
    expect(warnings).toEqual([]);
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, {
      Bucket: BUCKET,
      Key: `releases/${COMMIT}/.cfcd-release.json`,
    });
    expect(s3).not.toHaveReceivedCommand(ListObjectsV2Command);
  });

  it('without a manifest, one key listed tells an unfinished folder from a missing one, each a warning', async () => {
    s3.on(HeadObjectCommand).rejects(awsError('NotFound', 404));
    s3.on(ListObjectsV2Command, { Prefix: `releases/${COMMIT}/` })
      .resolves({ Contents: [{ Key: `releases/${COMMIT}/index.html` }], KeyCount: 1 })
      .on(ListObjectsV2Command, { Prefix: `releases/${OTHER}/` })
      .resolves({ KeyCount: 0 });
    const warnings: string[] = [];
    const states = await checkReleaseFolders(
      BUCKET,
      served([origin()], [origin({ originPath: `/releases/${OTHER}`, commit: OTHER })]),
      warnings,
    );
    expect(states).toEqual(
      new Map([
        [COMMIT, 'unfinished'],
        [OTHER, 'missing'],
      ]),
    );
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: `releases/${COMMIT}/`,
      MaxKeys: 1,
    });
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^primary ${PRIMARY_ID} serves release 3f2a9c1, but .* has no`)),
      expect.stringMatching(new RegExp(`^staging ${STAGING_ID} serves release 77aa001, but .* is empty`)),
    ]);
  });

  it('checks nothing for other paths or another bucket', async () => {
    const warnings: string[] = [];
    const origins = [origin({ originPath: '/v3', commit: null }), origin({ bucket: 'elsewhere' })];
    expect(await checkReleaseFolders(BUCKET, served(origins), warnings)).toEqual(new Map());
    expect(s3.calls()).toHaveLength(0);
    expect(warnings).toEqual([]);
  });

  it('a folder it may not read is a warning naming the error and the permission, not a failure', async () => {
    s3.on(HeadObjectCommand).rejects(awsError('Forbidden', 403));
    const warnings: string[] = [];
    expect(await checkReleaseFolders(BUCKET, served([origin()]), warnings)).toEqual(new Map());
    expect(warnings).toEqual([
      `could not tell whether s3://${BUCKET}/releases/${COMMIT}/ is complete (Forbidden): ` +
        'that needs s3:GetObject on releases/* and s3:ListBucket',
    ]);
    expect(s3).not.toHaveReceivedCommand(ListObjectsV2Command);
  });

  it('another failure (a throttle) is said as it is, without suggesting permissions', async () => {
    s3.on(HeadObjectCommand).rejects(awsError('SlowDown', 503));
    const warnings: string[] = [];
    expect(await checkReleaseFolders(BUCKET, served([origin()]), warnings)).toEqual(new Map());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^could not tell whether s3://${BUCKET}/releases/${COMMIT}/ is complete: `));
    expect(warnings[0]).toContain('SlowDown');
    expect(warnings[0]).not.toContain('s3:GetObject');
  });
});
