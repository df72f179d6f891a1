/**
 * The preflight: can this staging ever be promoted onto this primary? While a continuous deployment policy is set up,
 * CloudFront lets only some fields differ (developer guide, "Updating primary and staging distributions"): cache
 * behaviors, origins and origin groups, custom error responses, geo restrictions, default root object, logging and
 * comment — policies and functions referenced by the behaviors included. Anything else (price class, HTTP version,
 * IPv6, WAF, certificate, enabled…) is refused with `IllegalUpdate`, HTTP/3 on either side rules continuous
 * deployment out, and a staging distribution may not carry aliases. Checked before any write, so that the reviewer
 * never looks at a staging that can never be promoted and promote never fails at the one-way step. Pure: no I/O.
 */
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { NON_PROMOTABLE_FIELDS, sameValue } from './config-diff.js';
import { usesHttp3 } from './distribution-config.js';
import { StateCheckError } from './errors.js';
import type { DistributionState } from './resources.js';

/**
 * The top-level fields that may differ between primary and staging while continuous deployment is set up. The local
 * emulator keeps its own copy of this list on purpose (local/emulator/cloudfront-rules.ts): it stands for CloudFront,
 * and a mistake here must be caught by it, not mirrored.
 */
export const CARRIED_FIELDS = [
  'DefaultCacheBehavior',
  'CacheBehaviors',
  'Origins',
  'OriginGroups',
  'CustomErrorResponses',
  'Restrictions',
  'DefaultRootObject',
  'Logging',
  'Comment',
] as const;

/** One field that stops continuous deployment, with both values as the operator will see them. */
export interface PreflightProblem {
  field: string;
  primary: string;
  staging: string;
  why: string;
}

const show = (value: unknown) => (value === undefined ? '(not set)' : JSON.stringify(value));
const hasAliases = (config: DistributionConfig) => (config.Aliases?.Quantity ?? config.Aliases?.Items?.length ?? 0) > 0;

/** A feature of one distribution that rules continuous deployment out, whatever the other one has. */
export interface CdExclusion {
  field: string;
  value: string;
  why: string;
}

/**
 * The newer CloudFront features that exclude continuous deployment on a distribution (checked on each side):
 * - a multi-tenant distribution (`ConnectionMode` tenant-only, or a `TenantConfig`): the API reference of
 *   `DistributionConfig.ContinuousDeploymentPolicyId` says "This field only supports standard distributions. You
 *   can't specify this field for multi-tenant distributions";
 * - an origin's `ResponseCompletionTimeout`: reported to exclude continuous deployment (our AWS notes, late 2026);
 *   the developer guide's continuous-deployment pages we could find do not list it, so the message says "reported".
 */
export function cdExclusions(config: DistributionConfig): CdExclusion[] {
  const found: CdExclusion[] = [];
  if (config.ConnectionMode === 'tenant-only' || config.TenantConfig !== undefined)
    found.push({
      field: config.ConnectionMode === 'tenant-only' ? 'ConnectionMode' : 'TenantConfig',
      value: config.ConnectionMode === 'tenant-only' ? show(config.ConnectionMode) : show(config.TenantConfig),
      why:
        'a multi-tenant distribution cannot take a continuous deployment policy (standard distributions only); ' +
        'use a standard distribution (ConnectionMode direct) for primary and staging',
    });
  for (const origin of config.Origins?.Items ?? [])
    if (origin.ResponseCompletionTimeout)
      found.push({
        field: `Origins[${origin.Id}].ResponseCompletionTimeout`,
        value: String(origin.ResponseCompletionTimeout),
        why:
          "an origin's response-completion timeout is reported not to work with continuous deployment; " +
          'remove it from the origin (OriginReadTimeout still applies) on both distributions',
      });
  return found;
}

/** Every reason this staging cannot be promoted onto this primary; empty when it can. */
export function preflightProblems(primary: DistributionConfig, staging: DistributionConfig): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const excluded = new Map<string, PreflightProblem>();
  for (const [side, config] of [
    ['primary', primary],
    ['staging', staging],
  ] as const)
    for (const e of cdExclusions(config)) {
      const known = excluded.get(e.field) ?? { field: e.field, primary: '(not set)', staging: '(not set)', why: e.why };
      known[side] = e.value;
      excluded.set(e.field, known);
    }
  problems.push(...excluded.values());
  const skip = new Set<string>([
    ...CARRIED_FIELDS,
    ...NON_PROMOTABLE_FIELDS,
    'HttpVersion',
    ...[...excluded.keys()].filter((f) => !f.includes('[')),
  ]);
  if (usesHttp3(primary) || usesHttp3(staging)) {
    problems.push({
      field: 'HttpVersion',
      primary: show(primary.HttpVersion),
      staging: show(staging.HttpVersion),
      why:
        'CloudFront continuous deployment does not support HTTP/3 on either distribution; ' +
        'set HttpVersion to http2 (or http2and1.1) on both',
    });
  } else if (!sameValue(primary.HttpVersion, staging.HttpVersion)) {
    problems.push({
      field: 'HttpVersion',
      primary: show(primary.HttpVersion),
      staging: show(staging.HttpVersion),
      why: 'cannot differ while continuous deployment is set up',
    });
  }
  if (hasAliases(staging)) {
    problems.push({
      field: 'Aliases',
      primary: show(primary.Aliases?.Items ?? []),
      staging: show(staging.Aliases?.Items ?? []),
      why: 'a staging distribution may not have aliases (the primary keeps them through a promotion)',
    });
  }
  const fields = new Set([...Object.keys(primary), ...Object.keys(staging)]);
  for (const field of [...fields].sort()) {
    if (skip.has(field)) continue;
    const a = (primary as unknown as Record<string, unknown>)[field];
    const b = (staging as unknown as Record<string, unknown>)[field];
    if (!sameValue(a, b)) {
      problems.push({
        field,
        primary: show(a),
        staging: show(b),
        why: 'cannot differ while continuous deployment is set up',
      });
    }
  }
  return problems;
}

/** Refuses, before any write, a pair that continuous deployment cannot carry; `doing` says what was about to happen. */
export function checkPreflight(primary: DistributionState, staging: DistributionState, doing: string): void {
  const problems = preflightProblems(primary.config, staging.config);
  if (!problems.length) return;
  const lines = problems.map((p) => `${p.field}: primary ${p.primary}, staging ${p.staging} (${p.why})`);
  throw new StateCheckError(
    `staging ${staging.id} can never be promoted onto primary ${primary.id}, ` +
      `so nothing was changed (${doing}): ${lines.join('; ')}. ` +
      'Change these fields on the staging to match the primary (the staging stack), ' +
      'or change them on both distributions the same way; ' +
      'a change to the primary that continuous deployment forbids needs the policy detached first ' +
      '(`cfcd suspend --primary <id>`, then `cfcd resume`; in a pipeline: abort with Mode detach, then enable-CD).',
  );
}
