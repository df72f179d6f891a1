import { describe, expect, it } from 'vitest';
import {
  MAX_ALLOWED_ORIGIN_DOMAINS,
  originDomainAllowed,
  parseAllowedOriginDomains,
  parseEnableCdParams,
} from '../../../../functions/enable-cd/params.js';
import { InputError } from '../../../../shared/domain/errors.js';
import { POLICY_ID, PRIMARY_ID, STAGING_ID } from '../../fixtures.js';

const base = {
  PrimaryDistributionId: PRIMARY_ID,
  StagingDistributionId: STAGING_ID,
  ContinuousDeploymentPolicyId: POLICY_ID,
};
const parse = (extra: Record<string, unknown>) => parseEnableCdParams(JSON.stringify({ ...base, ...extra }));

describe('AllowedOriginDomains', () => {
  it("defaults to the primary's own origins when absent, empty or [] (the template's default)", () => {
    expect(parse({}).allowedOriginDomains).toBeUndefined();
    expect(parse({ AllowedOriginDomains: '' }).allowedOriginDomains).toBeUndefined();
    expect(parse({ AllowedOriginDomains: [] }).allowedOriginDomains).toBeUndefined();
    expect(parse({ AllowedOriginDomains: '[]' }).allowedOriginDomains).toBeUndefined();
  });

  it('accepts a JSON array, or a string holding one (cfcd flags), kept lower-case', () => {
    const list = ['Site.S3.us-east-1.amazonaws.com', '*.example.com'];
    expect(parse({ AllowedOriginDomains: list }).allowedOriginDomains).toEqual([
      'site.s3.us-east-1.amazonaws.com',
      '*.example.com',
    ]);
    expect(parse({ AllowedOriginDomains: JSON.stringify(list) }).allowedOriginDomains).toHaveLength(2);
  });

  it.each([
    ['not JSON', '[evil.com', /must be a JSON array of domain names/],
    ['an object', { a: 'b' }, /must be a JSON array of domain names/],
    ['a number item', [3], /item 0 must be a string, got 3/],
    ['a URL', ['https://evil.example.com'], /item 0 "https:\/\/evil.example.com" is not a domain name/],
    ['a path', ['evil.example.com/x'], /is not a domain name/],
    ['a port', ['evil.example.com:443'], /is not a domain name/],
    ['one label', ['localhost'], /is not a domain name/],
    ['a bare wildcard', ['*'], /is not a domain name/],
    ['a wildcard over a top-level domain', ['*.com'], /is not a domain name/],
    ['a wildcard inside', ['a.*.example.com'], /is not a domain name/],
    ['two wildcard labels', ['*.*.example.com'], /is not a domain name/],
    ['a partial-label wildcard', ['a*.example.com'], /is not a domain name/],
    ['a label starting with a hyphen', ['-a.example.com'], /is not a domain name/],
    ['a quote', ['a.example.com","PrimaryDistributionId'], /is not a domain name/],
    ['a duplicate (any case)', ['a.example.com', 'A.example.com'], /item 1 "A.example.com" is listed twice/],
    ['too many', Array.from({ length: MAX_ALLOWED_ORIGIN_DOMAINS + 1 }, (_, i) => `o${i}.example.com`), /at most/],
  ])('refuses %s, naming the field', (_, value, message) => {
    expect(() => parse({ AllowedOriginDomains: value })).toThrow(InputError);
    expect(() => parse({ AllowedOriginDomains: value })).toThrow(message);
    try {
      parse({ AllowedOriginDomains: value });
    } catch (err) {
      expect((err as InputError).message).toContain('AllowedOriginDomains');
    }
  });

  it('matches a domain exactly, case-insensitively, and a wildcard for exactly one label', () => {
    const allowed = parseAllowedOriginDomains(['site.s3.us-east-1.amazonaws.com', '*.example.com'])!;
    expect(originDomainAllowed('site.s3.us-east-1.amazonaws.com', allowed)).toBe(true);
    expect(originDomainAllowed('SITE.s3.us-east-1.amazonaws.com', allowed)).toBe(true);
    expect(originDomainAllowed('other.s3.us-east-1.amazonaws.com', allowed)).toBe(false);
    expect(originDomainAllowed('site.s3.us-east-1.amazonaws.com.evil.net', allowed)).toBe(false);
    expect(originDomainAllowed('a.example.com', allowed)).toBe(true);
    expect(originDomainAllowed('example.com', allowed)).toBe(false);
    expect(originDomainAllowed('a.b.example.com', allowed)).toBe(false);
    expect(originDomainAllowed('evilexample.com', allowed)).toBe(false);
  });
});

describe('RampHeader', () => {
  it('is off when absent or "" (the template passes "" without RampSteps)', () => {
    expect(parse({}).rampHeader).toBeUndefined();
    expect(parse({ RampHeader: '' }).rampHeader).toBeUndefined();
  });

  it('reads "<name>: <value>", with or without the space', () => {
    expect(parse({ RampHeader: 'aws-cf-cd-staging: true' }).rampHeader).toEqual({
      header: 'aws-cf-cd-staging',
      value: 'true',
    });
    expect(parse({ RampHeader: 'aws-cf-cd-Canary:v2.1_x' }).rampHeader).toEqual({
      header: 'aws-cf-cd-Canary',
      value: 'v2.1_x',
    });
  });

  it('refuses anything else, naming the field', () => {
    for (const bad of ['true', 'x-staging: true', 'aws-cf-cd-staging:', 'aws-cf-cd-staging: a b', 'aws-cf-cd-: 1', 7]) {
      const err = (() => {
        try {
          parse({ RampHeader: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(err, String(bad)).toBeInstanceOf(InputError);
      expect((err as InputError).message, String(bad)).toMatch(/RampHeader/);
    }
  });
});
