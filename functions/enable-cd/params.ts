import { InputError } from '../../shared/domain/errors.js';
import { type StagingHeader, parseRampHeader } from '../../shared/domain/ramp-header.js';
import { ParamReader, describe, maxWaitMinutes, parseUserParametersJson, present } from '../../shared/domain/params.js';

/** Every UserParameters key enable-CD accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'ContinuousDeploymentPolicyId',
  'StaticResourceBucketName',
  'MaxWaitMinutes',
  'InvalidationPaths',
  'AllowedOriginDomains',
  'RampHeader',
] as const;

export interface EnableCdParams {
  primaryId: string;
  stagingId: string;
  policyId: string;
  /** The OAC origin bucket to grant the staging read access in; absent = not an OAC bucket origin, no grant. */
  bucket: string | undefined;
  maxWaitMinutes: number;
  /**
   * `InvalidationPaths`: invalidated on the staging once it is Deployed, before viewers are routed to it (default
   * `["/*"]`); empty when the operator turned invalidation off.
   */
  invalidationPaths: string[];
  /**
   * `AllowedOriginDomains`: the origin domain names a staging may route viewers to, lower-case, each exact or with one
   * leading `*.` label; undefined (absent, `""` or `[]`) = the domain names of the primary's own origins.
   */
  allowedOriginDomains: string[] | undefined;
  /**
   * `RampHeader`: set when a ramp owns the policy's weights (the pipeline passes it only with RampSteps): the header
   * routing a policy found routing by weight is put on whenever enable-CD switches viewers' routing on, instead of the
   * weight a ramp left. Undefined (absent or `""`): the policy is switched on as it is.
   */
  rampHeader: StagingHeader | undefined;
}

/** Parses enable-CD's UserParameters; throws InputError naming the field. */
export function parseEnableCdParams(raw: unknown): EnableCdParams {
  const values = parseUserParametersJson(raw);
  const p = new ParamReader(values, parameterNames);
  return {
    ...p.primaryAndStaging(),
    policyId: p.policyId('ContinuousDeploymentPolicyId'),
    bucket: p.optionalBucketName('StaticResourceBucketName'),
    maxWaitMinutes: maxWaitMinutes(p),
    invalidationPaths: p.invalidationPaths(),
    allowedOriginDomains: parseAllowedOriginDomains(values.AllowedOriginDomains),
    rampHeader: parseRampHeader(values.RampHeader),
  };
}

/** More would not fit in CodePipeline's 1000-character UserParameters anyway. */
export const MAX_ALLOWED_ORIGIN_DOMAINS = 50;

/** One DNS label: 1–63 of letters, digits and hyphens, not starting or ending with a hyphen. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Reads `AllowedOriginDomains`: a JSON array of domain names (or a string holding one, as pipeline parameters and cfcd
 * flags pass it). Absent, `""` and `[]` mean the default (the primary's own origins), which is why the pipeline
 * template's default is `[]`. Each item is a domain name of at least two labels (compared case-insensitively, so it
 * is kept lower-case), or `*.` followed by one: the wildcard stands for exactly one label, as in a TLS certificate
 * (`*.example.com` allows `a.example.com`, not `example.com` nor `a.b.example.com`). No duplicates. Throws an
 * InputError naming the field and the item.
 */
export function parseAllowedOriginDomains(raw: unknown, field = 'AllowedOriginDomains'): string[] | undefined {
  if (!present(raw)) return undefined;
  const example = 'such as ["my-site.s3.us-east-1.amazonaws.com"]';
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InputError(field, `must be a JSON array of domain names ${example}, got ${describe(raw)}`);
    }
  }
  if (!Array.isArray(value))
    throw new InputError(field, `must be a JSON array of domain names ${example}, got ${describe(value)}`);
  if (value.length === 0) return undefined;
  if (value.length > MAX_ALLOWED_ORIGIN_DOMAINS)
    throw new InputError(field, `has ${value.length} items; at most ${MAX_ALLOWED_ORIGIN_DOMAINS}`);
  const seen = new Set<string>();
  for (const [i, item] of value.entries()) {
    const at = `item ${i}`;
    if (typeof item !== 'string') throw new InputError(field, `${at} must be a string, got ${describe(item)}`);
    const domain = item.toLowerCase();
    const name = domain.startsWith('*.') ? domain.slice(2) : domain;
    const labels = name.split('.');
    if (domain.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label)))
      throw new InputError(
        field,
        `${at} ${describe(item)} is not a domain name (two or more labels of a-z 0-9 -, ` +
          'optionally after one leading "*."; no scheme, path or port)',
      );
    if (seen.has(domain)) throw new InputError(field, `${at} ${describe(item)} is listed twice`);
    seen.add(domain);
  }
  return [...seen];
}

/** True when `domain` (an origin DomainName) is allowed by `allowed` (from {@link parseAllowedOriginDomains}). */
export function originDomainAllowed(domain: string, allowed: readonly string[]): boolean {
  const name = domain.toLowerCase();
  return allowed.some((entry) => {
    if (!entry.startsWith('*.')) return entry === name;
    const suffix = entry.slice(1);
    const label = name.slice(0, name.length - suffix.length);
    return name.endsWith(suffix) && LABEL.test(label);
  });
}
