import type { BuildOptions, Plugin } from 'esbuild';

/** Lets esbuild drop the SDK schemas no command uses (see bundles.mjs). */
export const treeShakeSdkSchemas: Plugin;
/** Leaves the default credential chain's profile-based sources out of a Lambda bundle (see bundles.mjs). */
export const lambdaCredentialSources: Plugin;
/** The one `nodejsNN.x` Runtime every function of a template declares, and its Node major; throws otherwise. */
export function lambdaRuntimeOf(template: string): { runtime: string; nodeMajor: number };
/** infra/pipeline.yml (absolute path). */
export declare const PIPELINE_TEMPLATE: string;
/** The functions' Lambda runtime (`nodejs24.x`) and its Node major, read from infra/pipeline.yml. */
export declare const LAMBDA_RUNTIME: Readonly<{ runtime: string; nodeMajor: number }>;
/** Options for bundling `entry` to `outfile` as one self-contained ESM file for the Lambda Node.js runtime. */
export function functionBuildOptions(entry: string, outfile: string): BuildOptions & { metafile: true };
/** The folder holding one folder per function (absolute path, with a trailing slash). */
export declare const FUNCTIONS_DIR: string;
/** Every functions/<name>/ with a handler.ts, in name order. */
export declare const FUNCTION_NAMES: readonly string[];
