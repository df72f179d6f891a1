/** The folder holding one folder per function (absolute path, with a trailing slash). */
export declare const FUNCTIONS_DIR: string;
/** Every functions/<name>/ with a handler.ts, in name order. */
export declare const FUNCTION_NAMES: readonly string[];
