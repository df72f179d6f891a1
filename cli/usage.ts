/**
 * cfcd's command lines: each command declares its options once (type, value name, help line), and the same table
 * drives `node:util` parseArgs, the `--help` text and the usage line printed with a mistake. A mistake is a
 * {@link UsageError} naming the flag: exit code 2, one line, no AWS call, no stack trace.
 */
import { parseArgs } from 'node:util';
import { CfcdError } from '../shared/domain/errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** May be given more than once (the values are collected in order). */
  multiple?: boolean;
  /** The value's name in the help, e.g. `<id>`. */
  value?: string;
  description: string;
}

export type OptionTable = Record<string, OptionSpec>;

export interface CommandSpec {
  /** As typed after `cfcd`, e.g. `status` or `plan promote`. */
  name: string;
  summary: string;
  /** The synopsis after `cfcd <name>`, e.g. `--primary <id> [--bucket <name>]`. */
  synopsis: string;
  options: OptionTable;
  /** Paragraphs printed after the options in `--help`. */
  details?: string;
}

/** A mistake in the command line; `command` says whose usage to print with it. */
export class UsageError extends CfcdError {
  override readonly name = 'UsageError';
  readonly kind = 'input';
  constructor(
    message: string,
    readonly command?: CommandSpec,
  ) {
    super(message);
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS: OptionTable = {
  json: { type: 'boolean', description: 'print one JSON document on stdout instead of text' },
  profile: {
    type: 'string',
    value: '<name>',
    description: 'AWS profile to use (default: the SDK credential chain; AWS_ENDPOINT_URL is honoured)',
  },
  region: {
    type: 'string',
    value: '<region>',
    description: 'AWS region for S3 and CodePipeline (CloudFront and its metrics are always us-east-1)',
  },
  verbose: { type: 'boolean', short: 'v', description: "also write the actions' JSON log lines on stderr" },
  help: { type: 'boolean', short: 'h', description: 'print this help' },
};

/** Options of the commands that write: confirmation. */
export const CONFIRM_OPTIONS: OptionTable = {
  yes: {
    type: 'boolean',
    short: 'y',
    description: 'apply without asking (required when stdin is not a terminal)',
  },
};

type Values = Record<string, string | boolean | string[] | undefined>;

/** Node's parseArgs errors carry a code and a long hint; this says the same in one line, naming the flag. */
function describeParseError(err: Error & { code?: string }): string {
  const option = /'(-[^ ',]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? err.message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(/'([^']*)'/.exec(err.message)?.[1] ?? '')}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const long = /--[a-z0-9-]+/.exec(err.message)?.[0] ?? option ?? 'an option';
      if (/does not take an argument/.test(err.message)) return `${long} takes no value`;
      if (/ambiguous/.test(err.message)) return `${long} needs a value (write ${long}=VALUE for one starting with -)`;
      return `${long} needs a value`;
    }
    default:
      return err.message;
  }
}

/** Parses `args` against the command's options (no positionals); throws {@link UsageError}. */
export function parseCommandLine(spec: CommandSpec, args: string[]): Values {
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw new UsageError(describeParseError(err as Error & { code?: string }), spec);
  }
}

/** The value of a string flag, or undefined; an empty value counts as absent, like an empty UserParameters value. */
export function stringFlag(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The value of a required string flag. */
export function requiredFlag(spec: CommandSpec, values: Values, name: string, what: string): string {
  const v = stringFlag(values, name);
  if (v === undefined) throw new UsageError(`--${name} is required (${what})`, spec);
  return v;
}

/** Every value of a repeatable flag, in order. */
export function listFlag(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** The one-line usage of a command. */
export function usageLine(spec: CommandSpec): string {
  return `usage: cfcd ${spec.name} ${spec.synopsis}`;
}

/** The `--help` text of a command: usage, summary, every option, details. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, `${o.description}${o.multiple ? ' (repeatable)' : ''}`] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)) + 2);
  const options = rows.map(([flag, text]) =>
    flag.length + 2 > width ? `  ${flag}\n  ${' '.repeat(width)}${text}` : `  ${flag.padEnd(width)}${text}`,
  );
  return [usageLine(spec), '', spec.summary, '', 'Options:', ...options, ...(spec.details ? ['', spec.details] : [])]
    .join('\n')
    .concat('\n');
}

/** A number flag within [min, max] (whole with `integer`); `fallback` when absent. */
export function numberFlag(
  spec: CommandSpec,
  values: Values,
  name: string,
  range: { min: number; max: number; integer?: boolean; fallback: number },
): number {
  const raw = stringFlag(values, name);
  if (raw === undefined) return range.fallback;
  const n = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
  const kind = range.integer ? 'a whole number' : 'a number';
  if (!Number.isFinite(n) || (range.integer && !Number.isInteger(n)) || n < range.min || n > range.max)
    throw new UsageError(
      `--${name} must be ${kind} from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`,
      spec,
    );
  return n;
}
