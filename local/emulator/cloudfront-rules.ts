/**
 * CloudFront's continuous-deployment rules, as pure checks over stored state and XML configs. Each throws the
 * ApiError the real service answers with; where the real code is a judgement call, the comment says why.
 */
import { ApiError } from './errors.js';
import {
  attachedPolicyId,
  isStaging,
  type DistributionRecord,
  type PolicyRecord,
  type EmulatedAccount,
} from './account.js';
import { child, inconsistentQuantities, sameXml, textAt, type XmlElement } from './xml.js';

/** Fields an attached primary may still change; anything else needs a detach first. */
const CHANGEABLE_WHILE_ATTACHED = new Set([
  'CacheBehaviors',
  'DefaultCacheBehavior',
  'Origins',
  'OriginGroups',
  'CustomErrorResponses',
  'Restrictions',
  'DefaultRootObject',
  'Logging',
  'Comment',
  'ContinuousDeploymentPolicyId',
  // Handled by its own rule (it can never change), and absent vs "false" mean the same.
  'Staging',
]);

const REQUIRED_DISTRIBUTION_FIELDS = ['CallerReference', 'Origins', 'DefaultCacheBehavior', 'Comment', 'Enabled'];

/** Shape checks every distribution write makes: root, required fields, quantities, default origin. */
export function checkDistributionConfig(config: XmlElement): void {
  if (config.name !== 'DistributionConfig')
    throw new ApiError('MalformedInput', `Expected a DistributionConfig document, got ${config.name}.`);
  for (const f of REQUIRED_DISTRIBUTION_FIELDS) {
    if (!child(config, f)) throw new ApiError('InvalidArgument', `The parameter ${f} is required.`);
  }
  checkQuantities(config);
  const target = textAt(config, 'DefaultCacheBehavior', 'TargetOriginId');
  const origins = child(child(config, 'Origins'), 'Items')?.children ?? [];
  if (!origins.some((o) => textAt(o, 'Id') === target)) {
    throw new ApiError('NoSuchOrigin', `No origin exists with the specified Origin Id ${target}.`, 404);
  }
}

export function checkQuantities(config: XmlElement): void {
  const bad = inconsistentQuantities(config);
  if (bad.length > 0)
    throw new ApiError(
      'InconsistentQuantities',
      `The value of Quantity and the size of Items don't match (${bad.join(', ')}).`,
    );
}

/** CNAMEs are unique across the account's distributions. */
export function checkAliasesFree(account: EmulatedAccount, config: XmlElement, selfId?: string): void {
  const aliases = (child(child(config, 'Aliases'), 'Items')?.children ?? []).map((c) => c.text ?? '');
  for (const d of account.distributions.values()) {
    if (d.id === selfId) continue;
    const theirs = new Set((child(child(d.config, 'Aliases'), 'Items')?.children ?? []).map((c) => c.text ?? ''));
    const clash = aliases.find((a) => theirs.has(a));
    if (clash)
      throw new ApiError(
        'CNAMEAlreadyExists',
        `One or more of the CNAMEs you provided are already associated with a different resource (${clash}).`,
        409,
      );
  }
}

/** Update rules that hold for every distribution: same CallerReference, same Staging flag. */
export function checkImmutableFields(stored: XmlElement, next: XmlElement): void {
  if (textAt(stored, 'CallerReference') !== textAt(next, 'CallerReference')) {
    throw new ApiError('IllegalUpdate', 'The CallerReference of a distribution cannot be changed.');
  }
  if ((textAt(stored, 'Staging') === 'true') !== (textAt(next, 'Staging') === 'true')) {
    throw new ApiError('IllegalUpdate', 'The Staging flag of a distribution cannot be changed.');
  }
}

/** While a policy is attached, only content-like fields may change (CloudFront's documented list). */
export function checkChangesAllowedWhileAttached(stored: XmlElement, next: XmlElement): void {
  const names = new Set([...stored.children, ...next.children].map((c) => c.name));
  const changed = [...names].filter(
    (n) => !CHANGEABLE_WHILE_ATTACHED.has(n) && !sameXml(child(stored, n), child(next, n)),
  );
  if (changed.length > 0) {
    throw new ApiError(
      'IllegalUpdate',
      `One or more fields updated are not supported for continuous deployment (${changed.join(', ')}).`,
    );
  }
}

export const isHttp3 = (config: XmlElement) => ['http3', 'http2and3'].includes(textAt(config, 'HttpVersion') ?? '');

/** The staging distributions a policy names, in order; throws when one does not exist or is not a staging. */
export function policyStagings(account: EmulatedAccount, config: XmlElement): DistributionRecord[] {
  const names = (child(child(config, 'StagingDistributionDnsNames'), 'Items')?.children ?? []).map((c) => c.text ?? '');
  return names.map((name) => {
    const d = account.distributionByDomain(name);
    // The API has no "no such staging" code; the real service answers InvalidArgument for a bad DNS name.
    if (!d || !isStaging(d))
      throw new ApiError(
        'InvalidArgument',
        `StagingDistributionDnsNames: ${name} is not the domain name of a staging distribution.`,
      );
    return d;
  });
}

/** Validates a ContinuousDeploymentPolicyConfig for create/update (`selfId` on update). */
export function checkPolicyConfig(account: EmulatedAccount, config: XmlElement, selfId?: string): void {
  if (config.name !== 'ContinuousDeploymentPolicyConfig')
    throw new ApiError('MalformedInput', `Expected a ContinuousDeploymentPolicyConfig document, got ${config.name}.`);
  checkQuantities(config);
  const quantity = Number(textAt(config, 'StagingDistributionDnsNames', 'Quantity'));
  if (quantity !== 1)
    throw new ApiError('InvalidArgument', 'StagingDistributionDnsNames must name exactly one staging distribution.');
  const enabled = textAt(config, 'Enabled');
  if (enabled !== 'true' && enabled !== 'false')
    throw new ApiError('InvalidArgument', 'Enabled must be true or false.');
  for (const staging of policyStagings(account, config)) {
    for (const other of account.policies.values()) {
      if (other.id === selfId) continue;
      if (policyStagingNames(other).includes(staging.domainName)) {
        throw new ApiError(
          'StagingDistributionInUse',
          `A continuous deployment policy for staging distribution ${staging.id} already exists (${other.id}).`,
          409,
        );
      }
    }
  }
  checkTrafficConfig(child(config, 'TrafficConfig'));
}

function checkTrafficConfig(traffic: XmlElement | undefined): void {
  const type = textAt(traffic, 'Type');
  if (type === 'SingleHeader') {
    const header = textAt(traffic, 'SingleHeaderConfig', 'Header') ?? '';
    if (!header.toLowerCase().startsWith('aws-cf-cd-'))
      throw new ApiError('InvalidArgument', `The header name ${header || '(none)'} must start with aws-cf-cd-.`);
    if (!textAt(traffic, 'SingleHeaderConfig', 'Value'))
      throw new ApiError('InvalidArgument', 'SingleHeaderConfig.Value is required.');
    return;
  }
  if (type === 'SingleWeight') {
    const weight = Number(textAt(traffic, 'SingleWeightConfig', 'Weight'));
    if (!Number.isFinite(weight) || weight < 0 || weight > 0.15)
      throw new ApiError(
        'InvalidArgument',
        `Weight must be between 0 and 0.15, got ${textAt(traffic, 'SingleWeightConfig', 'Weight')}.`,
      );
    const sticky = child(child(traffic, 'SingleWeightConfig'), 'SessionStickinessConfig');
    if (sticky) {
      const idle = Number(textAt(sticky, 'IdleTTL'));
      const max = Number(textAt(sticky, 'MaximumTTL'));
      const inRange = (n: number) => Number.isInteger(n) && n >= 300 && n <= 3600;
      if (!inRange(idle) || !inRange(max))
        throw new ApiError(
          'InvalidArgument',
          'SessionStickinessConfig IdleTTL and MaximumTTL must be between 300 and 3600 seconds.',
        );
      if (idle > max)
        throw new ApiError('InvalidArgument', 'SessionStickinessConfig IdleTTL must not exceed MaximumTTL.');
    }
    return;
  }
  throw new ApiError(
    'InvalidArgument',
    `TrafficConfig.Type must be SingleHeader or SingleWeight, got ${type ?? '(none)'}.`,
  );
}

export const policyStagingNames = (p: PolicyRecord) =>
  (child(child(p.config, 'StagingDistributionDnsNames'), 'Items')?.children ?? []).map((c) => c.text ?? '');

/** Checks attaching `policyId` to distribution `d` whose next config is `next`. */
export function checkAttach(account: EmulatedAccount, d: DistributionRecord, next: XmlElement, policyId: string): void {
  if (textAt(next, 'Staging') === 'true')
    throw new ApiError('InvalidArgument', 'A staging distribution cannot have a continuous deployment policy.');
  const policy = account.policies.get(policyId);
  if (!policy)
    throw new ApiError(
      'NoSuchContinuousDeploymentPolicy',
      `The continuous deployment policy ${policyId} does not exist.`,
      404,
    );
  for (const other of account.distributions.values()) {
    // One policy serves one primary; ContinuousDeploymentPolicyInUse is the closest real code for a second attach.
    if (other.id !== d.id && attachedPolicyId(other) === policyId) {
      throw new ApiError(
        'ContinuousDeploymentPolicyInUse',
        `The continuous deployment policy ${policyId} is already attached to distribution ${other.id}.`,
        409,
      );
    }
  }
  policyStagings(account, policy.config);
  if (isHttp3(next)) {
    throw new ApiError(
      'InvalidArgument',
      'Continuous deployment is not supported for a distribution with HTTP/3 enabled (HttpVersion http3 or http2and3).',
    );
  }
}

/** The policy that names this staging distribution, if any. */
export function policyReferencing(account: EmulatedAccount, staging: DistributionRecord): PolicyRecord | undefined {
  for (const p of account.policies.values()) if (policyStagingNames(p).includes(staging.domainName)) return p;
  return undefined;
}
