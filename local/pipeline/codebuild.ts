/**
 * A local stand-in for a CodeBuild build started by a pipeline's CodeBuild action: the project's buildspec (version
 * 0.2, as infra/pipeline.yml declares it) run with bash in a temporary directory, its sources copied in as CodeBuild
 * lays them out (the primary at CODEBUILD_SRC_DIR, each other input artifact at CODEBUILD_SRC_DIR_<name>), the
 * project's and the action's environment variables set, and its `artifacts` collected into a folder.
 *
 * What differs from CodeBuild, on purpose:
 * - the `install` phase is not run: in CodeBuild it selects the runtime (`runtime-versions`) and downloads cfcd from
 *   where infra/package.sh uploaded it; locally the build runs with the Lambda runtime's Node first on PATH and the
 *   caller points CFCD at the built dist/cli/cfcd.mjs (`localEnvironment`);
 * - the AWS endpoint variables of the emulator are set, so cfcd's calls reach it.
 * As in buildspec 0.2, the commands of a phase run in one shell, in order, and the first that exits non-zero fails
 * the phase and the build; `post_build` still runs after a failed `build`, as CodeBuild does.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { lambdaNode } from './runtime-node.js';

/** The built operator CLI, which the Ship stage's upload runs (in CodeBuild it downloads the same file from S3). */
export const LOCAL_CFCD = fileURLToPath(new URL('../../dist/cli/cfcd.mjs', import.meta.url));

/**
 * What a local build runs with over its project's variables: `awsEnv` (the emulator's endpoint, region and
 * credentials), the Lambda runtime's Node first on PATH (CodeBuild's image selects Node 22 in its install phase), and
 * CFCD pointing at the built cfcd.
 */
export function localBuildEnvironment(awsEnv: Record<string, string>): Record<string, string> {
  return {
    ...awsEnv,
    PATH: `${dirname(lambdaNode().path)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    CFCD: LOCAL_CFCD,
    NO_COLOR: '1',
  };
}

/** The parts of a buildspec the local run uses. */
export interface BuildSpec {
  shell: string;
  phases: { install: string[]; pre_build: string[]; build: string[]; post_build: string[] };
  /** `artifacts.base-directory` (relative to CODEBUILD_SRC_DIR), when the buildspec declares artifacts. */
  artifactsBaseDirectory: string | undefined;
}

class BuildSpecError extends Error {
  override readonly name = 'BuildSpecError';
}

const commandsOf = (phase: unknown, name: string): string[] => {
  if (phase === undefined || phase === null) return [];
  const commands = (phase as { commands?: unknown }).commands;
  if (commands === undefined) return [];
  if (!Array.isArray(commands) || commands.some((c) => typeof c !== 'string'))
    throw new BuildSpecError(`phases.${name}.commands must be a list of strings`);
  return commands as string[];
};

/** Reads a buildspec (version 0.2); throws naming what it cannot run. */
export function parseBuildSpec(text: string): BuildSpec {
  const doc = parse(text) as {
    version?: unknown;
    env?: { shell?: unknown };
    phases?: Record<string, unknown>;
    artifacts?: { 'base-directory'?: unknown; files?: unknown };
  } | null;
  if (!doc || String(doc.version) !== '0.2') throw new BuildSpecError('only buildspec version 0.2 runs locally');
  const shell = doc.env?.shell === undefined ? 'bash' : String(doc.env.shell);
  if (shell !== 'bash' && shell !== 'sh') throw new BuildSpecError(`env.shell ${shell} does not run locally`);
  const phases = doc.phases ?? {};
  for (const name of Object.keys(phases))
    if (!['install', 'pre_build', 'build', 'post_build'].includes(name))
      throw new BuildSpecError(`unknown phase ${name}`);
  const base = doc.artifacts?.['base-directory'];
  if (doc.artifacts && JSON.stringify(doc.artifacts.files) !== '["**/*"]')
    throw new BuildSpecError('locally, artifacts must be files: ["**/*"] of a base-directory');
  return {
    shell,
    phases: {
      install: commandsOf(phases.install, 'install'),
      pre_build: commandsOf(phases.pre_build, 'pre_build'),
      build: commandsOf(phases.build, 'build'),
      post_build: commandsOf(phases.post_build, 'post_build'),
    },
    artifactsBaseDirectory: doc.artifacts ? (base === undefined ? '.' : String(base)) : undefined,
  };
}

export interface LocalBuildRequest {
  buildSpec: string;
  /** The input artifacts' folders, in the action's order: the first is the primary source. */
  sources: { name: string; dir: string }[];
  /** The project's environment variables, then the action's (which win), as CodeBuild merges them. */
  environment: Record<string, string>;
  /** What the local run sets over those: PATH, the emulator's endpoint, CFCD. */
  localEnvironment: Record<string, string>;
}

export interface LocalBuildResult {
  /** `SUCCEEDED`, or the phase that failed. */
  status: 'SUCCEEDED' | 'FAILED';
  failedPhase?: 'PRE_BUILD' | 'BUILD' | 'POST_BUILD';
  exitCode: number;
  /** Everything the build printed (stdout and stderr interleaved), as its CloudWatch log would hold it. */
  log: string;
  /** The collected artifacts' folder (a fresh temporary directory), when the buildspec declares artifacts. */
  artifactsDir?: string;
}

/** The last `n` non-empty lines of a build log. */
export function logTail(log: string, n: number): string[] {
  return log
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n);
}

/** Runs one phase's commands in one shell; resolves with the exit code of the first that failed, else 0. */
function runPhase(
  shell: string,
  commands: string[],
  cwd: string,
  env: Record<string, string>,
  out: (chunk: string) => void,
): Promise<number> {
  if (commands.length === 0) return Promise.resolve(0);
  // Each command, then a check of its status: as in CodeBuild, the first failing command ends the phase.
  const script = commands.map((c) => `${c}\n__cfcd_status=$?; [ "$__cfcd_status" -eq 0 ] || exit "$__cfcd_status"\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(shell, ['-c', script.join('')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', out);
    child.stderr.setEncoding('utf8').on('data', out);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs a build locally; never throws for a failing build (the result says so), only for a broken request. */
export async function runLocalBuild(request: LocalBuildRequest): Promise<LocalBuildResult> {
  const spec = parseBuildSpec(request.buildSpec);
  const [primary, ...secondary] = request.sources;
  if (!primary) throw new BuildSpecError('a CodeBuild action needs at least one input artifact');
  const root = mkdtempSync(join(tmpdir(), 'cfcd-codebuild-'));
  try {
    const src = join(root, 'src');
    cpSync(primary.dir, src, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      TMPDIR: root,
      ...request.environment,
      CODEBUILD_SRC_DIR: src,
      CODEBUILD_BUILD_SUCCEEDING: '1',
      ...request.localEnvironment,
    };
    for (const s of secondary) {
      const dir = join(root, `src_${s.name}`);
      cpSync(s.dir, dir, { recursive: true });
      env[`CODEBUILD_SRC_DIR_${s.name}`] = dir;
    }
    let log = '';
    const out = (chunk: string) => {
      log += chunk;
    };
    let failed: LocalBuildResult['failedPhase'];
    let exitCode = 0;
    for (const [phase, name] of [
      ['pre_build', 'PRE_BUILD'],
      ['build', 'BUILD'],
      ['post_build', 'POST_BUILD'],
    ] as const) {
      // CodeBuild skips BUILD after a failed PRE_BUILD, and runs POST_BUILD whatever BUILD did.
      if (failed && phase !== 'post_build') continue;
      if (failed) env.CODEBUILD_BUILD_SUCCEEDING = '0';
      const code = await runPhase(spec.shell, spec.phases[phase], src, env, out);
      if (code !== 0 && !failed) {
        failed = name;
        exitCode = code;
      }
    }
    if (failed) return { status: 'FAILED', failedPhase: failed, exitCode, log };
    if (spec.artifactsBaseDirectory === undefined) return { status: 'SUCCEEDED', exitCode: 0, log };
    const base = join(src, spec.artifactsBaseDirectory);
    if (!existsSync(base) || !statSync(base).isDirectory())
      return {
        status: 'FAILED',
        failedPhase: 'POST_BUILD',
        exitCode: 1,
        log: `${log}CLIENT_ERROR: no matching base directory path found for ${spec.artifactsBaseDirectory}\n`,
      };
    const artifactsDir = mkdtempSync(join(tmpdir(), 'cfcd-artifact-'));
    cpSync(base, artifactsDir, { recursive: true });
    return { status: 'SUCCEEDED', exitCode: 0, log, artifactsDir };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
