import { describe, expect, it } from 'vitest';
import {
  commitId,
  commitOfOriginPath,
  manifestKey,
  parseManifest,
  releaseOriginPath,
  serializeManifest,
  type ReleaseManifest,
} from '../../../../shared/release/manifest.js';

const COMMIT = '3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b';
const manifest: ReleaseManifest = {
  v: 1,
  commit: COMMIT,
  createdAt: '2026-12-07T12:00:00.000Z',
  files: [
    { path: 'index.html', sha256: 'a'.repeat(64), bytes: 10, contentType: 'text/html', cacheControl: 'no-cache' },
    { path: 'app.css', sha256: 'b'.repeat(64), bytes: 5, contentType: 'text/css', cacheControl: 'max-age=300' },
  ],
};

describe('release folders', () => {
  it('name a commit: folder, origin path and manifest key, and read the commit back from an origin path', () => {
    expect(releaseOriginPath(COMMIT)).toBe(`/releases/${COMMIT}`);
    expect(manifestKey(COMMIT)).toBe(`releases/${COMMIT}/.cfcd-release.json`);
    expect(commitOfOriginPath(releaseOriginPath(COMMIT))).toBe(COMMIT);
    expect(commitOfOriginPath('/v3')).toBeUndefined();
    expect(commitOfOriginPath(undefined)).toBeUndefined();
  });

  it('take commit ids only: lower-case hex, 7 to 64 digits, naming the field otherwise', () => {
    expect(commitId('abc1234', 'CommitId')).toBe('abc1234');
    expect(() => commitId('ABC1234', 'CommitId')).toThrow(/CommitId/);
    expect(() => commitId('abc12', 'CommitId')).toThrow(/7 to 64/);
    expect(() => commitId('../etc', 'CommitId')).toThrow(/commit id/);
  });
});

describe('the manifest', () => {
  it('reads back what it wrote, files in path order whatever the order given', () => {
    const text = serializeManifest(manifest);
    const read = parseManifest(text);
    expect(read.files.map((f) => f.path)).toEqual(['app.css', 'index.html']);
    expect(serializeManifest(read)).toBe(text);
  });

  it.each([
    ['not JSON', 'nope', /not JSON/],
    ['another version', JSON.stringify({ ...manifest, v: 2 }), /version 1/],
    ['a bad commit', JSON.stringify({ ...manifest, commit: 'xyz' }), /commit/],
    ['a bad time', JSON.stringify({ ...manifest, createdAt: 'soon' }), /createdAt/],
    ['a bad file', JSON.stringify({ ...manifest, files: [{ path: '/abs', sha256: 'x' }] }), /files\[0\]/],
  ])('refuses %s, saying what is wrong', (_, text, problem) => {
    expect(() => parseManifest(text)).toThrow(problem);
  });
});
