/**
 * `cfcd upload --bucket B --commit C --from DIR`: the built site as the release folder `releases/<commit>/`, each
 * object with its Content-Type and Cache-Control, and the manifest last (see ../../shared/release/upload-plan.ts).
 * Reads the folder and the bucket, plans, shows the plan, writes, and prints the OriginPath that serves the release.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { putAllThenLast, readFolderState } from '../../shared/aws/release-objects.js';
import { InputError } from '../../shared/domain/errors.js';
import { type CacheRule, parseCacheRules } from '../../shared/release/content.js';
import {
  MANIFEST_NAME,
  commitId,
  manifestKey,
  releaseFolder,
  releaseOriginPath,
} from '../../shared/release/manifest.js';
import { type LocalFile, cacheControlCounts, checkSite, planUpload } from '../../shared/release/upload-plan.js';
import { COMMON_OPTIONS, type CommandSpec, UsageError, type Values } from '../args.js';
import { type Context, say } from '../context.js';

const options = {
  bucket: { type: 'string', value: '<name>', description: 'the origin bucket' },
  commit: { type: 'string', value: '<commit>', description: 'the commit the site was built from (hex id)' },
  from: { type: 'string', value: '<dir>', description: 'the built site (index.html at its root)' },
  'cache-rules': {
    type: 'string',
    value: '<file>',
    description: 'a JSON list of {"match": "<glob>", "cacheControl": "…"}, first match wins, before the defaults',
  },
  'dry-run': { type: 'boolean', description: 'read and plan, print the plan, write nothing' },
  ...COMMON_OPTIONS,
} as const;

export const uploadSpec: CommandSpec<typeof options> = {
  name: 'upload',
  summary:
    'Upload a built site as the release folder releases/<commit>/ of the origin bucket, each object with its ' +
    'Content-Type and Cache-Control, the manifest last; print the OriginPath that serves it. A complete folder is ' +
    'never rewritten: the same files again upload nothing, other files are refused.',
  synopsis: '--bucket <name> --commit <commit> --from <dir> [--cache-rules <file>] [--dry-run] [options]',
  options,
  details: [
    'Cache-Control: HTML and names without an extension no-cache; fingerprinted names (app.3f2a9c1d.js)',
    'public, max-age=31536000, immutable; anything else public, max-age=300 (docs/caching.md).',
    'Every put is create-only (If-None-Match: *): an unfinished folder (no manifest) is completed with the keys it',
    'lacks; a key already there is kept if it holds the same bytes (its ETag), and refused if not.',
    'Exit codes: 0 uploaded (or already there), 1 a call failed or another upload wrote a key meanwhile (run it',
    'again to complete the folder), 2 bad usage (or a site without index.html), 3 refused (the folder holds another',
    'release, or keys with other bytes; nothing written).',
  ].join('\n'),
};

/** Directories never uploaded: a checkout's history is not part of the site. */
const SKIPPED_DIRS = new Set(['.git']);

/**
 * Every file under `root`, with `/` separators, sorted. `.git` is skipped, and the manifest's name at the root (it is
 * cfcd's to write); other dotfiles are kept (`.well-known/` is part of a site). Symbolic links are followed.
 */
async function listFiles(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(root, dir))).sort()) {
    const path = dir ? `${dir}/${name}` : name;
    const info = await stat(join(root, path));
    if (info.isDirectory()) {
      if (!SKIPPED_DIRS.has(name)) out.push(...(await listFiles(root, path)));
    } else if (info.isFile() && path !== MANIFEST_NAME) out.push(path);
  }
  return out;
}

async function readSite(root: string): Promise<LocalFile[]> {
  let paths: string[];
  try {
    if (!(await stat(root)).isDirectory()) throw new UsageError(`--from: ${root} is not a directory`, uploadSpec);
    paths = await listFiles(root);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--from: cannot read ${root}: ${(err as Error).message}`, uploadSpec);
  }
  return Promise.all(
    paths.map(async (path) => {
      const body = await readFile(join(root, path));
      const sha256 = createHash('sha256').update(body).digest('hex');
      return { path, sha256, md5: createHash('md5').update(body).digest('hex'), bytes: body.length };
    }),
  );
}

async function readRules(file: string | undefined): Promise<CacheRule[]> {
  if (file === undefined) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--cache-rules: cannot read ${file}: ${(err as Error).message}`, uploadSpec);
  }
  return parseCacheRules(text, { function: `--cache-rules ${file}`, noun: 'rule' });
}

function required(values: Values<typeof options>, name: 'bucket' | 'commit' | 'from'): string {
  const value = values[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`, uploadSpec);
  return value;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function runUpload(raw: Record<string, unknown>, ctx: Context): Promise<unknown> {
  const values = raw as Values<typeof options>;
  const bucket = required(values, 'bucket');
  const from = required(values, 'from');
  let commit: string;
  try {
    commit = commitId(required(values, 'commit'), '--commit');
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(`--commit: ${err.problem}`, uploadSpec);
    throw err;
  }
  const [rules, files] = await Promise.all([readRules(values['cache-rules']), readSite(from)]);
  // A site that cannot be a release is bad input: said before the bucket is read.
  checkSite(files, from);
  const folder = releaseFolder(commit);
  const originPath = releaseOriginPath(commit);
  const state = await readFolderState(bucket, folder, manifestKey(commit));
  const plan = planUpload({ commit, site: from, files, folder: state, rules, now: new Date().toISOString() });

  const listedFiles = plan.manifest.files;
  const bytes = listedFiles.reduce((sum, f) => sum + f.bytes, 0);
  const cache = cacheControlCounts(listedFiles);
  const summary = { bucket, commit, folder, originPath, files: listedFiles.length, bytes, cacheControl: cache };
  say(ctx, `cfcd upload: s3://${bucket}/${folder}: ${plural(listedFiles.length, 'file')}, ${plural(bytes, 'byte')}`);
  for (const [value, n] of Object.entries(cache)) say(ctx, `  ${String(n).padStart(5)}  ${value}`);

  if (plan.kind === 'reuse') {
    say(ctx, `already uploaded: ${folder} is complete with these files; nothing written`);
    say(ctx, `OriginPath: ${originPath}`);
    return { ...summary, result: 'reused', written: 0 };
  }
  if (plan.completing)
    say(ctx, `completing an unfinished upload: ${plural(plan.kept, 'file')} already there with the same bytes, kept`);
  if (values['dry-run']) {
    say(ctx, `dry run: would write ${plural(plan.puts.length, 'object')} and the manifest, last`);
    return { ...summary, result: 'dry-run', written: 0 };
  }
  let written = 0;
  await putAllThenLast(
    plan.puts.map((p) => ({
      bucket,
      key: p.key,
      contentType: p.contentType,
      cacheControl: p.cacheControl,
      body: () => readFile(join(from, p.path)),
    })),
    {
      bucket,
      key: plan.manifestKey,
      body: plan.manifestText,
      contentType: 'application/json; charset=utf-8',
      cacheControl: 'no-cache',
    },
    () => {
      written++;
    },
  );
  say(ctx, `uploaded ${folder} (${plural(written, 'object')}, the manifest last)`);
  say(ctx, `OriginPath: ${originPath}`);
  return { ...summary, result: 'uploaded', written };
}
