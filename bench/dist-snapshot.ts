/**
 * A private copy of the built bundles for the whole run. Other people rebuild dist/ while the bench runs (the build
 * starts by deleting it), so every figure — sizes, clients, cold start and the scenarios' workers — comes from this
 * one copy of one build.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FILES = ['index.mjs', 'meta.json'];

/**
 * Copies dist/<name>/{index.mjs,meta.json} (and `extra` files, e.g. the source map) for each function; waits out a
 * rebuild that is under way.
 */
export async function snapshotDist(
  distDir: string,
  names: readonly string[],
  extra: readonly string[] = [],
): Promise<{ dir: string; remove: () => void }> {
  const files = [...FILES, ...extra];
  for (let attempt = 1; ; attempt++) {
    const complete = names.every((n) => files.every((f) => existsSync(join(distDir, n, f))));
    if (complete) {
      const dir = mkdtempSync(join(tmpdir(), 'bench-dist-'));
      for (const n of names) for (const f of files) cpSync(join(distDir, n, f), join(dir, n, f));
      return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
    }
    if (attempt === 10) throw new Error(`${distDir} has no complete build of ${names.join(', ')}: run npm run build`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
