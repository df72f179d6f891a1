import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../local/emulator/index.js';
import { type LocalClients, localClients } from '../../local/pipeline/aws.js';
import { parseManifest } from '../../shared/release/manifest.js';
import { runCfcd } from './cfcd-process.js';

const BUCKET = 'site-releases';
const COMMIT = '3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b';
const FOLDER = `releases/${COMMIT}/`;

let emulator: Emulator;
let clients: LocalClients;
let site: string;

beforeEach(async () => {
  emulator = await startEmulator({ seed: 24 });
  clients = localClients(emulator.url);
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  site = await mkdtemp(join(tmpdir(), 'cfcd-upload-'));
  await writeSite(site, {
    'index.html': '<!doctype html><script src="/assets/app.3f2a9c1d.js"></script>',
    'assets/app.3f2a9c1d.js': 'console.log(1)',
    'favicon.ico': 'ico',
    '.well-known/security.txt': 'Contact: mailto:security@example.com',
    '.git/HEAD': 'ref: refs/heads/main',
  });
  emulator.clearRequestLog();
});
afterEach(async () => {
  await emulator.close();
  await rm(site, { recursive: true, force: true });
});

async function writeSite(root: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

function upload(...extra: string[]) {
  return runCfcd(['upload', '--bucket', BUCKET, '--commit', COMMIT, '--from', site, ...extra], { env: emulator.env });
}

const MANIFEST = `${FOLDER}.cfcd-release.json`;

const writes = () => emulator.requestLog().filter((r) => r.operation === 'PutObject' || r.operation === 'DeleteObject');
const head = (key: string) => clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key as string);
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cfcd upload', () => {
  it('uploads the site as releases/<commit>/ with its headers, the manifest last, and prints the OriginPath', async () => {
    const run = await upload();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`OriginPath: /releases/${COMMIT}`);

    const html = await head(`${FOLDER}index.html`);
    expect(html).toMatchObject({ ContentType: 'text/html; charset=utf-8', CacheControl: 'no-cache' });
    const js = await head(`${FOLDER}assets/app.3f2a9c1d.js`);
    expect(js).toMatchObject({
      ContentType: 'text/javascript; charset=utf-8',
      CacheControl: 'public, max-age=31536000, immutable',
    });
    expect(await head(`${FOLDER}favicon.ico`)).toMatchObject({ CacheControl: 'public, max-age=300' });
    await expect(head(`${FOLDER}.git/HEAD`)).rejects.toMatchObject({ name: 'NotFound' });

    const puts = writes();
    expect(puts).toHaveLength(5);
    const manifestPut = puts.at(-1) as (typeof puts)[number];
    expect(puts.slice(0, -1).every((p) => p.endMs <= manifestPut.startMs)).toBe(true);
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}.cfcd-release.json` }));
    const manifest = parseManifest(await got.Body!.transformToString());
    expect(manifest.commit).toBe(COMMIT);
    expect(manifest.files.map((f) => f.path)).toEqual([
      '.well-known/security.txt',
      'assets/app.3f2a9c1d.js',
      'favicon.ico',
      'index.html',
    ]);
  });

  it('re-run with the same site: reuses the folder and writes nothing', async () => {
    expect((await upload()).code).toBe(0);
    emulator.clearRequestLog();
    const again = await upload('--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ result: 'reused', written: 0, originPath: `/releases/${COMMIT}` });
    expect(writes()).toEqual([]);
  });

  it('refuses a folder completed with other files: exit 3, nothing written', async () => {
    expect((await upload()).code).toBe(0);
    await writeFile(join(site, 'index.html'), '<!doctype html>changed');
    emulator.clearRequestLog();
    const run = await upload();
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/refused: .*complete release with other files/);
    expect(writes()).toEqual([]);
  });

  it('completes an unfinished upload by writing only the keys it lacks, then the manifest', async () => {
    // An upload cut short: the first put is refused, the ones already in flight land, no manifest.
    emulator.injectFault({ operation: 'PutObject', error: 'AccessDenied' });
    const cut = await upload();
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain('AccessDenied');
    const left = await keysUnder(FOLDER);
    expect(left).not.toContain(MANIFEST);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(4);

    emulator.clearRequestLog();
    const run = await upload();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `completing an unfinished upload: ${left.length} file${left.length === 1 ? '' : 's'} already there with the ` +
        'same bytes, kept',
    );
    // Only the missing keys and the manifest are put (a put of a kept key would have met its 412), the manifest last.
    const all = ['.well-known/security.txt', 'assets/app.3f2a9c1d.js', 'favicon.ico', 'index.html'];
    const puts = writes();
    expect(puts).toHaveLength(all.length - left.length + 1);
    expect(puts.every((p) => p.status === 200)).toBe(true);
    const manifestPut = puts.at(-1) as (typeof puts)[number];
    expect(puts.slice(0, -1).every((p) => p.endMs <= manifestPut.startMs)).toBe(true);
    expect((await keysUnder(FOLDER)).sort()).toEqual([...all.map((p) => `${FOLDER}${p}`), MANIFEST].sort());
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: MANIFEST }));
    expect(parseManifest(await got.Body!.transformToString()).files.map((f) => f.path)).toEqual(all);
    expect(await head(`${FOLDER}index.html`)).toMatchObject({ CacheControl: 'no-cache' });
  });

  it('refuses an unfinished upload whose key holds other bytes: exit 3, nothing written, remove the folder', async () => {
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}index.html`, Body: 'partial' }));
    emulator.clearRequestLog();
    const run = await upload();
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`other content than this site's files (${FOLDER}index.html)`);
    expect(run.stderr).toContain(`aws s3 rm --recursive s3://<bucket>/${FOLDER}`);
    expect(writes()).toEqual([]);
  });

  it('fails naming the key another upload wrote after the read, overwriting nothing and writing no manifest', async () => {
    // Every put of the site waits a second; meanwhile another writer creates one of its keys.
    emulator.injectFault({ operation: 'PutObject', error: 'Slow', delayMs: 1000, times: 4 });
    const running = upload();
    await until(() => emulator.state().pendingFaults.length === 0);
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}favicon.ico`, Body: 'theirs' }));
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `s3://${BUCKET}/${FOLDER}favicon.ico was written by another upload meanwhile (after this one read the folder)`,
    );
    expect(run.stderr).toContain('the manifest was not written');
    await expect(head(MANIFEST)).rejects.toMatchObject({ name: 'NotFound' });
    const theirs = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}favicon.ico` }));
    expect(await theirs.Body!.transformToString()).toBe('theirs');
    // Every put of the upload was create-only.
    expect(writes().every((w) => w.operation === 'PutObject')).toBe(true);
  });

  it('refuses a site without index.html: exit 2, naming the folder, nothing called', async () => {
    await rm(join(site, 'index.html'));
    const run = await upload();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${site} has no index.html`);
    expect(emulator.requestLog()).toEqual([]);
  });

  it('rejects a bad cache rules file naming the rule and field, and a bad commit, before any call', async () => {
    const rules = join(site, '..', `${COMMIT}-rules.json`);
    await writeFile(rules, '[{"match": "*.ico", "cacheControl": 7}]');
    const bad = await upload('--cache-rules', rules);
    await rm(rules);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('rule [0].cacheControl: must be a Cache-Control value');
    const commit = await runCfcd(['upload', '--bucket', BUCKET, '--commit', 'HEAD', '--from', site], {
      env: emulator.env,
    });
    expect(commit.code).toBe(2);
    expect(commit.stderr).toContain('--commit: must be a commit id');
    expect(emulator.requestLog()).toEqual([]);
  });

  it('applies a cache rules file and writes nothing with --dry-run', async () => {
    const rules = join(site, '..', `${COMMIT}-dry.json`);
    await writeFile(rules, '[{"match": "*.ico", "cacheControl": "public, max-age=86400"}]');
    const run = await upload('--cache-rules', rules, '--dry-run', '--json');
    await rm(rules);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      result: 'dry-run',
      files: 4,
      cacheControl: { 'public, max-age=86400': 1, 'no-cache': 1 },
    });
    expect(writes()).toEqual([]);
  });
});

describe("the emulator's ListObjectsV2, which the upload reads a folder with", () => {
  it('lists the keys under a prefix in order, a page at a time', async () => {
    for (const key of ['releases/b/2', 'releases/a/1', 'releases/b/1', 'releases/b/3', 'other'])
      await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'releases/b/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages++;
      seen.push(...(page.Contents ?? []).map((o) => o.Key as string));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    expect(seen).toEqual(['releases/b/1', 'releases/b/2', 'releases/b/3']);
    expect(pages).toBe(2);
  });
});
