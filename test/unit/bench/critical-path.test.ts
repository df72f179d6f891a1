import { describe, expect, it } from 'vitest';
import { coveredMs, criticalPath, type Interval } from '../../../bench/critical-path.js';

/** A named request from `startMs` to `endMs`. */
const req = (name: string, startMs: number, endMs: number) => ({ name, startMs, endMs });
const names = (chain: { name: string }[]) => chain.map((r) => r.name);

describe('criticalPath', () => {
  it('is empty for an invocation that made no request', () => {
    expect(criticalPath([])).toEqual({ length: 0, chain: [] });
  });

  it('counts requests that overlap as one round', () => {
    const reads = [req('primary', 0, 50), req('staging', 1, 51), req('policy', 2, 52)];
    expect(criticalPath(reads).length).toBe(1);
  });

  it('counts a request that starts when another ends as waiting for it', () => {
    const path = criticalPath([req('read', 0, 50), req('write', 50, 100)]);
    expect(path.length).toBe(2);
    expect(names(path.chain)).toEqual(['read', 'write']);
  });

  it('finds reads in parallel, then sequential writes, then the report', () => {
    const path = criticalPath([
      req('GetDistribution', 0, 51),
      req('GetDistribution', 0.4, 51.7),
      req('GetBucketPolicy', 0.6, 52),
      req('PutBucketPolicy', 57, 107),
      req('UpdateDistribution', 110, 161),
      req('PutJobSuccessResult', 166, 217),
    ]);
    expect(path.length).toBe(4);
    expect(names(path.chain)).toEqual([
      'GetDistribution',
      'PutBucketPolicy',
      'UpdateDistribution',
      'PutJobSuccessResult',
    ]);
  });

  it('prefers a chain of short requests to one long request that overlaps them', () => {
    const path = criticalPath([
      req('slow', 0, 100),
      req('a', 1, 10),
      req('b', 11, 20),
      req('c', 21, 30),
      req('after', 101, 110),
    ]);
    expect(path.length).toBe(4);
    expect(names(path.chain)).toEqual(['a', 'b', 'c', 'after']);
  });

  it('does not depend on the order requests are given in', () => {
    const path = criticalPath([req('report', 20, 30), req('write', 10, 20), req('read', 0, 10)]);
    expect(names(path.chain)).toEqual(['read', 'write', 'report']);
  });

  it('treats identical zero-length requests as a chain, not as a cycle', () => {
    expect(criticalPath([req('x', 5, 5), req('y', 5, 5)]).length).toBe(2);
  });
});

describe('coveredMs', () => {
  it('counts overlapping time once and adds the gaps nothing covers as not covered', () => {
    const spans: Interval[] = [
      { startMs: 0, endMs: 50 },
      { startMs: 10, endMs: 60 },
      { startMs: 70, endMs: 80 },
    ];
    expect(coveredMs(spans)).toBe(70);
  });

  it('is zero without requests', () => {
    expect(coveredMs([])).toBe(0);
  });
});
