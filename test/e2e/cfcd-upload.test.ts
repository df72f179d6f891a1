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

const writes = () => emulator.requestLog().filter((r) => r.operation === 'PutObject' || r.operation === 'DeleteObject');
const head = (key: string) => clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

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

  it('completes an unfinished upload of the same commit (no manifest)', async () => {
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}index.html`, Body: 'partial' }));
    emulator.clearRequestLog();
    const run = await upload();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/completing an unfinished upload/);
    expect(await head(`${FOLDER}index.html`)).toMatchObject({ CacheControl: 'no-cache' });
    expect(await head(`${FOLDER}.cfcd-release.json`)).toBeDefined();
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
