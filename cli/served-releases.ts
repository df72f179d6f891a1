/**
 * Which release a distribution serves, for `cfcd status`: the paths of its S3 origins, `/releases/<commit>` read as
 * that commit's release (shared/release/manifest.ts), and, in the bucket status was given, whether the release's
 * folder is complete. A folder is complete once its manifest exists (the upload writes it last), so one HeadObject
 * tells; only when it is absent does a one-key listing tell an unfinished upload from a folder that is not there.
 */
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { awsCall, awsErrorOf } from '../shared/aws/call.js';
import { s3 } from '../shared/aws/clients/s3.js';
import { bucketOfS3Domain } from '../shared/domain/s3-domain.js';
import { MANIFEST_NAME, commitOfOriginPath, manifestKey, releaseFolder } from '../shared/release/manifest.js';

/** A release folder in the bucket: its manifest is there, objects without it (an upload not done), or nothing. */
export type FolderState = 'complete' | 'unfinished' | 'missing';

/** One S3 origin of a distribution and what it serves. */
export interface ServedOrigin {
  originId: string;
  /** The bucket, read from the origin's S3 domain. */
  bucket: string;
  /** As configured: `/releases/<commit>`, another folder (`/v3`), or `""` (the bucket's root). */
  originPath: string;
  /** The release's full commit id when the origin path is `/releases/<commit>`, else null. */
  commit: string | null;
  /** The release folder's state; null when not a release or not checked (no `--bucket`, another bucket, a failure). */
  folder: FolderState | null;
}

/** The S3 origins of a config and the release each serves (folders not checked yet). Pure. */
export function servedOrigins(config: DistributionConfig): ServedOrigin[] {
  const served: ServedOrigin[] = [];
  for (const o of config.Origins?.Items ?? []) {
    const bucket = bucketOfS3Domain(o.DomainName);
    if (!bucket) continue;
    const originPath = o.OriginPath ?? '';
    served.push({
      originId: o.Id ?? '',
      bucket,
      originPath,
      commit: commitOfOriginPath(originPath) ?? null,
      folder: null,
    });
  }
  return served;
}

/** Sets `folder` on each origin that serves one of `states`' commits from `bucket`. Pure. */
export function withFolderStates(
  origins: readonly ServedOrigin[],
  bucket: string,
  states: ReadonlyMap<string, FolderState>,
): ServedOrigin[] {
  return origins.map((o) =>
    o.commit !== null && o.bucket === bucket ? { ...o, folder: states.get(o.commit) ?? null } : o,
  );
}

/** The commit as the text shows it: 7 digits. */
const shortCommit = (commit: string): string => commit.slice(0, 7);

/** Where a commit's release lives, shortened for the text: `releases/3f2a9c1…/`. */
function shortFolder(commit: string): string {
  return commit.length > 7 ? `releases/${shortCommit(commit)}…/` : releaseFolder(commit);
}

/** What an origin serves, in words: `release 3f2a9c1 (releases/3f2a9c1…/)`, `/v3 (hand-uploaded folder)`. Pure. */
export function describeServed(o: ServedOrigin): string {
  if (o.commit !== null) return `release ${shortCommit(o.commit)} (${shortFolder(o.commit)})`;
  return o.originPath === '' ? 'the bucket root (no origin path)' : `${o.originPath} (hand-uploaded folder)`;
}

/** The warning for a release folder that is not complete; `by` names who serves it (`primary E1…`). Pure. */
export function folderWarning(bucket: string, commit: string, state: FolderState, by: string[]): string | undefined {
  const where = `s3://${bucket}/${releaseFolder(commit)}`;
  const who = `${by.join(' and ')} ${by.length > 1 ? 'serve' : 'serves'} release ${shortCommit(commit)}`;
  if (state === 'unfinished')
    return (
      `${who}, but ${where} has no ${MANIFEST_NAME}: an upload that did not finish (or is still running); ` +
      'viewers may miss files until the same cfcd upload completes it'
    );
  if (state === 'missing') return `${who}, but ${where} is empty: viewers get errors from that origin`;
  return undefined;
}

/** Whether a release folder is complete: HeadObject of its manifest, and without it one listing of one key. */
export async function readFolderState(bucket: string, commit: string): Promise<FolderState> {
  const key = manifestKey(commit);
  try {
    await awsCall('HeadObject', `s3://${bucket}/${key}`, () =>
      s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    );
    return 'complete';
  } catch (err) {
    // A HEAD answer has no body: S3 names a missing key NotFound (404). Without s3:ListBucket it answers 403 instead.
    const { name, httpStatus } = awsErrorOf(err);
    if (name !== 'NotFound' && name !== 'NoSuchKey' && httpStatus !== 404) throw err;
  }
  const folder = releaseFolder(commit);
  const page = await awsCall('ListObjectsV2', `s3://${bucket}/${folder}`, () =>
    s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, MaxKeys: 1 })),
  );
  return (page.Contents?.length ?? 0) > 0 ? 'unfinished' : 'missing';
}

/**
 * Why a release folder's state is not known. Only a refusal (AccessDenied, 403) is a missing permission, and only
 * then are the permissions suggested; anything else (a throttle, a network failure) is said as it is. Pure.
 */
export function folderReadWarning(bucket: string, commit: string, err: unknown): string {
  const where = `s3://${bucket}/${releaseFolder(commit)}`;
  const { name, httpStatus } = awsErrorOf(err);
  if (name === 'AccessDenied' || httpStatus === 403)
    return (
      `could not tell whether ${where} is complete (${name}): ` +
      'that needs s3:GetObject on releases/* and s3:ListBucket'
    );
  const text = err instanceof Error ? err.message : String(err);
  return `could not tell whether ${where} is complete: ${text}`;
}

/** What each distribution serves, named for the warnings (`primary E1…`). */
export interface ServedBy {
  by: string;
  origins: readonly ServedOrigin[];
}

/**
 * The state of each release folder `served` reads from `bucket`, each read once and side by side. A folder that is
 * not complete, or cannot be read (no s3:GetObject), becomes a warning; one that cannot be read is left out.
 */
export async function checkReleaseFolders(
  bucket: string,
  served: readonly ServedBy[],
  warnings: string[],
): Promise<Map<string, FolderState>> {
  const servers = new Map<string, string[]>();
  for (const { by, origins } of served)
    for (const o of origins)
      if (o.commit !== null && o.bucket === bucket) {
        const names = servers.get(o.commit) ?? [];
        if (!names.includes(by)) names.push(by);
        servers.set(o.commit, names);
      }
  const read = await Promise.all(
    [...servers].map(([commit, by]) =>
      readFolderState(bucket, commit).then(
        (state) => ({ commit, by, state }),
        (err: unknown) => ({ commit, by, error: err }),
      ),
    ),
  );
  // Warnings in the order the folders were met (primary first), whichever read answered first.
  const states = new Map<string, FolderState>();
  for (const r of read) {
    if ('error' in r) {
      warnings.push(folderReadWarning(bucket, r.commit, r.error));
      continue;
    }
    states.set(r.commit, r.state);
    const warning = folderWarning(bucket, r.commit, r.state, r.by);
    if (warning) warnings.push(warning);
  }
  return states;
}
