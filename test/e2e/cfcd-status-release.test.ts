/**
 * `cfcd status` names the release each distribution serves (issue 24): the built cfcd against the emulator, with a
 * release uploaded by the built `cfcd upload`, another left unfinished, and one never uploaded.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { type LocalSite, SITE_BUCKET } from '../../local/pipeline/site.js';
import { runCfcd } from './cfcd-process.js';
import { cfcdWorld, serveRelease } from './cfcd-world.js';

const SHIPPED = '3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b';
const UNFINISHED = '77aa0012b3c4d5e6f708192a3b4c5d6e7f809102';
const NEVER = 'deadbee00000000000000000000000000000000f';

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let dir: string;

const cfcd = (...args: string[]) => runCfcd(args, { env: emulator.env });
const operations = () => emulator.requestLog().map((r) => r.operation);

/** Points every origin of `id` at `/releases/<commit>`, as the pipeline's staging deploy and a promotion do. */
const serve = (id: string, commit: string) => serveRelease(clients, id, commit);

beforeEach(async () => {
  ({ emulator, clients, site, stagingId } = await cfcdWorld(24));
  dir = await mkdtemp(join(tmpdir(), 'cfcd-status-release-'));
  await writeFile(join(dir, 'index.html'), '<p>site 3f2a9c1</p>');
  const upload = await cfcd('upload', '--bucket', SITE_BUCKET, '--commit', SHIPPED, '--from', dir);
  expect(upload.code, upload.stderr).toBe(0);
  // An upload that stopped before its manifest: a file, no .cfcd-release.json.
  await clients.s3.send(
    new PutObjectCommand({ Bucket: SITE_BUCKET, Key: `releases/${UNFINISHED}/index.html`, Body: 'half' }),
  );
  await serve(site.primaryId, SHIPPED);
  await serve(stagingId, UNFINISHED);
  emulator.settle();
  emulator.clearRequestLog();
});
afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

describe('cfcd status: the release each distribution serves', () => {
  it('names each release by its short commit; with --bucket, a complete folder, and an unfinished one warned', async () => {
    const run = await cfcd('status', '--primary', site.primaryId, '--staging', stagingId, '--bucket', SITE_BUCKET);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const primaryAt = lines.findIndex((l) => l.startsWith('Primary'));
    const stagingAt = lines.findIndex((l) => l.startsWith('Staging'));
    expect(lines[primaryAt + 2]).toBe('  serves release 3f2a9c1 (releases/3f2a9c1…/)  complete');
    expect(lines[stagingAt + 2]).toBe('  serves release 77aa001 (releases/77aa001…/)  unfinished');
    expect(run.stdout).toContain(
      `! staging ${stagingId} serves release 77aa001, but s3://${SITE_BUCKET}/releases/${UNFINISHED}/ has no ` +
        '.cfcd-release.json: an upload that did not finish',
    );
    // What the text says is served is what a viewer gets.
    expect((await emulator.viewer(site.primaryDomain, '/')).body).toContain('site 3f2a9c1');

    // One HeadObject per release; the listing only for the folder without a manifest; nothing written.
    const s3 = operations().filter((op) => /Object/.test(op));
    expect(s3.filter((op) => op === 'HeadObject')).toHaveLength(2);
    expect(s3.filter((op) => op === 'ListObjectsV2')).toHaveLength(1);
    expect(operations().filter((op) => !/^(Get|List|Head|Describe)/.test(op))).toEqual([]);
  });

  it('--json carries the full commit and the folder state; a release never uploaded is missing', async () => {
    await serve(stagingId, NEVER);
    emulator.settle();
    const run = await cfcd(
      'status',
      '--primary',
      site.primaryId,
      '--staging',
      stagingId,
      '--bucket',
      SITE_BUCKET,
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    const served = (commit: string, folder: string) => [
      { originId: 'site-bucket', bucket: SITE_BUCKET, originPath: `/releases/${commit}`, commit, folder },
    ];
    expect(report.primary.serves).toEqual(served(SHIPPED, 'complete'));
    expect(report.staging.serves).toEqual(served(NEVER, 'missing'));
    expect(report.warnings).toContain(
      `staging ${stagingId} serves release deadbee, but s3://${SITE_BUCKET}/releases/${NEVER}/ is empty: ` +
        'viewers get errors from that origin',
    );
  });

  it('without --bucket, names the releases and reads nothing from S3', async () => {
    const run = await cfcd('status', '--primary', site.primaryId, '--staging', stagingId, '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.primary.serves).toMatchObject([{ commit: SHIPPED, folder: null }]);
    expect(report.staging.serves).toMatchObject([{ commit: UNFINISHED, folder: null }]);
    expect(report.warnings.join('\n')).not.toMatch(/releases\//);
    expect(operations().filter((op) => /Object|Bucket/.test(op))).toEqual([]);
  });
});
