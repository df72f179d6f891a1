/**
 * What `cfcd upload` does with a release folder, from the local files and what the bucket holds under the folder.
 * A folder with its manifest is complete (and may already be routed), so it is never written again: the same files
 * are a re-run (`reuse`), other files are refused. A folder without a manifest is an upload of the same commit that
 * did not finish: it was never complete, so nothing ever routed to it, and it is completed by writing every file again
 * and the manifest last — unless it holds a key the release does not have, which would be served with it unlisted.
 * Pure.
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
  bytes: number;
}

/** What the bucket holds under the release folder. */
export interface FolderState {
  /** The manifest's text, when it exists. */
  manifestText?: string;
  /** Every key under the folder (full keys, `releases/<commit>/…`). */
  keys: readonly string[];
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
   * Write `puts` (in any order, side by side), then the manifest at `manifestKey`, last. `completing` when keys of an
   * unfinished upload of the same commit are there (they are overwritten).
   */
  | {
      kind: 'upload';
      folder: string;
      puts: Put[];
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

  const local = new Set(files.map((f) => `${folder}${f.path}`));
  const foreign = state.keys.filter((k) => !local.has(k));
  if (foreign.length > 0)
    throw new StateCheckError(
      `${folder} holds an unfinished upload (no ${MANIFEST_NAME}) with keys this site does not have ` +
        `(${listed(foreign)}); they would be served with the release unlisted. Remove the folder ` +
        `(aws s3 rm --recursive s3://<bucket>/${folder}) and upload again`,
    );

  const puts: Put[] = [...files].sort(byPath).map((f) => ({
    key: `${folder}${f.path}`,
    path: f.path,
    sha256: f.sha256,
    bytes: f.bytes,
    contentType: contentTypeOf(f.path),
    cacheControl: cacheControlOf(f.path, rules),
  }));
  const manifest: ReleaseManifest = {
    v: 1,
    commit,
    createdAt: input.now,
    files: puts.map(({ path, sha256, bytes, contentType, cacheControl }) => ({
      path,
      sha256,
      bytes,
      contentType,
      cacheControl,
    })),
  };
  return {
    kind: 'upload',
    folder,
    puts,
    manifestKey: manifestKey(commit),
    manifestText: serializeManifest(manifest),
    manifest,
    completing: state.keys.length > 0,
  };
}

/** How many files each Cache-Control value covers, for the plan's summary. */
export function cacheControlCounts(files: readonly { cacheControl: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of files) counts[f.cacheControl] = (counts[f.cacheControl] ?? 0) + 1;
  return counts;
}
