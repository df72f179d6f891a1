import type { BuildOptions, Plugin } from 'esbuild';

/** Lets esbuild drop the SDK schemas no command uses (see bundles.mjs). */
export const treeShakeSdkSchemas: Plugin;
/** Leaves the default credential chain's profile-based sources out of a Lambda bundle (see bundles.mjs). */
export const lambdaCredentialSources: Plugin;
/** Options for bundling `entry` to `outfile` as one self-contained ESM file for the Lambda Node.js runtime. */
export function functionBuildOptions(entry: string, outfile: string): BuildOptions & { metafile: true };
/** The folder holding one folder per function (absolute path, with a trailing slash). */
export declare const FUNCTIONS_DIR: string;
/** Every functions/<name>/ with a handler.ts, in name order. */
export declare const FUNCTION_NAMES: readonly string[];
