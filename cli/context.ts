/** What every cfcd command gets: its streams, the output mode, and the command line as typed. */
import type { Terminal } from './terminal.js';

export interface Context {
  terminal: Terminal;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** `--json`: stdout carries one JSON document, which the command returns; the text output is left out. */
  json: boolean;
  verbose: boolean;
  /** The arguments after `cfcd`, as typed (a resume command repeats them). */
  argv: string[];
}

/** Writes a line of the text output (nothing under `--json`). */
export function say(ctx: Context, text = ''): void {
  if (!ctx.json) ctx.terminal.line(text);
}

/** One shell word: quoted when it holds anything a shell would interpret. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command line as typed, without `--<flag> <value>` / `--<flag>=<value>` for each of `drop`. */
export function commandLine(argv: string[], drop: string[] = []): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name && drop.includes(name)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    out.push(shellWord(arg));
  }
  return ['cfcd', ...out].join(' ');
}
