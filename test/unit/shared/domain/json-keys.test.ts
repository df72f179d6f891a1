import { describe, expect, it } from 'vitest';
import { describePath, findDuplicateKey } from '../../../../shared/domain/json-keys.js';

/** The finding for `text`, after checking that JSON.parse accepts it (the scanner's contract). */
function scan(text: string) {
  JSON.parse(text);
  return findDuplicateKey(text);
}

describe('findDuplicateKey', () => {
  it('finds the key a substituted stack output repeats, which JSON.parse would let win silently', () => {
    const output = 'E2STAGING0000","PrimaryDistributionId":"EOTHER000000';
    const text = `{"PrimaryDistributionId":"EPRIMARY0000","StagingDistributionId":"${output}"}`;
    expect((JSON.parse(text) as { PrimaryDistributionId: string }).PrimaryDistributionId).toBe('EOTHER000000');
    expect(scan(text)).toEqual({ key: 'PrimaryDistributionId', at: [] });
  });

  it.each([
    ['{}'],
    ['{"a":1,"b":2}'],
    ['[]'],
    ['"a"'],
    ['42'],
    ['null'],
    ['[{"a":1},{"a":2}]'],
    ['{"a":{"a":{"a":1}}}'],
    ['{"a":1,"A":2}'],
    ['{"a":"a","b":"a"}'],
    ['{"a\\"":1,"a":2}'],
    ['{"a\\\\":1,"a":2}'],
    ['{"a\\\\\\"":1,"a\\\\":2}'],
    ['{"x":"}{\\"a\\":1,","a":2}'],
    ['{"x":"\\"a\\":1","a":2}'],
    ['{"\\u0061\\u0062":1,"a":2}'],
    ['{"a":[1,{"b":[2,3]},"{\\"b\\":1}"],"b":{"c":null}}'],
    ['  {\n\t"a" : 1 ,\r\n "b" :2 }  '],
  ])('finds none in %s', (text) => {
    expect(scan(text)).toBeUndefined();
  });

  it.each([
    ['{"a":1,"a":2}', 'a', []],
    ['{"a":1,"a":1}', 'a', []],
    ['{"a":1,"\\u0061":2}', 'a', []],
    ['{"\\u0041":1,"A":2}', 'A', []],
    ['{"\\u00e9":1,"é":2}', 'é', []],
    ['{"\\ud83d\\ude00":1,"😀":2}', '😀', []],
    ['{"a\\"b":1,"a\\u0022b":2}', 'a"b', []],
    ['{"a\\\\":1,"a\\u005c":2}', 'a\\', []],
    ['{"\\/":1,"/":2}', '/', []],
    ['{"\\n":1,"\\u000a":2}', '\n', []],
    ['{"":1,"":2}', '', []],
    ['{"__proto__":1,"__proto__":2}', '__proto__', []],
    ['{ "a" : 1 , "b" : 2 , "a" : 3 }', 'a', []],
    ['{"x":"\\"a\\"","a":1,"a":2}', 'a', []],
    ['{"a":{"b":1,"b":2}}', 'b', ['a']],
    ['{"a":{"b":1},"c":{"d":{"e":1,"\\u0065":2}}}', 'e', ['c', 'd']],
    ['{"a":[1,{"k":1},{"k":1,"k":2}]}', 'k', ['a', 2]],
    ['[[{}],[{"k":1,"k":2}]]', 'k', [1, 0]],
    ['{"a":{"x":1},"b":2,"a":3}', 'a', []],
  ])('finds the duplicate in %s', (text, key, at) => {
    expect(scan(text)).toEqual({ key, at });
  });

  it('reports the first key found twice, reading from the start', () => {
    expect(scan('{"a":{"b":1,"b":2},"a":3}')).toEqual({ key: 'b', at: ['a'] });
  });

  it('counts keys per object: the same key in sibling or nested objects is no duplicate', () => {
    expect(scan('{"k":{"k":{"k":1}},"j":[{"k":1},{"k":2}],"i":{"k":1}}')).toBeUndefined();
  });

  it('ends without a finding, and without throwing, on text JSON.parse refuses', () => {
    for (const text of ['{"a":1,"a', '{"a', '"', '{"a\\', '}}]]', '{"a":1,,"a":2'.slice(0, 8), ''])
      expect(() => findDuplicateKey(text)).not.toThrow();
    expect(findDuplicateKey('{"a":1,"a')).toBeUndefined();
  });

  it('scans a megabyte of keys in one linear pass', () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `"key${i}":${i}`);
    const distinct = `{${keys.join(',')}}`;
    const started = performance.now();
    expect(scan(distinct)).toBeUndefined();
    expect(scan(`{${keys.join(',')},"key59999":0}`)).toEqual({ key: 'key59999', at: [] });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('scans long strings full of escapes and quotes without quadratic work', () => {
    const value = '\\"'.repeat(500_000);
    const text = `{"a":"${value}","b":"${'x'.repeat(500_000)}","a":1}`;
    const started = performance.now();
    expect(scan(text)).toEqual({ key: 'a', at: [] });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('follows nesting 10,000 deep without recursion', () => {
    const depth = 10_000;
    const started = performance.now();
    const text = `${'{"a":'.repeat(depth)}{"k":1,"k":2}${'}'.repeat(depth)}`;
    const found = scan(text);
    expect(found?.key).toBe('k');
    expect(found?.at).toHaveLength(depth);
    const arrays = `${'['.repeat(depth)}{"k":1,"k":2}${']'.repeat(depth)}`;
    expect(findDuplicateKey(arrays)?.at).toEqual(new Array(depth).fill(0));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('describePath', () => {
  it('writes keys and indexes as a reader would, quoting keys that are not plain words', () => {
    expect(describePath([])).toBe('');
    expect(describePath(['Gate'])).toBe('Gate');
    expect(describePath(['Gate', 0, 'Name'])).toBe('Gate[0].Name');
    expect(describePath(['a b', 'c"d'])).toBe('["a b"]["c\\"d"]');
  });

  it('cuts a long path to 80 characters', () => {
    const path = describePath(['k'.repeat(500)]);
    expect(path).toHaveLength(80);
    expect(path.endsWith('...')).toBe(true);
  });
});
