#!/usr/bin/env node
// Maps the positions in a Lambda stack trace (index.mjs:<line>:<column>) back to the TypeScript sources, with the
// source map of a build of the same commit. The Lambda zips carry no source map (infra/package.sh), so a trace from
// CloudWatch Logs names minified positions; this reads them from standard input and prints the trace with each
// position followed by its source:
//
//   git checkout <deployed commit> && npm ci && npm run build
//   node infra/stack-trace.mjs promote < trace.txt
//
// `--map <file>` reads another source map than dist/<function>/index.mjs.map.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: node infra/stack-trace.mjs <function> [--map <file>] < trace.txt';

function fail(message, code) {
  process.stderr.write(`stack-trace: ${message}\n${USAGE}\n`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { map: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err), 2);
}
if (parsed.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const [name, ...extra] = parsed.positionals;
if (!parsed.values.map && !name) fail('name the function whose trace this is, e.g. promote', 2);
if (extra.length) fail(`unexpected argument ${extra[0]}`, 2);
const mapFile = resolve(parsed.values.map ?? join(repo, 'dist', name, 'index.mjs.map'));
if (!existsSync(mapFile)) fail(`${relative(process.cwd(), mapFile)} does not exist: run npm run build first`, 1);

const payload = JSON.parse(readFileSync(mapFile, 'utf8'));
const map = new SourceMap(payload);
const base = dirname(mapFile);

/** `file:line:column` of the source for a 1-based position in the bundle, or undefined when the map has none. */
function original(line, column) {
  const entry = map.findEntry(line - 1, column - 1);
  if (!entry || entry.originalSource === undefined) return undefined;
  const source = entry.originalSource.startsWith('file://')
    ? fileURLToPath(entry.originalSource)
    : resolve(base, entry.originalSource);
  return `${relative(repo, source)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

const trace = readFileSync(0, 'utf8');
process.stdout.write(
  trace.replace(/index\.mjs:(\d+):(\d+)/g, (position, line, column) => {
    const source = original(Number(line), Number(column));
    return source ? `${position} [${source}]` : position;
  }),
);
