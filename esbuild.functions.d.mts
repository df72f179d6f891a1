import type { BuildOptions, Plugin } from 'esbuild';

/** Lets esbuild drop the SDK schemas no command uses (see esbuild.functions.mjs). */
export const treeShakeSdkSchemas: Plugin;
/** Leaves the default credential chain's profile-based sources out of a Lambda bundle (see esbuild.functions.mjs). */
export const lambdaCredentialSources: Plugin;
/** Options for bundling `entry` to `outfile` as one self-contained ESM file for the Lambda Node.js runtime. */
export function functionBuildOptions(entry: string, outfile: string): BuildOptions & { metafile: true };
