import { describe, expect, it } from 'vitest';
import { type CpuProfile, kindOf, meanTop, ownerOf, selfTimeByOwner } from '../../../bench/cpu-profile.js';

const BUNDLE = 'file:///tmp/dist/enable-cd/index.mjs';
const frame = (id: number, url: string, functionName = '', lineNumber = 0) => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber: 0 },
});

describe('ownerOf', () => {
  it('names the npm package a bundled source came from, scoped or not', () => {
    expect(ownerOf('../node_modules/@smithy/core/dist-es/submodules/client/client.js')).toBe('@smithy/core');
    expect(ownerOf('../../node_modules/fast-xml-parser/src/xmlparser.js')).toBe('fast-xml-parser');
  });

  it('names our own files from the repository root', () => {
    expect(ownerOf('../shared/job/runner.ts')).toBe('shared/job/runner.ts');
    expect(ownerOf('../../work/main/functions/promote/action.ts')).toBe('functions/promote/action.ts');
  });
});

describe('selfTimeByOwner', () => {
  // A sample at t = 1000, 2000, … 7000 µs, each standing for the 1000 µs until the next (the last for none): boot
  // before 2000, the import before 4000, then the invocation.
  const profile: CpuProfile = {
    nodes: [
      frame(1, ''),
      frame(2, BUNDLE, 'a', 10),
      frame(3, BUNDLE, 'b', 20),
      frame(4, 'node:internal/modules/esm/utils', 'compileSourceTextModule'),
      frame(5, '', '(garbage collector)'),
    ],
    startTime: 0,
    samples: [1, 4, 4, 2, 3, 3, 5],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
  const sources: Record<number, string> = {
    10: '../node_modules/@smithy/core/dist-es/x.js',
    20: '../shared/log.ts',
  };
  const split = selfTimeByOwner(profile, BUNDLE, (line) => sources[line], 2000, 4000);

  it('splits the samples at the start and the end of the import', () => {
    expect([...split.boot]).toEqual([['(native)', 1]]);
    expect([...split.import]).toEqual([['node: compile the bundle (V8 parse + compile)', 2]]);
  });

  it('charges bundle frames to the source their position maps to, and Node frames to Node', () => {
    expect(Object.fromEntries(split.invocation)).toEqual({
      '@smithy/core': 1,
      'shared/log.ts': 2,
      '(garbage collector)': 0,
    });
  });

  it('averages several runs', () => {
    const runs = [
      new Map([['x', 2]]),
      new Map([
        ['x', 4],
        ['y', 1],
      ]),
    ];
    expect(meanTop(runs, 5)).toEqual([
      ['x', 3],
      ['y', 0.5],
    ]);
  });
});

describe('kindOf', () => {
  it('tells our code from the SDK, Node and the engine', () => {
    expect(kindOf('shared/job/runner.ts')).toBe('ours');
    expect(kindOf('functions/promote/action.ts')).toBe('ours');
    expect(kindOf('@smithy/core')).toBe('AWS SDK');
    expect(kindOf('@aws-sdk/client-s3')).toBe('AWS SDK');
    expect(kindOf('node: compile the bundle (V8 parse + compile)')).toBe('Node');
    expect(kindOf('(garbage collector)')).toBe('engine');
  });
});
