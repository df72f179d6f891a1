// Types of cfcd-action.mjs, for the tests that import it (TypeScript does not read the JavaScript itself).
export declare const INPUTS: readonly string[];
export declare const COMMANDS: Record<'enable-cd' | 'promote' | 'abort' | 'status', readonly string[]>;
export declare const OUTPUTS: readonly string[];
export declare const EXIT_MEANINGS: Record<number, string>;
export declare class InputError extends Error {}
export declare function readInputs(env: Record<string, string | undefined>): Record<string, string>;
export declare function splitArgs(text: string): string[];
export declare function commandLine(inputs: Record<string, string | undefined>): string[];
export declare function cfcdPath(env?: Record<string, string | undefined>): string;
export interface CfcdRun {
  code: number;
  stdout: string;
  /** The signal that ended cfcd, when one did. */
  signal?: string;
}
export declare function runCfcd(
  argv: string[],
  options?: { cfcd?: string; env?: Record<string, string | undefined>; node?: string },
): Promise<CfcdRun>;
export declare function parseResult(stdout: string): Record<string, unknown> | undefined;
export declare function outputsOf(command: string | undefined, code: number, doc: unknown): Record<string, string>;
export declare function writeOutputs(file: string, outputs: Record<string, string>): void;
export declare function summaryOf(run: { command: string; argv?: string[]; code: number; doc: unknown }): string;
export declare function runAction(options?: {
  env?: Record<string, string | undefined>;
  run?: (argv: string[], options: { cfcd: string; env: Record<string, string | undefined> }) => Promise<CfcdRun>;
  annotate?: (title: string, message: string) => void;
}): Promise<number>;
