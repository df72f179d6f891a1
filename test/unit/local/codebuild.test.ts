import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logTail, parseBuildSpec, runLocalBuild } from '../../../local/pipeline/codebuild.js';

let source: string;
beforeEach(() => {
  source = mkdtempSync(join(tmpdir(), 'codebuild-test-'));
  mkdirSync(join(source, 'site'));
  writeFileSync(join(source, 'site', 'index.html'), '<h1>hi</h1>\n');
});
afterEach(() => rmSync(source, { recursive: true, force: true }));

const spec = (build: string[], more = '') =>
  `version: 0.2\nenv:\n  shell: bash\nphases:\n  install:\n    commands:\n      - exit 9\n  build:\n    commands:\n${build
    .map((c) => `      - ${JSON.stringify(c)}`)
    .join('\n')}\n${more}`;

describe('parseBuildSpec', () => {
  it('reads the phases and the artifacts base directory', () => {
    const s = parseBuildSpec(spec(['echo a'], 'artifacts:\n  base-directory: out\n  files:\n    - "**/*"\n'));
    expect(s.phases.build).toEqual(['echo a']);
    expect(s.phases.install).toEqual(['exit 9']);
    expect(s.artifactsBaseDirectory).toBe('out');
  });

  it('refuses what it cannot run locally, naming it', () => {
    expect(() => parseBuildSpec('version: 0.1\n')).toThrow('only buildspec version 0.2');
    expect(() => parseBuildSpec('version: 0.2\nphases:\n  test:\n    commands: [ls]\n')).toThrow('unknown phase test');
    expect(() => parseBuildSpec('version: 0.2\nenv:\n  shell: pwsh\n')).toThrow('env.shell pwsh');
    expect(() => parseBuildSpec('version: 0.2\nartifacts:\n  files: [a.txt]\n')).toThrow('files: ["**/*"]');
  });
});

describe('runLocalBuild', () => {
  const run = (build: string[], more = '', extra: { name: string; dir: string }[] = []) =>
    runLocalBuild({
      buildSpec: spec(build, more),
      sources: [{ name: 'SourceOutput', dir: source }, ...extra],
      environment: { GREETING: 'from the project' },
      localEnvironment: { LOCAL: 'yes' },
    });

  it('runs the commands of a phase in one shell, in the source copy, with the variables; never the install phase', async () => {
    const r = await run(['X=kept', 'echo "$X $GREETING $LOCAL"', 'cat site/index.html', 'touch made-here']);
    expect(r).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    expect(r.log).toBe('kept from the project yes\n<h1>hi</h1>\n');
    // The source folder itself is never written: the build works on a copy.
    expect(readdirSync(source)).toEqual(['site']);
  });

  it('fails the build at the first failing command, with its exit status, and still runs post_build', async () => {
    const r = await run(
      ['echo one', 'false_command_that_does_not_exist 2>/dev/null || exit 4', 'echo never'],
      // A phase of `phases` (indented under it), after build.
      '  post_build:\n    commands:\n      - echo "post_build ran, succeeding=$CODEBUILD_BUILD_SUCCEEDING"\n',
    );
    expect(r.status).toBe('FAILED');
    expect(r.failedPhase).toBe('BUILD');
    expect(r.exitCode).toBe(4);
    expect(r.log).toContain('one\n');
    expect(r.log).not.toContain('never');
    expect(r.log).toContain('post_build ran, succeeding=0\n');
  });

  it('collects the base directory as the artifact, and lays out a secondary source as CODEBUILD_SRC_DIR_<name>', async () => {
    const other = mkdtempSync(join(tmpdir(), 'codebuild-other-'));
    try {
      writeFileSync(join(other, 'extra.txt'), 'extra\n');
      const r = await run(
        ['mkdir -p out/a', 'cp "$CODEBUILD_SRC_DIR_SiteOutput/extra.txt" out/a/', 'echo built > out/b.txt'],
        'artifacts:\n  base-directory: out\n  files:\n    - "**/*"\n',
        [{ name: 'SiteOutput', dir: other }],
      );
      expect(r.status).toBe('SUCCEEDED');
      const dir = r.artifactsDir as string;
      expect(readFileSync(join(dir, 'a', 'extra.txt'), 'utf8')).toBe('extra\n');
      expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('built\n');
      rmSync(dir, { recursive: true, force: true });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('fails when the artifacts base directory is missing, as CodeBuild does', async () => {
    const r = await run(['echo nothing'], 'artifacts:\n  base-directory: out\n  files:\n    - "**/*"\n');
    expect(r.status).toBe('FAILED');
    expect(logTail(r.log, 1)).toEqual(['CLIENT_ERROR: no matching base directory path found for out']);
  });
});
