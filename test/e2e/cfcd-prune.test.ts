import {
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveServed } from '../../cli/commands/prune.js';
import { pruneReleases } from '../../shared/aws/release-prune.js';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { SITE_BUCKET, type LocalSite } from '../../local/pipeline/site.js';
import { manifestKey, releaseOriginPath, serializeManifest } from '../../shared/release/manifest.js';
import { buildRecord, serializeRecord } from '../../shared/revert/record.js';
import type { DistributionState } from '../../shared/domain/resources.js';
import { cfcdWorld, serveRelease } from './cfcd-world.js';
import { runCfcd } from './cfcd-process.js';

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;

/** commit(1) is the oldest release (8 days ago), commit(8) the newest (1 day ago). */
const commit = (i: number) => `${String(i).padStart(2, '0')}${'e'.repeat(38)}`;
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

async function put(key: string, body: string) {
  await clients.s3.send(new PutObjectCommand({ Bucket: SITE_BUCKET, Key: key, Body: body }));
}

/** Eight complete releases with two objects each, a running upload (no manifest) and an unrelated folder. */
async function seed() {
  for (let i = 1; i <= 8; i++) {
    const c = commit(i);
    await put(`releases/${c}/index.html`, `<p>${c}</p>`);
    await put(`releases/${c}/assets/app.js`, `console.log(${i})`);
    await put(manifestKey(c), serializeManifest({ v: 1, commit: c, createdAt: daysAgo(9 - i), files: [] }));
  }
  await put(`releases/${'f'.repeat(40)}/index.html`, 'uploading');
  await put('v1/index.html', 'the old layout');
}

async function keys(): Promise<string[]> {
  const out = await clients.s3.send(new ListObjectsV2Command({ Bucket: SITE_BUCKET }));
  return (out.Contents ?? []).map((o) => o.Key as string);
}

const folders = async () =>
  [...new Set((await keys()).filter((k) => k.startsWith('releases/')).map((k) => k.split('/')[1]))].sort();

const serve = (id: string, c: number) => serveRelease(clients, id, commit(c));

/** A distribution as the actions read it, through the test's own clients (this process's cached ones may be stale). */
async function state(id: string): Promise<DistributionState> {
  const out = await clients.cloudFront.send(new GetDistributionCommand({ Id: id }));
  const d = out.Distribution!;
  return {
    id,
    etag: out.ETag!,
    status: d.Status!,
    domainName: d.DomainName!,
    arn: d.ARN!,
    lastModified: d.LastModifiedTime,
    config: d.DistributionConfig!,
  };
}

beforeEach(async () => {
  ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(31));
  await seed();
  await serve(site.primaryId, 1);
  await serve(stagingId, 2);
  emulator.settle();
  emulator.clearRequestLog();
});
afterEach(async () => {
  await emulator.close();
});

const cfcd = (...args: string[]) => runCfcd(args, { env: emulator.env });
const base = () => ['prune', '--bucket', SITE_BUCKET, '--primary', site.primaryId, '--staging', stagingId];
const writes = () => emulator.requestLog().filter((r) => !/^(Get|List|Head)/.test(r.operation));

describe('cfcd prune', () => {
  it('keeps the newest 3, the releases primary and staging serve, and a running upload; deletes the rest', async () => {
    const run = await cfcd(...base(), '--keep', '3', '--yes', '--json');
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.deleted.map((d: { commit: string }) => d.commit)).toEqual([3, 4, 5].map(commit));
    expect(await folders()).toEqual([1, 2, 6, 7, 8].map(commit).concat('f'.repeat(40)));
    expect(await keys()).toContain('v1/index.html');
    const kept = Object.fromEntries(
      out.planned.keep.map((k: { commit: string; reason: string }) => [k.commit, k.reason]),
    );
    expect(kept[commit(1)]).toMatch(new RegExp(`^in use by primary ${site.primaryId}`));
    expect(kept[commit(2)]).toMatch(new RegExp(`^in use by staging ${stagingId}`));
    expect(kept['f'.repeat(40)]).toMatch(/unfinished upload/);
    expect(writes().map((r) => r.operation)).toEqual(['DeleteObjects', 'DeleteObjects', 'DeleteObjects']);
  });

  it('--record-bucket keeps the release the newest revert record goes back to, whatever its age', async () => {
    const ARTIFACTS = 'pipeline-artifacts';
    await clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACTS }));
    // A record of a promotion that replaced release 4 (an old one, neither served nor among the newest 3).
    const primary = await state(site.primaryId);
    const items = (primary.config.Origins?.Items ?? []).map((o) => ({
      ...o,
      OriginPath: releaseOriginPath(commit(4)),
    }));
    const replaced = { ...primary, config: { ...primary.config, Origins: { Quantity: items.length, Items: items } } };
    const record = buildRecord(replaced, await state(stagingId), new Date());
    const key = `cfcd-revert/${site.primaryId}/2026-12-07T10-00-00-000Z-${primary.etag}.json`;
    await clients.s3.send(new PutObjectCommand({ Bucket: ARTIFACTS, Key: key, Body: serializeRecord(record) }));
    emulator.clearRequestLog();
    const run = await cfcd(...base(), '--record-bucket', ARTIFACTS, '--keep', '3', '--yes', '--json');
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.revertTarget).toEqual([commit(4)]);
    expect(out.deleted.map((d: { commit: string }) => d.commit)).toEqual([3, 5].map(commit));
    expect(await folders()).toContain(commit(4));
    expect(run.stderr).toContain(`keeping the revert target: ${commit(4)} (s3://${ARTIFACTS}/${key})`);
  });

  it('--record-bucket that cannot be read refuses the prune: exit 1, nothing deleted', async () => {
    const run = await cfcd(...base(), '--record-bucket', 'no-such-artifacts', '--keep', '3', '--yes');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('could not read the newest revert record');
    expect(run.stderr).toContain('nothing was deleted');
    expect(writes()).toEqual([]);
    expect(await folders()).toHaveLength(9);
  });

  it('--dry-run shows the plan and deletes nothing', async () => {
    const run = await cfcd(...base(), '--keep', '3', '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`delete ${commit(3)} (3 objects): older than the newest 3 releases`);
    expect(run.stdout).toContain('dry run: nothing deleted');
    expect(writes()).toEqual([]);
    expect(await folders()).toHaveLength(9);
  });

  it('finds the staging from the primary’s attached policy when --staging is not given', async () => {
    const read = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: site.primaryId }));
    await clients.cloudFront.send(
      new UpdateDistributionCommand({
        Id: site.primaryId,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, ContinuousDeploymentPolicyId: policyId },
      }),
    );
    emulator.settle();
    const run = await cfcd('prune', '--bucket', SITE_BUCKET, '--primary', site.primaryId, '--keep', '3', '--yes');
    expect(run.code, run.stderr).toBe(0);
    expect(await folders()).toContain(commit(2));
  });

  it('refuses to delete off a terminal without --yes, before any write', async () => {
    const run = await cfcd(...base());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pass --yes/);
    expect(writes()).toEqual([]);
  });

  it('keeps a folder the staging started serving between the plan and its deletion (a promotion racing)', async () => {
    Object.assign(process.env, emulator.env);
    const seen: string[] = [];
    const result = await pruneReleases({
      bucket: SITE_BUCKET,
      keep: 3,
      protect: [],
      dryRun: false,
      readServed: liveServed(site.primaryId, stagingId),
      beforeDelete: async (folder) => {
        seen.push(folder.name);
        if (folder.name === commit(3)) await serve(stagingId, 3);
      },
    });
    expect(seen).toEqual([3, 4, 5].map(commit));
    expect(result.plan.delete.map((f) => f.name)).toEqual([3, 4, 5].map(commit));
    expect(result.spared.map((f) => [f.name, f.reason])).toEqual([
      [commit(3), `in use by staging ${stagingId} origin site-bucket (${releaseOriginPath(commit(3))})`],
    ]);
    expect(result.deleted.map((f) => f.name)).toEqual([4, 5].map(commit));
    expect(await folders()).toContain(commit(3));
  });
});
