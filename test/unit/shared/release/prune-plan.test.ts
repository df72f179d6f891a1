import { describe, expect, it } from 'vitest';
import {
  type FoundFolder,
  type PrunePlanInput,
  UNFINISHED_GRACE_MS,
  folderOfOriginPath,
  planPrune,
} from '../../../../shared/release/prune-plan.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const commit = (i: number) => `${String(i).padStart(2, '0')}${'a'.repeat(38)}`;
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * 3600_000).toISOString();

function release(i: number, hoursAgo: number): FoundFolder {
  const name = commit(i);
  return {
    name,
    manifest: { createdAt: at(hoursAgo) },
    newestObjectAt: at(hoursAgo),
    keys: [`releases/${name}/index.html`, `releases/${name}/.cfcd-release.json`],
  };
}

/** Eight releases: commit(1) the oldest (8 hours ago) … commit(8) the newest (1 hour ago). */
const eight = () => Array.from({ length: 8 }, (_, i) => release(i + 1, 8 - i));

function plan(over: Partial<PrunePlanInput> = {}) {
  const p = planPrune({ folders: eight(), served: [], keep: 3, protect: [], now: NOW, ...over });
  return { del: p.delete.map((f) => f.name), kept: p.keep.map((f) => f.name), p };
}

const served = (by: string, originPath: string) => ({ by, originId: 'site-bucket', originPath });

describe('planPrune', () => {
  it('keeps the newest N complete releases by createdAt and deletes the older ones, with their keys', () => {
    const { del, kept, p } = plan();
    expect(kept).toEqual([commit(6), commit(7), commit(8)]);
    expect(del).toEqual([1, 2, 3, 4, 5].map(commit));
    expect(p.delete[0]?.keys).toEqual([`releases/${commit(1)}/index.html`, `releases/${commit(1)}/.cfcd-release.json`]);
    expect(p.delete[0]?.reason).toMatch(/older than the newest 3 releases/);
  });

  it('orders by the manifest createdAt, not by the folder name', () => {
    const folders = [release(9, 1), release(1, 2), release(5, 30)];
    expect(plan({ folders, keep: 2 }).del).toEqual([commit(5)]);
  });

  it('keeps the folders the primary and the staging serve, however old', () => {
    const { del, kept, p } = plan({
      served: [served('primary E1', `/releases/${commit(1)}`), served('staging E2', `/releases/${commit(2)}/`)],
    });
    expect(kept).toEqual([commit(1), commit(2), commit(6), commit(7), commit(8)]);
    expect(del).toEqual([3, 4, 5].map(commit));
    expect(p.keep[0]?.reason).toBe(`in use by primary E1 origin site-bucket (/releases/${commit(1)})`);
  });

  it('keeps a folder any origin path points into, even below it or not as a commit path', () => {
    const { kept } = plan({ served: [served('staging E2', `/releases/${commit(3)}/site`)] });
    expect(kept).toContain(commit(3));
  });

  it('keeps everything when an origin serves the whole releases/ tree', () => {
    expect(plan({ served: [served('primary E1', '/releases')] }).del).toEqual([]);
    expect(plan({ served: [served('primary E1', '/releases/')] }).del).toEqual([]);
  });

  it('ignores origin paths outside releases/', () => {
    expect(plan({ served: [served('primary E1', '/v1'), served('staging E2', '')] }).del).toHaveLength(5);
  });

  it('keeps protected commits', () => {
    expect(plan({ protect: [commit(2)] }).kept).toContain(commit(2));
  });

  it('keeps an unfinished upload younger than the grace period and deletes an older one', () => {
    const young: FoundFolder = { name: 'b'.repeat(40), manifest: 'missing', newestObjectAt: at(0.5), keys: ['k1'] };
    const old: FoundFolder = { name: 'c'.repeat(40), manifest: 'missing', newestObjectAt: at(2), keys: ['k2'] };
    const { del, p } = plan({ folders: [young, old] });
    expect(del).toEqual(['c'.repeat(40)]);
    expect(p.keep[0]?.reason).toMatch(/may still be running/);
    expect(p.delete[0]?.reason).toBe('unfinished upload (no manifest), last written 120 minutes ago');
    const edge = { ...old, newestObjectAt: new Date(NOW - UNFINISHED_GRACE_MS + 1).toISOString() };
    expect(plan({ folders: [edge] }).del).toEqual([]);
  });

  it('keeps folders whose name is not a commit id, and folders whose manifest cannot be read', () => {
    const odd: FoundFolder = { name: 'latest', manifest: 'missing', newestObjectAt: at(100), keys: ['x'] };
    const bad: FoundFolder = {
      name: 'd'.repeat(40),
      manifest: { invalid: 'not JSON' },
      newestObjectAt: at(100),
      keys: [],
    };
    const { del, p } = plan({ folders: [odd, bad], keep: 1 });
    expect(del).toEqual([]);
    expect(p.keep.map((k) => k.reason)).toEqual([
      'its manifest cannot be read (not JSON)',
      'not a release folder (its name is not a commit id)',
    ]);
  });

  it('refuses a keep that is not a whole number from 1, naming KeepReleases', () => {
    for (const keep of [0, -1, 1.5, Number.NaN])
      expect(() => plan({ keep })).toThrow(/KeepReleases: must be a whole number from 1/);
  });
});

describe('folderOfOriginPath', () => {
  it('names the folder an origin path points into', () => {
    expect(folderOfOriginPath(`/releases/${commit(1)}`)).toBe(commit(1));
    expect(folderOfOriginPath('/releases/latest/x')).toBe('latest');
    expect(folderOfOriginPath('/releases')).toBe('');
    expect(folderOfOriginPath('/v2')).toBeUndefined();
    expect(folderOfOriginPath('')).toBeUndefined();
  });
});
