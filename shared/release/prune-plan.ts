/**
 * Which release folders `cfcd prune` deletes, and why each other one stays. Pure: the shell lists the folders under
 * `releases/`, reads their manifests and the origin paths the live distributions serve, and asks this plan — again
 * right before each deletion, with the distributions read again, so a folder that came into use meanwhile stays.
 *
 * The rules, first match wins:
 * 1. a folder whose name is not a commit id is not a release: kept, never touched;
 * 2. a folder an origin of the primary or the staging points into is in use: kept, however old;
 * 3. a protected commit (e.g. a revert target) is kept;
 * 4. a folder whose manifest cannot be read is kept: its age is unknown, a person must look;
 * 5. a folder without a manifest is an unfinished upload: kept while its newest object is younger than
 *    {@link UNFINISHED_GRACE_MS} (the upload may still be running), deleted once older (it failed; a new run of the
 *    same commit uploads the whole folder again);
 * 6. of the complete releases, the newest `keep` by the manifest's createdAt are kept, the older ones deleted.
 *    Releases in use or protected count among the newest too: `keep` is how many recent releases remain to roll
 *    back to, whichever of them is live.
 */
import { InputError } from '../domain/errors.js';
import { RELEASES_PREFIX, commitOfOriginPath } from './manifest.js';

/** How long a folder without a manifest may be an upload still running. */
export const UNFINISHED_GRACE_MS = 60 * 60 * 1000;
/** Complete releases kept when `--keep` is not given. */
export const DEFAULT_KEEP = 5;

/** A folder found under `releases/`. */
export interface FoundFolder {
  /** The folder's name between `releases/` and the next `/` (a commit id when the upload wrote it). */
  name: string;
  /** `{ createdAt }` from a valid manifest; `missing` when there is none; `invalid` with why when unreadable. */
  manifest: { createdAt: string } | 'missing' | { invalid: string };
  /** The newest LastModified among the folder's objects (ISO), when known. */
  newestObjectAt: string | undefined;
  /** Every key in the folder, the manifest included. */
  keys: string[];
}

/** The origin paths the primary and the staging serve, by which distribution, as read now. */
export interface ServedPath {
  /** e.g. `primary E123`, `staging E456`. */
  by: string;
  originId: string;
  originPath: string;
}

export interface PrunePlanInput {
  folders: FoundFolder[];
  served: ServedPath[];
  keep: number;
  /** Commits never deleted, whatever their age. */
  protect: string[];
  /** The time of the plan (ms since the epoch). */
  now: number;
}

export interface PlannedFolder {
  name: string;
  reason: string;
  keys: string[];
}

export interface PrunePlan {
  delete: PlannedFolder[];
  keep: PlannedFolder[];
}

/** The folder name under `releases/` an origin path points into ('' for `/releases` itself), or undefined. */
export function folderOfOriginPath(originPath: string): string | undefined {
  const commit = commitOfOriginPath(originPath);
  if (commit !== undefined) return commit;
  const trimmed = originPath.replace(/^\/+/, '');
  const root = RELEASES_PREFIX.slice(0, -1);
  if (trimmed === root) return '';
  if (!trimmed.startsWith(RELEASES_PREFIX)) return undefined;
  return trimmed.slice(RELEASES_PREFIX.length).split('/')[0] ?? '';
}

/** Checks `keep`: a whole number of releases, at least 1 (a prune never leaves nothing to roll back to). */
export function checkKeep(keep: number): number {
  if (!Number.isInteger(keep) || keep < 1 || keep > 1000)
    throw new InputError('KeepReleases', `must be a whole number from 1 to 1000, got ${JSON.stringify(keep)}`);
  return keep;
}

const COMMIT = /^[0-9a-f]{7,64}$/;

/** Decides which folders to delete, each with its reason, and why every other one is kept. */
export function planPrune(input: PrunePlanInput): PrunePlan {
  const keep = checkKeep(input.keep);
  const protect = new Set(input.protect);
  const usedBy = new Map<string, string[]>();
  for (const s of input.served) {
    const folder = folderOfOriginPath(s.originPath);
    if (folder === undefined) continue;
    usedBy.set(folder, [...(usedBy.get(folder) ?? []), `${s.by} origin ${s.originId} (${s.originPath})`]);
  }
  const wholeTreeServed = usedBy.get('');

  const complete = input.folders
    .filter((f) => COMMIT.test(f.name) && typeof f.manifest === 'object' && 'createdAt' in f.manifest)
    .map((f) => ({ name: f.name, at: Date.parse((f.manifest as { createdAt: string }).createdAt) }))
    .sort((a, b) => b.at - a.at || (a.name < b.name ? -1 : 1));
  const rank = new Map(complete.map((c, i) => [c.name, i]));

  const plan: PrunePlan = { delete: [], keep: [] };
  const sorted = [...input.folders].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted) {
    const decide = (verdict: 'delete' | 'keep', reason: string) =>
      plan[verdict].push({ name: f.name, reason, keys: [...f.keys] });
    const used = usedBy.get(f.name) ?? wholeTreeServed;
    if (!COMMIT.test(f.name)) decide('keep', 'not a release folder (its name is not a commit id)');
    else if (used) decide('keep', `in use by ${used.join(', ')}`);
    else if (protect.has(f.name)) decide('keep', 'protected');
    else if (f.manifest === 'missing') {
      const at = f.newestObjectAt === undefined ? Number.NaN : Date.parse(f.newestObjectAt);
      const age = input.now - at;
      if (Number.isNaN(at) || age < UNFINISHED_GRACE_MS)
        decide('keep', 'unfinished upload (no manifest), written within the hour: it may still be running');
      else decide('delete', `unfinished upload (no manifest), last written ${Math.floor(age / 60_000)} minutes ago`);
    } else if ('invalid' in f.manifest) decide('keep', `its manifest cannot be read (${f.manifest.invalid})`);
    else {
      const i = rank.get(f.name) as number;
      if (i < keep) decide('keep', `among the newest ${keep} releases (#${i + 1}, ${f.manifest.createdAt})`);
      else decide('delete', `older than the newest ${keep} releases (#${i + 1}, ${f.manifest.createdAt})`);
    }
  }
  return plan;
}
