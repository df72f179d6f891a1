import { describe, expect, it } from 'vitest';
import {
  IMMUTABLE,
  NO_CACHE,
  SHORT,
  cacheControlOf,
  contentTypeOf,
  globToRegExp,
  isFingerprinted,
  parseCacheRules,
} from '../../../../shared/release/content.js';

const SOURCE = { function: '--cache-rules rules.json', noun: 'rule' };

describe('Content-Type by extension', () => {
  it('names text types with their charset and binary types without', () => {
    expect(contentTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('assets/app.3f2a9c1d.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('m.mjs')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('site.webmanifest')).toBe('application/manifest+json; charset=utf-8');
    expect(contentTypeOf('logo.svg')).toBe('image/svg+xml; charset=utf-8');
    expect(contentTypeOf('a/b/photo.jpeg')).toBe('image/jpeg');
    expect(contentTypeOf('font.woff2')).toBe('font/woff2');
    expect(contentTypeOf('app.wasm')).toBe('application/wasm');
  });

  it('serves an unknown or missing extension as application/octet-stream', () => {
    expect(contentTypeOf('archive.xyz')).toBe('application/octet-stream');
    expect(contentTypeOf('LICENSE')).toBe('application/octet-stream');
    expect(contentTypeOf('.well-known/security')).toBe('application/octet-stream');
  });
});

describe('fingerprints', () => {
  it("recognises the bundlers' hashed names", () => {
    for (const name of [
      'app.3f2a9c1d.js',
      'app-3F2A9C1D4E.css',
      'index-Bq3f8xYz.js',
      'a/3f2a9c1d.js',
      'x.1a2b3c4d5e.min.js',
    ])
      expect(isFingerprinted(name), name).toBe(true);
  });

  it('does not take words, dates, versions or short hashes for one', () => {
    for (const name of [
      'bootstrap.min.js',
      'report-20240101.pdf',
      'jquery-3.7.1.js',
      'app.3f2a9c.js',
      'whitepaper2024.pdf',
      'deadbeefcafe.js',
    ])
      expect(isFingerprinted(name), name).toBe(false);
  });
});

describe('Cache-Control by rule', () => {
  it('revalidates HTML and extensionless names, keeps fingerprints a year, anything else five minutes', () => {
    expect(cacheControlOf('index.html')).toBe(NO_CACHE);
    expect(cacheControlOf('docs/page.htm')).toBe(NO_CACHE);
    expect(cacheControlOf('.well-known/security')).toBe(NO_CACHE);
    expect(cacheControlOf('assets/app.3f2a9c1d.js')).toBe(IMMUTABLE);
    expect(cacheControlOf('favicon.ico')).toBe(SHORT);
  });

  it('lets the first matching rule win over the defaults', () => {
    const rules = [
      { match: 'static/**', cacheControl: 'public, max-age=600' },
      { match: '**/*.html', cacheControl: 'public, max-age=60' },
    ];
    expect(cacheControlOf('static/a/b.html', rules)).toBe('public, max-age=600');
    expect(cacheControlOf('docs/a.html', rules)).toBe('public, max-age=60');
    expect(cacheControlOf('index.html', rules)).toBe('public, max-age=60');
    expect(cacheControlOf('app.css', rules)).toBe(SHORT);
  });

  it('reads globs as documented: * and ? stop at "/", ** crosses it, the rest is literal', () => {
    expect(globToRegExp('*.js').test('app.js')).toBe(true);
    expect(globToRegExp('*.js').test('a/app.js')).toBe(false);
    expect(globToRegExp('**/*.js').test('a/b/app.js')).toBe(true);
    expect(globToRegExp('a?c.txt').test('abc.txt')).toBe(true);
    expect(globToRegExp('a?c.txt').test('a/c.txt')).toBe(false);
    expect(globToRegExp('a.(b)+').test('a.(b)+')).toBe(true);
    expect(globToRegExp('a.js').test('abjs')).toBe(false);
  });
});

describe('the cache rules file', () => {
  it('reads a list of {match, cacheControl}', () => {
    expect(parseCacheRules('[{"match":"fonts/**","cacheControl":"public, max-age=86400"}]', SOURCE)).toEqual([
      { match: 'fonts/**', cacheControl: 'public, max-age=86400' },
    ]);
  });

  it('names the file, the rule index and the field at fault', () => {
    expect(() => parseCacheRules('{', SOURCE)).toThrow(/^--cache-rules rules.json: is not JSON/);
    expect(() => parseCacheRules('{"match":"*"}', SOURCE)).toThrow(/must be a JSON list/);
    expect(() => parseCacheRules('[{"match":"*","cacheControl":"x"}, 3]', SOURCE)).toThrow(
      /^--cache-rules rules.json: rule \[1\]: must be an object/,
    );
    expect(() => parseCacheRules('[{"match":"*","cacheControl":""}]', SOURCE)).toThrow(/rule \[0\]\.cacheControl:/);
    expect(() => parseCacheRules('[{"match":"*","cacheControl":"a\\nb"}]', SOURCE)).toThrow(/\[0\]\.cacheControl/);
    expect(() => parseCacheRules('[{"match":"/x","cacheControl":"a"}]', SOURCE)).toThrow(/rule \[0\]\.match:/);
    expect(() => parseCacheRules('[{"match":"x","cacheControl":"a","ttl":3}]', SOURCE)).toThrow(
      /rule \[0\]\.ttl: is not a field/,
    );
  });
});
