/**
 * CloudFront's continuous-deployment rules, as pure checks over stored state and XML configs. Each throws the
 * ApiError the real service answers with, always a code the operation declares in the SDK's model; where the real
 * behaviour is undocumented, the comment says what was chosen and from which source.
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

/**
 * Fields either distribution may still change while continuous deployment is set up (a policy naming the staging is
 * attached to the primary, enabled or not): developer guide, "Update primary and staging distributions"; refused
 * on a staging too (hashicorp/terraform-provider-aws#28920) and after a promotion, while the disabled policy is
 * still attached (aws-samples/amazon-cloudfront-continuous-deployment#8). `Enabled` has its own rule
 * ({@link checkEnabledChange}). So the viewer certificate (and its MinimumProtocolVersion) and the web ACL are
 * refused too: "You can't associate an AWS WAF web ACL to the distribution if it's the first time that ACL has been
 * associated with the distribution. You can't disassociate an AWS WAF web ACL" (developer guide, "Quotas and other
 * considerations for continuous deployment"); the certificate and TLS version are reported refused until the policy
 * is detached (aws/aws-cli#10446). Re-associating an ACL the distribution had before is allowed by the guide's
 * wording; the emulator keeps no such history and refuses every WebACLId change, the stricter reading.
 */
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
  'Enabled',
  // Handled by its own rule (it can never change), and absent vs "false" mean the same.
  'Staging',
]);

/** Developer guide, "Quotas and other considerations for continuous deployment". */
export const MAX_STAGING_DISTRIBUTIONS = 20;
export const MAX_POLICIES = 20;

const HTTP3_MESSAGE =
  'You cannot use continuous deployment with a distribution that supports HTTP/3 (HttpVersion http3 or http2and3)';

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

/**
 * While continuous deployment is set up, only the fields of {@link CHANGEABLE_WHILE_ATTACHED} may change, on the
 * primary and on the staging alike.
 */
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

/**
 * Turning a distribution off while continuous deployment is live. A staging a policy names cannot be disabled
 * while that policy is enabled: StagingDistributionInUse, "…currently used by a continuous deployment policy.
 * Please update the policy before deleting" (hashicorp/terraform-provider-aws#33575). Inferred from that message
 * and from Terraform's teardown (disable the policy, wait, then disable the distribution): once the policy is
 * disabled, either distribution may be disabled; the primary under an enabled policy answers IllegalUpdate.
 */
export function checkEnabledChange(
  account: EmulatedAccount,
  d: DistributionRecord,
  next: XmlElement,
  attached: PolicyRecord | undefined,
): void {
  if (textAt(d.config, 'Enabled') !== 'true' || textAt(next, 'Enabled') === 'true') return;
  if (isStaging(d)) {
    const p = policyReferencing(account, d);
    if (p && policyEnabled(p))
      throw new ApiError(
        'StagingDistributionInUse',
        `The specified staging distribution ${d.id} is currently used by continuous deployment policy ${p.id}, ` +
          'which is enabled; disable the policy first.',
        409,
      );
  } else if (attached && policyEnabled(attached)) {
    throw new ApiError(
      'IllegalUpdate',
      'One or more fields updated are not supported for continuous deployment ' +
        `(Enabled: policy ${attached.id} is enabled; disable it first).`,
    );
  }
}

/** A staging distribution has no CNAMEs (reported: RJPearson94/terraform-aws-open-next#75; the code is assumed). */
export function checkStagingAliases(config: XmlElement): void {
  if (textAt(config, 'Staging') !== 'true') return;
  const quantity = Number(textAt(config, 'Aliases', 'Quantity') ?? '0');
  if (quantity > 0)
    throw new ApiError(
      'InvalidArgument',
      'A staging distribution cannot have alternate domain names (Aliases); they stay on the primary distribution.',
    );
}

/** At most {@link MAX_STAGING_DISTRIBUTIONS} per account; TooManyDistributions is what Create and Copy declare. */
export function checkStagingQuota(account: EmulatedAccount, config: XmlElement): void {
  if (textAt(config, 'Staging') !== 'true') return;
  const stagings = [...account.distributions.values()].filter(isStaging).length;
  if (stagings >= MAX_STAGING_DISTRIBUTIONS)
    throw new ApiError(
      'TooManyDistributions',
      `Your request contains more staging distributions than are allowed per account (${MAX_STAGING_DISTRIBUTIONS}).`,
    );
}

/** At most {@link MAX_POLICIES} continuous deployment policies per account. */
export function checkPolicyQuota(account: EmulatedAccount): void {
  if (account.policies.size >= MAX_POLICIES)
    throw new ApiError(
      'TooManyContinuousDeploymentPolicies',
      `You have reached the maximum number of continuous deployment policies for this account (${MAX_POLICIES}).`,
    );
}

/** "You cannot use continuous deployment with a distribution that supports HTTP/3" — on either side. */
export function checkNotHttp3(config: XmlElement, which: string): void {
  if (isHttp3(config)) throw new ApiError('InvalidArgument', `${HTTP3_MESSAGE}: ${which}.`);
}

export const policyEnabled = (p: PolicyRecord) => textAt(p.config, 'Enabled') === 'true';

/** The primary a policy is attached to, if any. */
export function primaryCarrying(account: EmulatedAccount, policyId: string): DistributionRecord | undefined {
  for (const d of account.distributions.values()) if (attachedPolicyId(d) === policyId) return d;
  return undefined;
}

/** The policy attached to a primary that names this staging: continuous deployment is set up for it. */
export function attachedPolicyNaming(account: EmulatedAccount, staging: DistributionRecord): PolicyRecord | undefined {
  for (const p of account.policies.values())
    if (policyStagingNames(p).includes(staging.domainName) && primaryCarrying(account, p.id)) return p;
  return undefined;
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
  // Re-pointing an attached policy attaches its new staging: the HTTP/3 rule holds as at attach time.
  const carrier = selfId ? primaryCarrying(account, selfId) : undefined;
  for (const staging of policyStagings(account, config)) {
    if (carrier) checkNotHttp3(staging.config, `staging ${staging.id}`);
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
  const other = primaryCarrying(account, policyId);
  // One policy serves one primary; ContinuousDeploymentPolicyInUse is the closest declared code for a second attach.
  if (other && other.id !== d.id) {
    throw new ApiError(
      'ContinuousDeploymentPolicyInUse',
      `The continuous deployment policy ${policyId} is already attached to distribution ${other.id}.`,
      409,
    );
  }
  checkNotHttp3(next, `primary ${d.id}`);
  checkNotMultiTenant(next, `primary ${d.id}`);
  for (const staging of policyStagings(account, policy.config)) checkNotHttp3(staging.config, `staging ${staging.id}`);
}

/**
 * A multi-tenant distribution takes no policy: the API reference of `DistributionConfig.ContinuousDeploymentPolicyId`
 * says "This field only supports standard distributions. You can't specify this field for multi-tenant
 * distributions". The error code is not documented; InvalidArgument is what UpdateDistribution declares for a field
 * it does not accept. An origin's ResponseCompletionTimeout, reported to exclude continuous deployment too, is not
 * refused here: no documentation we found says so, and the emulator stands for what CloudFront is known to do.
 */
export function checkNotMultiTenant(config: XmlElement, which: string): void {
  if (textAt(config, 'ConnectionMode') === 'tenant-only' || child(config, 'TenantConfig'))
    throw new ApiError(
      'InvalidArgument',
      `ContinuousDeploymentPolicyId only supports standard distributions; ${which} is a multi-tenant distribution.`,
    );
}

/** The policy that names this staging distribution, if any. */
export function policyReferencing(account: EmulatedAccount, staging: DistributionRecord): PolicyRecord | undefined {
  for (const p of account.policies.values()) if (policyStagingNames(p).includes(staging.domainName)) return p;
  return undefined;
}
