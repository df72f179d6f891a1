/**
 * Command-line handling shared by the local tools (`npm start`, `npm run chaos`): flags parsed strictly, values
 * bounded, and every mistake answered the way a person expects — one line naming the flag, the usage on stderr,
 * exit code 2 — instead of a Node stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: the message names the flag and what it accepts. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Node's parseArgs errors carry a code and a long hint; this says the same in one line. */
function usageMessage(err: Error & { code?: string }): string {
  const option = /'(-[^ ']+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? err.message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''} (every option starts with --)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(err.message)) return `${option} takes no value`;
      if (/ambiguous/.test(err.message))
        return `${option} needs a value (write ${option}=VALUE for one starting with -)`;
      return `${option ?? 'an option'} needs a value`;
    default:
      return err.message;
  }
}

/** Parses `args` strictly (no positionals, no unknown flags); throws {@link UsageError}. */
export function parseCommandLine<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
}

/** A whole number flag within [min, max]; `fallback` when the flag is absent. */
export function boundedInteger(
  name: string,
  value: string | undefined,
  { min, max, fallback, unit = '' }: { min: number; max: number; fallback: number; unit?: string },
): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(
      `--${name} must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return n;
}

/**
 * Runs a tool's `main` and exits with its code. A {@link UsageError} prints `<tool>: <message>` and the usage on
 * stderr (exit 2); any other error prints one line (exit 1), its stack only with `--verbose` on the command line.
 */
export function runCommand(tool: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${tool}: ${err.message}\n${usage}\n`);
        process.exit(2);
      }
      const verbose = process.argv.includes('--verbose');
      const text = err instanceof Error ? (verbose ? (err.stack ?? err.message) : err.message) : String(err);
      process.stderr.write(`${tool} failed: ${text}${verbose ? '' : ' (--verbose shows the stack)'}\n`);
      process.exit(1);
    },
  );
}
