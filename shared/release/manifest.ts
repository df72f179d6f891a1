/**
 * A release folder and its manifest: the contract between the upload (which writes `releases/<commit>/…` and, last,
 * the manifest) and the prune (which reads the manifests to know which releases are newest). A folder whose manifest
 * exists is complete and never written again; one without a manifest is an upload that did not finish. Pure.
 */
import { InputError } from '../domain/errors.js';

/** Where every release folder lives in the bucket. */
export const RELEASES_PREFIX = 'releases/';
/** The manifest's name inside a release folder; written last, so its presence means the folder is complete. */
export const MANIFEST_NAME = '.cfcd-release.json';

/** A commit id as git writes it: 40 hex digits (SHA-1) or 64 (SHA-256); abbreviated ids (7 or more) are accepted. */
const COMMIT = /^[0-9a-f]{7,64}$/;

/** One file of a release, as uploaded. */
export interface ManifestFile {
  /** Path inside the release folder, with `/` separators, no leading `/`. */
  path: string;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
  bytes: number;
  contentType: string;
  cacheControl: string;
}

/** What a complete release folder holds, written last by the upload. */
export interface ReleaseManifest {
  v: 1;
  commit: string;
  /** ISO time the upload completed. */
  createdAt: string;
  files: ManifestFile[];
}

/** Checks a commit id (lower-case hex, 7 to 64 digits); `field` names where it came from in the error. */
export function commitId(value: string, field: string): string {
  if (!COMMIT.test(value)) {
    throw new InputError(
      field,
      `must be a commit id (7 to 64 lower-case hex digits), got ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return value;
}

/** The folder a commit's release lives in, e.g. `releases/3f2a…/` (with the trailing slash). */
export function releaseFolder(commit: string): string {
  return `${RELEASES_PREFIX}${commit}/`;
}

/** The origin path that serves a commit's release: `/releases/<commit>`. */
export function releaseOriginPath(commit: string): string {
  return `/${RELEASES_PREFIX}${commit}`;
}

/** The manifest's key for a commit's release. */
export function manifestKey(commit: string): string {
  return `${releaseFolder(commit)}${MANIFEST_NAME}`;
}

/** The commit an origin path serves, or undefined when it is not a release folder (`/v3`, `""`). */
export function commitOfOriginPath(originPath: string | undefined): string | undefined {
  const m = /^\/releases\/([0-9a-f]{7,64})\/?$/.exec(originPath ?? '');
  return m?.[1];
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** Reads a manifest's text; throws a plain Error naming what is wrong (the caller says which object it was). */
export function parseManifest(text: string): ReleaseManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const m = raw as Partial<ReleaseManifest> | null;
  if (m?.v !== 1) throw new Error('not a version 1 release manifest');
  if (!isString(m.commit) || !COMMIT.test(m.commit)) throw new Error('commit is not a commit id');
  if (!isString(m.createdAt) || Number.isNaN(Date.parse(m.createdAt))) throw new Error('createdAt is not a time');
  if (!Array.isArray(m.files)) throw new Error('files is not a list');
  m.files.forEach((f: Partial<ManifestFile>, i) => {
    const ok =
      isString(f?.path) &&
      f.path !== '' &&
      !f.path.startsWith('/') &&
      isString(f.sha256) &&
      /^[0-9a-f]{64}$/.test(f.sha256) &&
      Number.isInteger(f.bytes) &&
      (f.bytes as number) >= 0 &&
      isString(f.contentType) &&
      isString(f.cacheControl);
    if (!ok) throw new Error(`files[${i}] is not {path, sha256, bytes, contentType, cacheControl}`);
  });
  return m as ReleaseManifest;
}

/** A manifest's text: stable key order, files sorted by path, so that the same release always reads the same. */
export function serializeManifest(m: ReleaseManifest): string {
  const files = [...m.files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(({ path, sha256, bytes, contentType, cacheControl }) => ({ path, sha256, bytes, contentType, cacheControl }));
  return `${JSON.stringify({ v: 1, commit: m.commit, createdAt: m.createdAt, files }, null, 2)}\n`;
}
