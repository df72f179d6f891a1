/**
 * What each built bundle weighs and which AWS SDK clients it carries, from dist/<name>/index.mjs and esbuild's
 * metafile (dist/<name>/meta.json). A client counts as carried when any of its bytes reach the output: a file that
 * esbuild visited but tree-shook away entirely does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleFigures {
  function: string;
  bytes: number;
  /** gzip at node:zlib's default level. */
  gzipBytes: number;
  /** Package names such as `client-cloudfront`, with the bytes each contributes to the output. */
  clients: Record<string, number>;
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

const CLIENT_PATH = /node_modules\/@aws-sdk\/(client-[^/]+)\//;

/** Sizes and carried SDK clients of dist/<name>/index.mjs. */
export function bundleFigures(name: string, distDir: string): BundleFigures {
  const file = join(distDir, name, 'index.mjs');
  const code = readFileSync(file);
  const meta = JSON.parse(readFileSync(join(distDir, name, 'meta.json'), 'utf8')) as Metafile;
  const output = Object.entries(meta.outputs).find(([path]) => path.endsWith(`${name}/index.mjs`))?.[1];
  if (!output) throw new Error(`dist/${name}/meta.json has no output for index.mjs: rebuild with npm run build`);
  const clients: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const client = CLIENT_PATH.exec(input)?.[1];
    if (client && bytesInOutput > 0) clients[client] = (clients[client] ?? 0) + bytesInOutput;
  }
  return { function: name, bytes: code.length, gzipBytes: gzipSync(code).length, clients };
}
