import { describe, expect, it } from 'vitest';
import { IMMUTABLE, NO_CACHE, SHORT } from '../../../../shared/release/content.js';
import { parseManifest, serializeManifest } from '../../../../shared/release/manifest.js';
import {
  type LocalFile,
  type UploadInput,
  cacheControlCounts,
  planUpload,
} from '../../../../shared/release/upload-plan.js';

const COMMIT = '3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b';
const FOLDER = `releases/${COMMIT}/`;
const NOW = '2026-12-07T12:00:00.000Z';
const file = (path: string, hashChar = 'a', bytes = 10): LocalFile => ({
  path,
  sha256: hashChar.repeat(64),
  md5: hashChar.repeat(32),
  bytes,
});
const SITE = [file('index.html'), file('assets/app.3f2a9c1d.js', 'b'), file('favicon.ico', 'c')];

const input = (over: Partial<UploadInput> = {}): UploadInput => ({
  commit: COMMIT,
  site: 'dist/site',
  files: SITE,
  folder: { objects: [] },
  now: NOW,
  ...over,
});

/** An object of an unfinished upload at `path`, its ETag the quoted MD5 of `file(path, hashChar)`'s bytes. */
const there = (path: string, hashChar: string) => ({ key: `${FOLDER}${path}`, etag: `"${hashChar.repeat(32)}"` });

/** The manifest a complete upload of `files` left. */
function uploaded(files: LocalFile[]): string {
  const plan = planUpload(input({ files }));
  if (plan.kind !== 'upload') throw new Error('expected an upload');
  return plan.manifestText;
}

describe('planning an upload', () => {
  it('puts every file under releases/<commit>/ with its headers, and the manifest last, listing them', () => {
    const plan = planUpload(input());
    expect(plan.kind).toBe('upload');
    if (plan.kind !== 'upload') return;
    expect(plan.completing).toBe(false);
    expect(plan.puts.map((p) => [p.key, p.contentType, p.cacheControl])).toEqual([
      [`${FOLDER}assets/app.3f2a9c1d.js`, 'text/javascript; charset=utf-8', IMMUTABLE],
      [`${FOLDER}favicon.ico`, 'image/x-icon', SHORT],
      [`${FOLDER}index.html`, 'text/html; charset=utf-8', NO_CACHE],
    ]);
    expect(plan.manifestKey).toBe(`${FOLDER}.cfcd-release.json`);
    const manifest = parseManifest(plan.manifestText);
    expect(manifest).toMatchObject({ v: 1, commit: COMMIT, createdAt: NOW });
    expect(manifest.files.map((f) => f.path)).toEqual(['assets/app.3f2a9c1d.js', 'favicon.ico', 'index.html']);
    expect(cacheControlCounts(plan.puts)).toEqual({ [IMMUTABLE]: 1, [SHORT]: 1, [NO_CACHE]: 1 });
  });

  it("applies the operator's rules before the defaults", () => {
    const plan = planUpload(input({ rules: [{ match: '*.ico', cacheControl: 'public, max-age=86400' }] }));
    if (plan.kind !== 'upload') throw new Error('expected an upload');
    expect(plan.puts.find((p) => p.path === 'favicon.ico')?.cacheControl).toBe('public, max-age=86400');
  });

  it('reuses a complete folder with the same files and hashes: nothing to write', () => {
    const manifestText = uploaded(SITE);
    const objects = [...SITE.map((f) => `${FOLDER}${f.path}`), `${FOLDER}.cfcd-release.json`].map((key) => ({ key }));
    const plan = planUpload(input({ files: [...SITE].reverse(), folder: { manifestText, objects } }));
    expect(plan.kind).toBe('reuse');
  });

  it('refuses a complete folder whose manifest lists other content', () => {
    const manifestText = uploaded(SITE);
    const changed = [file('index.html', 'd'), ...SITE.slice(1)];
    expect(() => planUpload(input({ files: changed, folder: { manifestText, objects: [] } }))).toThrow(
      expect.objectContaining({ kind: 'refused', message: expect.stringMatching(/complete release with other files/) }),
    );
    const fewer = SITE.slice(0, 2);
    expect(() => planUpload(input({ files: fewer, folder: { manifestText, objects: [] } }))).toThrow(
      /refused|complete/,
    );
  });

  it('refuses a manifest of another commit or one that is not a manifest', () => {
    const other = serializeManifest({ ...parseManifest(uploaded(SITE)), commit: 'abcdef1' });
    expect(() => planUpload(input({ folder: { manifestText: other, objects: [] } }))).toThrow(
      expect.objectContaining({ kind: 'refused' }),
    );
    expect(() => planUpload(input({ folder: { manifestText: '{}', objects: [] } }))).toThrow(
      expect.objectContaining({ kind: 'refused', message: expect.stringMatching(/not a release manifest/) }),
    );
  });

  it('completes an unfinished upload of the same commit (no manifest): puts only the keys it lacks', () => {
    const plan = planUpload(input({ folder: { objects: [there('index.html', 'a')] } }));
    expect(plan).toMatchObject({ kind: 'upload', completing: true, kept: 1 });
    if (plan.kind !== 'upload') return;
    expect(plan.puts.map((p) => p.key)).toEqual([`${FOLDER}assets/app.3f2a9c1d.js`, `${FOLDER}favicon.ico`]);
    // The manifest lists the release's every file, the kept one included, with the headers of this upload.
    expect(parseManifest(plan.manifestText).files.map((f) => [f.path, f.cacheControl])).toEqual([
      ['assets/app.3f2a9c1d.js', IMMUTABLE],
      ['favicon.ico', SHORT],
      ['index.html', NO_CACHE],
    ]);
  });

  it('writes only the manifest when every file of an unfinished upload is there with the same bytes', () => {
    const objects = [there('index.html', 'a'), there('assets/app.3f2a9c1d.js', 'b'), there('favicon.ico', 'c')];
    const plan = planUpload(input({ folder: { objects } }));
    expect(plan).toMatchObject({ kind: 'upload', completing: true, kept: 3, puts: [] });
    if (plan.kind === 'upload') expect(parseManifest(plan.manifestText).files).toHaveLength(3);
  });

  it('refuses an unfinished upload whose key holds other bytes (ETag not the MD5), naming it: never overwritten', () => {
    const objects = [there('index.html', 'a'), there('favicon.ico', 'e')];
    expect(() => planUpload(input({ folder: { objects } }))).toThrow(
      expect.objectContaining({
        kind: 'refused',
        message: expect.stringMatching(
          new RegExp(`other content than this site's files \\(${FOLDER}favicon\\.ico\\).*Remove the folder`),
        ),
      }),
    );
    // An ETag that is no MD5 (a multipart upload's, or none listed) cannot prove the same bytes: refused too.
    const multipart = { key: `${FOLDER}index.html`, etag: `"${'a'.repeat(32)}-2"` };
    expect(() => planUpload(input({ folder: { objects: [multipart] } }))).toThrow(
      expect.objectContaining({ kind: 'refused', message: expect.stringContaining(`${FOLDER}index.html`) }),
    );
    expect(() => planUpload(input({ folder: { objects: [{ key: `${FOLDER}index.html` }] } }))).toThrow(
      expect.objectContaining({ kind: 'refused' }),
    );
  });

  it('refuses an unfinished upload holding keys the site does not have, naming them', () => {
    const objects = [there('index.html', 'a'), there('old.js', 'f')];
    expect(() => planUpload(input({ folder: { objects } }))).toThrow(
      expect.objectContaining({ kind: 'refused', message: expect.stringContaining(`${FOLDER}old.js`) }),
    );
  });

  it('refuses an empty site and a site without index.html, naming the folder', () => {
    expect(() => planUpload(input({ files: [] }))).toThrow(
      expect.objectContaining({ kind: 'input', message: 'upload: dist/site has no files to upload (an empty site)' }),
    );
    expect(() => planUpload(input({ files: [file('docs/index.html'), file('app.css')] }))).toThrow(
      expect.objectContaining({
        kind: 'input',
        message: expect.stringMatching(/^upload: dist\/site has no index\.html/),
      }),
    );
  });
});
