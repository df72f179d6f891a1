/**
 * Where a cold run's CPU goes: a V8 CPU profile (`node --cpu-prof`) of one fresh process, split at the end of the
 * bundle's import into the import and the first invocation, with each sample's self time charged to the npm package
 * (or our own source file) its function came from, read through the bundle's source map.
 */

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Maps a position in the bundle (0-based line and column) to the original source path, if the map knows it. */
export type SourceOf = (line: number, column: number) => string | undefined;

export type Phase = 'boot' | 'import' | 'invocation';

/** The package a bundle source path belongs to (`@smithy/core`), or our own path (`shared/job/runner.ts`). */
export function ownerOf(source: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
  if (pkg) return pkg[1]!;
  return source.replace(/^(\.\.\/)+/, '').replace(/^.*?\/(functions|shared)\//, '$1/');
}

/**
 * Self time in ms per owner and phase, on the profile's clock (µs): before `importStartedAtUs` is Node's own boot
 * (the same for every bundle), then the import until `importedAtUs`, then the invocation. Frames outside the bundle
 * are Node's: `(garbage collector)`, `(idle)`, or `node:<file>` (compiling the bundle shows as node's module loader).
 */
export function selfTimeByOwner(
  profile: CpuProfile,
  bundleUrl: string,
  sourceOf: SourceOf,
  importStartedAtUs: number,
  importedAtUs: number,
): Record<Phase, Map<string, number>> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const out: Record<Phase, Map<string, number>> = { boot: new Map(), import: new Map(), invocation: new Map() };
  const owners = new Map<number, string>();
  const ownerOfNode = (id: number): string => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    const frame = nodes.get(id)?.callFrame;
    let owner: string;
    if (!frame) owner = '(unknown)';
    else if (frame.url === bundleUrl)
      owner = ownerOf(sourceOf(frame.lineNumber, frame.columnNumber) ?? '(bundle code with no source position)');
    else if (!frame.url)
      owner = frame.functionName.startsWith('(') ? frame.functionName : `(${frame.functionName || 'native'})`;
    else owner = nodeOwner(frame.url, frame.functionName);
    owners.set(id, owner);
    return owner;
  };
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const phase: Phase = t < importStartedAtUs ? 'boot' : t < importedAtUs ? 'import' : 'invocation';
    const owner = ownerOfNode(id);
    out[phase].set(owner, (out[phase].get(owner) ?? 0) + ms);
  });
  return out;
}

/** Node's own code, named by what it does where that is known. */
function nodeOwner(url: string, functionName: string): string {
  if (functionName === 'compileSourceTextModule') return 'node: compile the bundle (V8 parse + compile)';
  if (/internal\/bootstrap\/realm/.test(url)) return 'node: load built-in modules (http, crypto, stream…)';
  if (/async_hooks/.test(url)) return 'node: async_hooks (promise hooks of AsyncLocalStorage)';
  const path = url
    .replace(/^node:/, '')
    .replace(/^internal\//, '')
    .replace(/\.m?js$/, '');
  return `node: ${path}`;
}

/** The `top` largest entries of several runs' maps, averaged over the runs, largest first. */
export function meanTop(maps: Map<string, number>[], top: number): [string, number][] {
  const sum = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) sum.set(k, (sum.get(k) ?? 0) + v / maps.length);
  return [...sum].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/**
 * What kind of code an owner is: ours (functions/, shared/), the AWS SDK, bundle code the source map has no position
 * for (mostly the modules' top-level statements, run once at import), Node itself, or the engine (GC, idle).
 */
export function kindOf(owner: string): 'ours' | 'AWS SDK' | 'bundle, unmapped' | 'Node' | 'engine' | 'other' {
  if (/^(functions|shared)\//.test(owner)) return 'ours';
  if (/^@(aws-sdk|smithy|aws)\//.test(owner)) return 'AWS SDK';
  if (owner === '(bundle code with no source position)') return 'bundle, unmapped';
  if (owner.startsWith('node: ')) return 'Node';
  if (owner.startsWith('(')) return 'engine';
  return 'other';
}
