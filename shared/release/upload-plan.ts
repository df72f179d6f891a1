/**
 * What `cfcd upload` does with a release folder, from the local files and what the bucket holds under the folder.
 * A folder with its manifest is complete (and may already be routed), so it is never written again: the same files
 * are a re-run (`reuse`), other files are refused. A folder without a manifest is an upload of the same commit that
 * did not finish: it was never complete, so nothing ever routed to it, and it is completed by writing the files it
 * lacks and the manifest last. Every put is create-only (`If-None-Match: *`, which the upload role's IAM policy
 * requires), so a key already there is never overwritten: it is kept when its ETag is the local file's MD5 (the same
 * bytes), and the folder is refused when its content differs, or when it holds a key the release does not have (it
 * would be served with the release unlisted). Pure.
 */
import { InputError, StateCheckError } from '../domain/errors.js';
import { type CacheRule, cacheControlOf, contentTypeOf } from './content.js';
import {
  MANIFEST_NAME,
  type ManifestFile,
  type ReleaseManifest,
  manifestKey,
  parseManifest,
  releaseFolder,
  serializeManifest,
} from './manifest.js';

/** A file of the local site. */
export interface LocalFile {
  /** Path inside the site folder, with `/` separators, no leading `/`. */
  path: string;
  sha256: string;
  /** MD5 hex of the bytes: what S3 answers as the ETag of an object written by one PutObject. */
  md5: string;
  bytes: number;
}

/** An object under the release folder, as ListObjectsV2 lists it. */
export interface FolderObject {
  /** The full key, `releases/<commit>/…`. */
  key: string;
  /** The ETag as S3 lists it, quotes included; absent when the listing had none. */
  etag?: string;
}

/** What the bucket holds under the release folder. */
export interface FolderState {
  /** The manifest's text, when it exists. */
  manifestText?: string;
  /** Every object under the folder. */
  objects: readonly FolderObject[];
}

export interface UploadInput {
  commit: string;
  /** The site folder as the operator named it, for the errors. */
  site: string;
  files: readonly LocalFile[];
  folder: FolderState;
  rules?: readonly CacheRule[];
  /** The ISO time written in a new manifest. */
  now: string;
}

/** One object to write: the file at `path` under `key`, with its headers. */
export interface Put extends ManifestFile {
  key: string;
}

export type UploadPlan =
  /** The folder is complete with exactly these files: nothing to write. */
  | { kind: 'reuse'; folder: string; manifest: ReleaseManifest }
  /**
   * Write `puts` (in any order, side by side, each create-only), then the manifest at `manifestKey`, last.
   * `completing` when keys of an unfinished upload of the same commit are there: `kept` of them hold the same bytes
   * as the site's files and are not written again; the manifest lists every file, kept ones included.
   */
  | {
      kind: 'upload';
      folder: string;
      puts: Put[];
      kept: number;
      manifestKey: string;
      manifestText: string;
      manifest: ReleaseManifest;
      completing: boolean;
    };

/** The file a site must have: CloudFront's default root object, and what a viewer gets at `/`. */
export const ROOT_OBJECT = 'index.html';

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Same paths with the same bytes: the headers were fixed by the first upload and are not compared. */
function sameFiles(manifest: ReleaseManifest, files: readonly LocalFile[]): boolean {
  if (manifest.files.length !== files.length) return false;
  const local = new Map(files.map((f) => [f.path, f]));
  return manifest.files.every((m) => {
    const f = local.get(m.path);
    return f !== undefined && f.sha256 === m.sha256 && f.bytes === m.bytes;
  });
}

const listed = (items: readonly string[]) =>
  items.slice(0, 3).join(', ') + (items.length > 3 ? ` and ${items.length - 3} more` : '');

/** Refuses a site that cannot be a release: no files, or no index.html at its root. `site` names its folder. */
export function checkSite(files: readonly LocalFile[], site: string): void {
  const siteError = (problem: string) => new InputError('event', problem, { function: 'upload', noun: 'site' });
  if (files.length === 0) throw siteError(`${site} has no files to upload (an empty site)`);
  if (!files.some((f) => f.path === ROOT_OBJECT))
    throw siteError(`${site} has no ${ROOT_OBJECT} at its root, the page viewers get at "/"`);
}

/** Decides the upload; throws an InputError for a site that cannot be a release, a StateCheckError for a refusal. */
export function planUpload(input: UploadInput): UploadPlan {
  const { commit, files, folder: state, rules = [] } = input;
  const folder = releaseFolder(commit);
  checkSite(files, input.site);

  if (state.manifestText !== undefined) {
    let manifest: ReleaseManifest;
    try {
      manifest = parseManifest(state.manifestText);
    } catch (err) {
      throw new StateCheckError(
        `${manifestKey(commit)} exists but is not a release manifest (${(err as Error).message}); ` +
          "the folder is not cfcd's to write: upload under another commit, or remove the folder",
      );
    }
    if (manifest.commit === commit && sameFiles(manifest, files)) return { kind: 'reuse', folder, manifest };
    throw new StateCheckError(
      `${folder} is already a complete release with other files (its manifest lists ${manifest.files.length}, ` +
        `the site has ${files.length}); a release folder is never rewritten, since it may be routed: ` +
        'build the change as a new commit',
    );
  }

  const remove = `Remove the folder (aws s3 rm --recursive s3://<bucket>/${folder}) and upload again`;
  const local = new Map(files.map((f) => [`${folder}${f.path}`, f]));
  const foreign = state.objects.filter((o) => !local.has(o.key)).map((o) => o.key);
  if (foreign.length > 0)
    throw new StateCheckError(
      `${folder} holds an unfinished upload (no ${MANIFEST_NAME}) with keys this site does not have ` +
        `(${listed(foreign)}); they would be served with the release unlisted. ${remove}`,
    );
  const there = new Map(state.objects.map((o) => [o.key, o.etag]));
  const changed = [...there]
    .filter(([key, etag]) => etag !== `"${(local.get(key) as LocalFile).md5}"`)
    .map(([key]) => key)
    .sort();
  if (changed.length > 0)
    throw new StateCheckError(
      `${folder} holds an unfinished upload (no ${MANIFEST_NAME}) whose keys have other content than this site's ` +
        `files (${listed(changed)}); a release folder's keys are create-only, never overwritten. ${remove}`,
    );

  const listing: ManifestFile[] = [...files].sort(byPath).map((f) => ({
    path: f.path,
    sha256: f.sha256,
    bytes: f.bytes,
    contentType: contentTypeOf(f.path),
    cacheControl: cacheControlOf(f.path, rules),
  }));
  const puts: Put[] = listing.map((f) => ({ key: `${folder}${f.path}`, ...f })).filter((p) => !there.has(p.key));
  const manifest: ReleaseManifest = { v: 1, commit, createdAt: input.now, files: listing };
  return {
    kind: 'upload',
    folder,
    puts,
    kept: listing.length - puts.length,
    manifestKey: manifestKey(commit),
    manifestText: serializeManifest(manifest),
    manifest,
    completing: state.objects.length > 0,
  };
}

/** How many files each Cache-Control value covers, for the plan's summary. */
export function cacheControlCounts(files: readonly { cacheControl: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of files) counts[f.cacheControl] = (counts[f.cacheControl] ?? 0) + 1;
  return counts;
}
