/**
 * The prune's shell: list the release folders (ListObjectsV2), read their manifests (GetObject), read what the live
 * distributions serve, plan (../release/prune-plan.ts), and delete (DeleteObjects, ≤1000 keys a call). What is in
 * use is read again immediately before each folder is deleted, and the folder planned again with it: a folder a
 * promotion or enable-cd started serving since the first plan is kept, not deleted.
 */
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CfcdError } from '../domain/errors.js';
import { MANIFEST_NAME, RELEASES_PREFIX, parseManifest } from '../release/manifest.js';
import {
  type FoundFolder,
  type PlannedFolder,
  type PrunePlan,
  type ServedPath,
  planPrune,
} from '../release/prune-plan.js';
import { awsCall } from './call.js';
import { s3 } from './clients/s3.js';

/** DeleteObjects takes at most this many keys a call. */
const DELETE_BATCH = 1000;

/** Some keys of a folder could not be deleted: DeleteObjects answered per-key errors. */
export class ReleaseDeleteError extends CfcdError {
  override readonly name = 'ReleaseDeleteError';
  readonly kind = 'failed';
}

interface Listed {
  objects: { key: string; lastModified: Date | undefined }[];
}

/** Every key under `prefix`, all pages. */
async function listAll(bucket: string, prefix: string): Promise<Listed> {
  const listed: Listed = { objects: [] };
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const out = await awsCall('ListObjectsV2', `s3://${bucket}/${prefix} (page ${page})`, () =>
      s3().send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      ),
    );
    for (const o of out.Contents ?? []) if (o.Key) listed.objects.push({ key: o.Key, lastModified: o.LastModified });
    if (!out.IsTruncated || !out.NextContinuationToken) return listed;
    token = out.NextContinuationToken;
  }
}

async function readManifest(bucket: string, key: string): Promise<FoundFolder['manifest']> {
  const out = await awsCall('GetObject', `s3://${bucket}/${key}`, () =>
    s3().send(new GetObjectCommand({ Bucket: bucket, Key: key })),
  );
  const text = (await out.Body?.transformToString('utf8')) ?? '';
  try {
    return { createdAt: parseManifest(text).createdAt };
  } catch (err) {
    return { invalid: err instanceof Error ? err.message : String(err) };
  }
}

/** Manifests read side by side, at most this many at once. */
const MANIFEST_READS = 8;

/**
 * The folders under `releases/`, each with its keys, its newest object's time and its manifest: one listing of the
 * whole prefix (paged), then the manifests read side by side — two rounds however many releases the bucket holds.
 */
export async function listReleaseFolders(bucket: string): Promise<FoundFolder[]> {
  const { objects } = await listAll(bucket, RELEASES_PREFIX);
  const byFolder = new Map<string, { key: string; lastModified: Date | undefined }[]>();
  for (const o of objects) {
    const rest = o.key.slice(RELEASES_PREFIX.length);
    const slash = rest.indexOf('/');
    // A key straight under releases/ is no release folder's.
    if (slash <= 0) continue;
    const name = rest.slice(0, slash);
    byFolder.set(name, [...(byFolder.get(name) ?? []), o]);
  }
  const names = [...byFolder.keys()].sort();
  const folders: FoundFolder[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const name = names[i] as string;
      const keys = byFolder.get(name) ?? [];
      const times = keys.map((o) => o.lastModified?.getTime()).filter((t): t is number => t !== undefined);
      const manifestKey = `${RELEASES_PREFIX}${name}/${MANIFEST_NAME}`;
      folders[i] = {
        name,
        manifest: keys.some((o) => o.key === manifestKey) ? await readManifest(bucket, manifestKey) : 'missing',
        newestObjectAt: times.length ? new Date(Math.max(...times)).toISOString() : undefined,
        keys: keys.map((o) => o.key),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(MANIFEST_READS, names.length) }, worker));
  return folders;
}

/** Deletes `keys` in calls of at most 1000, failing with the keys S3 refused. */
export async function deleteKeys(bucket: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const batch = keys.slice(i, i + DELETE_BATCH);
    const out = await awsCall('DeleteObjects', `s3://${bucket} (${batch.length} keys)`, () =>
      s3().send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      ),
    );
    const errors = out.Errors ?? [];
    if (errors.length) {
      const shown = errors
        .slice(0, 3)
        .map((e) => `${e.Key}: ${e.Code}`)
        .join('; ');
      throw new ReleaseDeleteError(
        `DeleteObjects on s3://${bucket} could not delete ${errors.length} of ${batch.length} keys (${shown})`,
      );
    }
  }
}

export interface PruneOptions {
  bucket: string;
  keep: number;
  protect: string[];
  /** The origin paths the primary and the staging serve, read live each time it is called. */
  readServed(): Promise<ServedPath[]>;
  dryRun: boolean;
  /** Called with the first plan before any deletion; a rejection (the person said no) stops with nothing deleted. */
  confirm?(plan: PrunePlan): Promise<void>;
  /** Called before the distributions are read again for one folder's deletion (tests race a promotion here). */
  beforeDelete?(folder: PlannedFolder): Promise<void>;
  now?(): number;
}

export interface PruneResult {
  plan: PrunePlan;
  deleted: PlannedFolder[];
  /** Planned for deletion, kept at deletion time: in use (or protected) by then. */
  spared: PlannedFolder[];
}

/** Lists, plans, confirms, then deletes folder by folder, each after re-reading what is in use and re-planning. */
export async function pruneReleases(o: PruneOptions): Promise<PruneResult> {
  const now = o.now ?? Date.now;
  const folders = await listReleaseFolders(o.bucket);
  const planWith = (served: ServedPath[]) =>
    planPrune({ folders, served, keep: o.keep, protect: o.protect, now: now() });
  const plan = planWith(await o.readServed());
  const result: PruneResult = { plan, deleted: [], spared: [] };
  if (o.dryRun || plan.delete.length === 0) return result;
  await o.confirm?.(plan);
  for (const folder of plan.delete) {
    await o.beforeDelete?.(folder);
    const again = planWith(await o.readServed());
    const still = again.delete.find((f) => f.name === folder.name);
    if (!still) {
      const kept = again.keep.find((f) => f.name === folder.name);
      result.spared.push({ ...folder, reason: kept?.reason ?? 'no longer planned for deletion' });
      continue;
    }
    await deleteKeys(o.bucket, still.keys);
    result.deleted.push(still);
  }
  return result;
}
