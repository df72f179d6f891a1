/**
 * Every command line of the project — cfcd's commands, `npm start`, `npm run chaos`, `npm run emulator` — parsed
 * one way. A command declares its options once in an {@link OptionTable} (type, bounds or choices, default, value
 * name, help line), and the same table drives `node:util` parseArgs, the checks of numbers and choices, the `--help`
 * text and the usage line printed with a mistake. A mistake is a {@link UsageError} naming the flag: exit code 2, one
 * line, the usage, nothing called, no stack trace.
 */
import { CfcdError } from '../shared/domain/errors.js';
import { parseArgs } from 'node:util';

interface Described {
  short?: string;
  /** The value's name in the help, e.g. `<id>` or `N`. */
  value?: string;
  description: string;
}

/** A flag without a value: false when absent. */
export interface BooleanOption extends Described {
  type: 'boolean';
}

/** A free-form value (checked by the command itself, e.g. an id by the action's parameter parser). */
export interface StringOption extends Described {
  type: 'string';
  /** May be given more than once (the values are collected in order). */
  multiple?: boolean;
}

/** A number within [min, max]; `integer` for whole numbers only. The help appends the range and the default. */
export interface NumberOption extends Described {
  type: 'integer' | 'number';
  min: number;
  max: number;
  default?: number;
  /** What the number counts, in the message of a value out of bounds: `milliseconds`. */
  unit?: string;
}

/** One of a few words; the help lists them and the default. */
export interface EnumOption<V extends string = string> extends Described {
  type: 'enum';
  values: readonly V[];
  default?: V;
}

export type OptionSpec = BooleanOption | StringOption | NumberOption | EnumOption;
export type OptionTable = Record<string, OptionSpec>;

export interface CommandSpec<T extends OptionTable = OptionTable> {
  /** The command as typed after the program: `status`, `plan promote`; empty for a tool without commands. */
  name: string;
  /** The program as typed before the command and its options: `cfcd` (the default), `npm start --`. */
  program?: string;
  summary: string;
  /** The synopsis after the command, e.g. `--primary <id> [--bucket <name>]`. */
  synopsis: string;
  options: T;
  /** Paragraphs printed after the options in `--help`. */
  details?: string;
}

/** A mistake in a command line; `command` says whose usage to print with it. */
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

/** The value an option stands for once parsed. */
type ValueOf<O> = O extends BooleanOption
  ? boolean
  : O extends NumberOption
    ? number
    : O extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : O extends { multiple: true }
        ? string[]
        : string;

type HasValue<O> = O extends BooleanOption ? true : O extends { default: unknown } ? true : false;

/** Parsed values: booleans and options with a default are always there; the others when given. */
export type Values<T extends OptionTable> = {
  [K in keyof T as HasValue<T[K]> extends true ? K : never]: ValueOf<T[K]>;
} & { [K in keyof T as HasValue<T[K]> extends true ? never : K]?: ValueOf<T[K]> };

/** Options every cfcd command takes. */
export const COMMON_OPTIONS = {
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
} satisfies OptionTable;

/** Options of the cfcd commands that write: confirmation. */
export const CONFIRM_OPTIONS = {
  yes: {
    type: 'boolean',
    short: 'y',
    description: 'apply without asking (required when stdin is not a terminal)',
  },
} satisfies OptionTable;

/** The command as typed up to its options: `cfcd status`, `npm start --`. */
function invocation(spec: CommandSpec): string {
  return [spec.program ?? 'cfcd', spec.name].filter(Boolean).join(' ');
}

/** Who signs a command's error lines: `cfcd status`, `npm start` (without npm's `--`). */
export function signature(spec: CommandSpec): string {
  return invocation(spec).replace(/ --$/, '');
}

/** How much of an argument a message echoes: anything typed or pasted may be any size (a 100 KB token, a file). */
const ECHO_CHARACTERS = 80;

/** `text` cut to {@link ECHO_CHARACTERS}, with "…" when cut. */
export function cut(text: string): string {
  return text.length > ECHO_CHARACTERS ? `${text.slice(0, ECHO_CHARACTERS)}…` : text;
}

/** An argument as a message quotes it: JSON, cut (`"zzz…"`). */
export function quoted(argument: string): string {
  return JSON.stringify(cut(argument));
}

/** Node's parseArgs errors carry a code and a long hint; this says the same in one line, naming the flag. */
function describeParseError(err: Error & { code?: string }): string {
  const option = /'(-[^ ',]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${cut(option ?? err.message)}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const argument = /'([^']*)'/.exec(err.message)?.[1] ?? '';
      return `unexpected argument ${quoted(argument)} (every option starts with --)`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const long = cut(/--[a-z0-9-]+/.exec(err.message)?.[0] ?? option ?? 'an option');
      if (/does not take an argument/.test(err.message)) return `${long} takes no value`;
      if (/ambiguous/.test(err.message)) return `${long} needs a value (write ${long}=VALUE for one starting with -)`;
      return `${long} needs a value`;
    }
    default:
      return cut(err.message);
  }
}

/**
 * Refuses a flag with a value given more than once unless it is repeatable: parseArgs would keep the last value
 * silently, and `--primary A … --primary B` (a flag pasted twice, a script adding its own) would act on whichever came
 * last. A boolean flag said twice means the same thing twice (`npm start -- --build` on a script that passes
 * `--build`), so it stays accepted.
 */
function refuseRepeats(spec: CommandSpec, tokens: readonly { kind: string; name?: string; value?: unknown }[]): void {
  const given = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined || typeof t.value !== 'string') continue;
    given.set(t.name, [...(given.get(t.name) ?? []), t.value]);
  }
  for (const [name, values] of given) {
    const o = spec.options[name];
    if (values.length < 2 || (o?.type === 'string' && o.multiple)) continue;
    const times = values.length === 2 ? 'twice' : `${values.length} times`;
    throw new UsageError(`--${name} is given ${times} (${values.map(quoted).join(', ')}); give it once`, spec);
  }
}

/** `raw` as the number `o` accepts, or a {@link UsageError} naming the flag and the bounds. */
function boundedNumber(spec: CommandSpec, name: string, o: NumberOption, raw: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
  const whole = o.type === 'integer';
  if (!Number.isFinite(n) || (whole && !Number.isSafeInteger(n)) || n < o.min || n > o.max) {
    const kind = `${whole ? 'a whole number' : 'a number'}${o.unit ? ` of ${o.unit}` : ''}`;
    throw new UsageError(`--${name} must be ${kind} from ${o.min} to ${o.max}, got ${quoted(raw)}`, spec);
  }
  return n;
}

/** `raw` if it is one of `o`'s words, or a {@link UsageError} listing them. */
function choice(spec: CommandSpec, name: string, o: EnumOption, raw: string): string {
  if (!o.values.includes(raw))
    throw new UsageError(`--${name} must be one of ${o.values.join(', ')}, got ${quoted(raw)}`, spec);
  return raw;
}

/**
 * Parses `args` against the command's options (no positionals, no unknown flags, no value twice unless repeatable):
 * numbers within their bounds, words among their choices, defaults filled in, booleans false when absent. Throws
 * {@link UsageError}.
 */
export function parseCommandLine<T extends OptionTable>(spec: CommandSpec<T>, args: string[]): Values<T> {
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]) => [
      name,
      {
        type: o.type === 'boolean' ? 'boolean' : 'string',
        ...(o.short ? { short: o.short } : {}),
        ...(o.type === 'string' && o.multiple ? { multiple: true } : {}),
      } as const,
    ]),
  );
  let raw: Record<string, unknown>;
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true });
    raw = parsed.values;
    refuseRepeats(spec, parsed.tokens);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(describeParseError(err as Error & { code?: string }), spec);
  }
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const given = raw[name];
    if (o.type === 'boolean') values[name] = given === true;
    else if (o.type === 'string') values[name] = given;
    else if (typeof given === 'string')
      values[name] = o.type === 'enum' ? choice(spec, name, o, given) : boundedNumber(spec, name, o, given);
    else values[name] = o.default;
  }
  return values as Values<T>;
}

/** The value of a string flag, or undefined; an empty value counts as absent, like an empty UserParameters value. */
export function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Every value of a repeatable flag, in order. */
export function listFlag(values: Record<string, unknown>, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** The one-line usage of a command: `usage: cfcd status --primary <id> …`. */
export function usageLine(spec: CommandSpec): string {
  return `usage: ${invocation(spec)} ${spec.synopsis}`;
}

/** What follows a mistake: the usage line and where to read every option. */
export function usageHint(spec: CommandSpec): string {
  return `${usageLine(spec)}\nRun "${invocation(spec)} --help" for every option.`;
}

/** The line `o` shows in the help, with the bounds, choices and default its table gives. */
function describeOption(o: OptionSpec): string {
  const extras: string[] = [];
  if (o.type === 'integer' || o.type === 'number') extras.push(`, ${o.min}–${o.max}${o.unit ? ` ${o.unit}` : ''}`);
  if ((o.type === 'integer' || o.type === 'number' || o.type === 'enum') && o.default !== undefined)
    extras.push(` (default ${o.default})`);
  if (o.type === 'string' && o.multiple) extras.push(' (repeatable)');
  return `${o.description}${extras.join('')}`;
}

/** The help's width: option lines wrap beyond it, indented under their column. */
const HELP_COLUMNS = 120;

/** `text` in lines of at most `width` characters, broken between words (a longer word keeps its own line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** The `--help` text of a command: usage, summary, every option, details. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const value = o.value ?? (o.type === 'enum' ? o.values.join('|') : undefined);
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${value ? ` ${value}` : ''}`;
    return [flag, describeOption(o)] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)) + 2);
  const indent = ' '.repeat(2 + width);
  const options = rows.map(([flag, text]) => {
    const lines = wrap(text, HELP_COLUMNS - indent.length).join(`\n${indent}`);
    return flag.length + 2 > width ? `  ${flag}\n${indent}${lines}` : `  ${flag.padEnd(width)}${lines}`;
  });
  return [usageLine(spec), '', spec.summary, '', 'Options:', ...options, ...(spec.details ? ['', spec.details] : [])]
    .join('\n')
    .concat('\n');
}

/**
 * Runs a local tool's `main` and exits with the code it resolves. A {@link UsageError} prints `<tool>: <message>`
 * and the usage on stderr (exit 2); any other error prints one line (exit 1), its stack only with `--verbose`.
 */
export function runCommand(spec: CommandSpec, main: () => Promise<number>): void {
  const name = signature(spec);
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${err.message}\n${usageHint(err.command ?? spec)}\n`);
        process.exit(2);
      }
      const canShowStack = 'verbose' in spec.options;
      const verbose = canShowStack && process.argv.includes('--verbose');
      const text = err instanceof Error ? (verbose ? (err.stack ?? err.message) : err.message) : String(err);
      const hint = canShowStack && !verbose ? ' (--verbose shows the stack)' : '';
      process.stderr.write(`${name} failed: ${text}${hint}\n`);
      process.exit(1);
    },
  );
}
