/**
 * The built cfcd as an operator runs it: `dist/cli/cfcd.mjs` on the Lambda runtime's Node (cfcd's supported Node;
 * the machine's may be older), stdin not a terminal, no colour, its output collected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { lambdaNode } from '../../local/pipeline/runtime-node.js';

export const CFCD_NODE = lambdaNode().path;
export const CLI = join(process.cwd(), 'dist/cli/cfcd.mjs');

export interface CfcdRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CfcdOptions {
  /** Variables over the process's own (the emulator's endpoint, …); NO_COLOR is always set. */
  env?: Record<string, string | undefined>;
  /** Sees the whole stderr so far each time more comes (e.g. to press Ctrl-C with `child.kill('SIGINT')`). */
  onStderr?: (stderr: string, child: ChildProcess) => void;
  /** Called once the process is spawned. */
  started?: (child: ChildProcess) => void;
}

/** Runs cfcd with `args` and resolves when it exits. */
export function runCfcd(args: readonly string[], options: CfcdOptions = {}): Promise<CfcdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CFCD_NODE, [CLI, ...args], {
      env: { ...process.env, ...options.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    options.started?.(child);
  });
}
