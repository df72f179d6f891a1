/** CloudFront's REST-XML control plane (API version 2020-05-31): distributions, copies, policies, promotion. */
import { ApiError } from './errors.js';
import { LOCATION, PREFIX, bodyXml, iso, xmlResponse } from './cloudfront-protocol.js';
import { invalidationRoutes, inProgressBatches } from './invalidations.js';
import { header, type ApiRequest, type ApiResponse, type Service } from './protocol.js';
import type { Params, Route } from './routes.js';
import { distributionDomain, distributionId, newEtag, policyId, requestId } from './random.js';
import {
  attachedPolicyNaming,
  checkAliasesFree,
  checkAttach,
  checkChangesAllowedWhileAttached,
  checkDistributionConfig,
  checkEnabledChange,
  checkImmutableFields,
  checkNotHttp3,
  checkPolicyConfig,
  checkPolicyQuota,
  checkStagingAliases,
  checkStagingQuota,
  policyEnabled,
  policyReferencing,
  policyStagingNames,
  primaryCarrying,
} from './cloudfront-rules.js';
import {
  attachedPolicyId,
  isEnabled,
  isStaging,
  type DistributionRecord,
  type PolicyRecord,
  type EmulatedAccount,
} from './account.js';
import { child, clone, leaf, node, removeChild, setText, textAt, type XmlElement } from './xml.js';

/**
 * Codes any CloudFront operation may answer although the model declares them for none: MalformedXML and
 * MalformedInput for an unreadable or misshapen body (see bodyXml), Throttling above the control-plane rate
 * (injected faults; real CloudFront answers it to any call), and InternalFailure for an emulator bug.
 */
const COMMON_ERRORS = ['MalformedXML', 'MalformedInput', 'Throttling', 'InternalFailure'];

/** Fields a promotion leaves on the primary; everything else comes from the staging distribution. */
const KEPT_BY_PRIMARY = ['CallerReference', 'Aliases', 'ContinuousDeploymentPolicyId', 'Staging'];

/**
 * A DistributionSummary's config fields, in the model's order, with what CloudFront reports for a required one the
 * config leaves out (its defaults for a new distribution). The summary has no ContinuousDeploymentPolicyId: which
 * policy a primary carries is only in GetDistribution / GetDistributionConfig, as in CloudFront.
 */
const SUMMARY_FIELDS: [string, (() => XmlElement) | undefined][] = [
  ['Aliases', () => node('Aliases', [leaf('Quantity', '0')])],
  ['Origins', undefined],
  ['OriginGroups', undefined],
  ['DefaultCacheBehavior', undefined],
  ['CacheBehaviors', () => node('CacheBehaviors', [leaf('Quantity', '0')])],
  ['CustomErrorResponses', () => node('CustomErrorResponses', [leaf('Quantity', '0')])],
  ['Comment', () => leaf('Comment', '')],
  ['PriceClass', () => leaf('PriceClass', 'PriceClass_All')],
  ['Enabled', undefined],
  [
    'ViewerCertificate',
    () =>
      node('ViewerCertificate', [
        leaf('CloudFrontDefaultCertificate', 'true'),
        leaf('SSLSupportMethod', 'vip'),
        leaf('MinimumProtocolVersion', 'TLSv1'),
        leaf('CertificateSource', 'cloudfront'),
      ]),
  ],
  [
    'Restrictions',
    () => node('Restrictions', [node('GeoRestriction', [leaf('RestrictionType', 'none'), leaf('Quantity', '0')])]),
  ],
  ['WebACLId', () => leaf('WebACLId', '')],
  ['HttpVersion', () => leaf('HttpVersion', 'http2')],
  ['IsIPV6Enabled', () => leaf('IsIPV6Enabled', 'false')],
  ['Staging', () => leaf('Staging', 'false')],
];

/** What ListDistributions and ListContinuousDeploymentPolicies accept as MaxItems (the API reference gives no cap). */
const MAX_LIST_ITEMS = 1000;

/**
 * One page of a list call, ordered by id. `Marker` is the last id of the previous page (the API's NextMarker): the
 * page holds the items after it, so an item deleted between two pages does not break the walk. The API reference
 * says "after the marker" without naming the order; ordering by id is this emulator's choice.
 */
function listPage<T extends { id: string }>(
  req: ApiRequest,
  all: T[],
): { marker: string; maxItems: number; page: T[]; next: string | undefined } {
  const marker = req.query.get('Marker') ?? '';
  const rawMax = req.query.get('MaxItems');
  const maxItems = rawMax === null ? 100 : Number(rawMax);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_LIST_ITEMS)
    throw new ApiError('InvalidArgument', `MaxItems must be an integer from 1 to ${MAX_LIST_ITEMS}, got ${rawMax}.`);
  const after = all.filter((x) => x.id > marker).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const page = after.slice(0, maxItems);
  return { marker, maxItems, page, next: after.length > page.length ? page[page.length - 1]?.id : undefined };
}

/** The single current version a write must name in If-Match. */
function requireIfMatch(req: ApiRequest, current: string): void {
  const given = header(req, 'if-match');
  if (!given)
    throw new ApiError('InvalidIfMatchVersion', 'The If-Match version is missing or not valid for the resource.');
  if (given !== current)
    throw new ApiError(
      'PreconditionFailed',
      'The precondition given in one or more of the request header fields evaluated to false.',
      412,
    );
}

/** The CloudFront service over a shared account. */
export function cloudFront(account: EmulatedAccount): Service {
  const distribution = (id: string): DistributionRecord => {
    const d = account.distributions.get(id);
    if (!d) throw new ApiError('NoSuchDistribution', `The specified distribution does not exist: ${id}.`, 404);
    return d;
  };
  const policy = (id: string): PolicyRecord => {
    const p = account.policies.get(id);
    if (!p)
      throw new ApiError(
        'NoSuchContinuousDeploymentPolicy',
        `The continuous deployment policy does not exist: ${id}.`,
        404,
      );
    return p;
  };

  const distributionXml = (d: DistributionRecord): XmlElement =>
    node('Distribution', [
      leaf('Id', d.id),
      leaf('ARN', d.arn),
      leaf('Status', account.status(d)),
      leaf('LastModifiedTime', iso(d.lastModified)),
      leaf('InProgressInvalidationBatches', String(inProgressBatches(account, d.id))),
      leaf('DomainName', d.domainName),
      node('ActiveTrustedSigners', [leaf('Enabled', 'false'), leaf('Quantity', '0')]),
      node('ActiveTrustedKeyGroups', [leaf('Enabled', 'false'), leaf('Quantity', '0')]),
      clone(d.config),
    ]);
  const policyXml = (p: PolicyRecord): XmlElement =>
    node('ContinuousDeploymentPolicy', [
      leaf('Id', p.id),
      leaf('LastModifiedTime', iso(p.lastModified)),
      clone(p.config),
    ]);

  const distributionSummaryXml = (d: DistributionRecord): XmlElement =>
    node('DistributionSummary', [
      leaf('Id', d.id),
      leaf('ARN', d.arn),
      leaf('Status', account.status(d)),
      leaf('LastModifiedTime', iso(d.lastModified)),
      leaf('DomainName', d.domainName),
      ...SUMMARY_FIELDS.flatMap(([name, fallback]) => {
        const own = child(d.config, name);
        if (own) return [clone(own)];
        return fallback ? [fallback()] : [];
      }),
    ]);

  const writeDistribution = (d: DistributionRecord, config: XmlElement) => {
    // Before the config changes: touch remembers the config the edges serve until the change has propagated.
    account.touch(d);
    d.config = config;
    d.etag = newEtag();
  };
  const writePolicy = (p: PolicyRecord, config: XmlElement) => {
    p.config = config;
    p.etag = newEtag();
    p.lastModified = account.now();
    // A policy change propagates through the primary that carries it.
    for (const d of account.distributions.values()) if (attachedPolicyId(d) === p.id) account.touch(d);
  };

  function insertDistribution(config: XmlElement): ApiResponse {
    const callerReference = textAt(config, 'CallerReference');
    for (const other of account.distributions.values()) {
      // Real CloudFront returns the existing distribution for an identical retry; no caller here relies on that.
      if (textAt(other.config, 'CallerReference') === callerReference) {
        throw new ApiError(
          'DistributionAlreadyExists',
          `A distribution with CallerReference ${callerReference} already exists (${other.id}).`,
          409,
        );
      }
    }
    checkAliasesFree(account, config);
    const id = distributionId();
    const d: DistributionRecord = {
      id,
      arn: `arn:aws:cloudfront::${account.opts.accountId}:distribution/${id}`,
      domainName: distributionDomain(),
      config,
      etag: newEtag(),
      deployedAt: 0,
      lastModified: 0,
    };
    account.touch(d);
    account.distributions.set(id, d);
    return xmlResponse(201, distributionXml(d), { etag: d.etag, location: `${LOCATION}/distribution/${id}` });
  }

  function createDistribution(req: ApiRequest): ApiResponse {
    const config = bodyXml(req, 'MissingBody');
    checkDistributionConfig(config);
    if (textAt(config, 'ContinuousDeploymentPolicyId')) {
      throw new ApiError(
        'InvalidArgument',
        'ContinuousDeploymentPolicyId cannot be set when a distribution is created; attach it with UpdateDistribution.',
      );
    }
    checkStagingAliases(config);
    checkStagingQuota(account, config);
    return insertDistribution(config);
  }

  function updateDistribution(req: ApiRequest, d: DistributionRecord): ApiResponse {
    requireIfMatch(req, d.etag);
    const next = bodyXml(req, 'MissingBody');
    checkDistributionConfig(next);
    checkImmutableFields(d.config, next);
    const attachedId = attachedPolicyId(d);
    // SDK v3 leaves an unset field out: absent means "no change", while an empty element detaches.
    if (!child(next, 'ContinuousDeploymentPolicyId') && attachedId)
      next.children.push(leaf('ContinuousDeploymentPolicyId', attachedId));
    const wanted = textAt(next, 'ContinuousDeploymentPolicyId') || undefined;
    checkStagingAliases(next);
    // Continuous deployment is set up for this distribution: as primary (a policy attached) or as the staging an
    // attached policy names. Either way the same few fields may change.
    const attached = attachedId ? account.policies.get(attachedId) : undefined;
    if (attached || (isStaging(d) && attachedPolicyNaming(account, d)))
      checkChangesAllowedWhileAttached(d.config, next);
    checkEnabledChange(account, d, next, attached);
    if (wanted && wanted !== attachedId) checkAttach(account, d, next, wanted);
    checkAliasesFree(account, next, d.id);
    writeDistribution(d, next);
    return xmlResponse(200, distributionXml(d), { etag: d.etag });
  }

  function deleteDistribution(req: ApiRequest, d: DistributionRecord): ApiResponse {
    requireIfMatch(req, d.etag);
    // A disabled staging an enabled policy still routes to (it was disabled before the policy named it, or the
    // policy was re-enabled since): ResourceInUse, the "in use" code DeleteDistribution declares. Under a disabled
    // policy the staging may go, and the policy is left naming a distribution that no longer exists: the orphan
    // practitioners report (inferred, see checkEnabledChange).
    const p = isStaging(d) ? policyReferencing(account, d) : undefined;
    if (p && policyEnabled(p))
      throw new ApiError(
        'ResourceInUse',
        `Staging distribution ${d.id} is in use by continuous deployment policy ${p.id}, which is enabled.`,
        409,
      );
    if (isEnabled(d) || account.status(d) !== 'Deployed') {
      throw new ApiError(
        'DistributionNotDisabled',
        `The distribution ${d.id} must be disabled and Deployed before it can be deleted.`,
        409,
      );
    }
    account.distributions.delete(d.id);
    return { status: 204 };
  }

  function copyDistribution(req: ApiRequest, primary: DistributionRecord): ApiResponse {
    requireIfMatch(req, primary.etag);
    // API reference: "The only valid value is True, indicating that you are copying to a staging distribution."
    if ((header(req, 'staging') ?? '').toLowerCase() !== 'true')
      throw new ApiError('InvalidArgument', 'The parameter Staging is required, and its only valid value is true.');
    const body = bodyXml(req, 'MissingBody');
    const callerReference = textAt(body, 'CallerReference');
    if (!callerReference) throw new ApiError('InvalidArgument', 'The parameter CallerReference is required.');
    const config = clone(primary.config);
    setText(config, 'CallerReference', callerReference);
    setText(config, 'Staging', 'true');
    // API reference: Enabled "…the default value is True".
    setText(config, 'Enabled', textAt(body, 'Enabled') ?? 'true');
    // A copy cannot share the primary's CNAMEs, nor its policy.
    const aliases = child(config, 'Aliases');
    if (aliases) aliases.children = [leaf('Quantity', '0')];
    removeChild(config, 'ContinuousDeploymentPolicyId');
    checkStagingQuota(account, config);
    return insertDistribution(config);
  }

  function promote(req: ApiRequest, primary: DistributionRecord): ApiResponse {
    const stagingId = req.query.get('StagingDistributionId');
    if (!stagingId) throw new ApiError('InvalidArgument', 'The parameter StagingDistributionId is required.');
    const staging = distribution(stagingId);
    const etags = (header(req, 'if-match') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (etags.length !== 2) {
      throw new ApiError(
        'InvalidIfMatchVersion',
        'If-Match must carry two versions, "<primary ETag>, <staging ETag>", in that order.',
      );
    }
    if (etags[0] !== primary.etag || etags[1] !== staging.etag) {
      throw new ApiError(
        'PreconditionFailed',
        'The precondition given in one or more of the request header fields evaluated to false.',
        412,
      );
    }
    if (!isStaging(staging))
      throw new ApiError('InvalidArgument', `Distribution ${staging.id} is not a staging distribution.`);
    checkNotHttp3(staging.config, `staging ${staging.id}`);
    // Chosen, the API reference being silent: a promotion is accepted while either distribution is InProgress (as
    // UpdateDistribution is; the promote action waits for Deployed anyway) and with the policy disabled (promotion
    // needs the policy attached and naming the staging, and disables it in any case). Fields that differ although
    // continuous deployment cannot carry them (e.g. a staging created with another PriceClass before the attach)
    // are copied as they are: CloudFront documents no check at promotion, so the actions' preflight must catch them.

    const attached = attachedPolicyId(primary);
    const p = attached ? account.policies.get(attached) : undefined;
    if (!p || !policyStagingNames(p).includes(staging.domainName)) {
      throw new ApiError(
        'InvalidArgument',
        `Distribution ${primary.id} has no continuous deployment policy that names staging distribution ${staging.id}.`,
      );
    }
    const promoted: XmlElement = { name: 'DistributionConfig', children: [] };
    for (const c of staging.config.children) {
      if (!KEPT_BY_PRIMARY.includes(c.name)) promoted.children.push(clone(c));
      else {
        const own = child(primary.config, c.name);
        if (own) promoted.children.push(clone(own));
      }
    }
    for (const name of KEPT_BY_PRIMARY) {
      const own = child(primary.config, name);
      if (own && !child(promoted, name)) promoted.children.push(clone(own));
    }
    writeDistribution(primary, promoted);
    // Promotion sends all traffic back to the primary by disabling the policy.
    const disabled = clone(p.config);
    setText(disabled, 'Enabled', 'false');
    writePolicy(p, disabled);
    return xmlResponse(200, distributionXml(primary), { etag: primary.etag });
  }

  function createPolicy(req: ApiRequest): ApiResponse {
    const config = bodyXml(req, { member: 'continuousDeploymentPolicyConfig' });
    checkPolicyQuota(account);
    checkPolicyConfig(account, config);
    const p: PolicyRecord = { id: policyId(), config, etag: newEtag(), lastModified: account.now() };
    account.policies.set(p.id, p);
    return xmlResponse(201, policyXml(p), {
      etag: p.etag,
      location: `${LOCATION}/continuous-deployment-policy/${p.id}`,
    });
  }

  function updatePolicy(req: ApiRequest, p: PolicyRecord): ApiResponse {
    requireIfMatch(req, p.etag);
    const config = bodyXml(req, { member: 'continuousDeploymentPolicyConfig' });
    checkPolicyConfig(account, config, p.id);
    writePolicy(p, config);
    return xmlResponse(200, policyXml(p), { etag: p.etag });
  }

  function deletePolicy(req: ApiRequest, p: PolicyRecord): ApiResponse {
    requireIfMatch(req, p.etag);
    // Refused while attached, enabled or not. Public reports disagree on a disabled one (deleted, and the primary's
    // field emptied: hashicorp/terraform-provider-aws#34511; detached first: aws/aws-sdk-js-v3#7417); the API
    // reference says "You cannot delete a continuous deployment policy that's attached to a primary distribution",
    // and that is what this follows.
    const d = primaryCarrying(account, p.id);
    if (d)
      throw new ApiError(
        'ContinuousDeploymentPolicyInUse',
        `The continuous deployment policy ${p.id} is attached to distribution ${d.id}; detach it first.`,
        409,
      );
    account.policies.delete(p.id);
    return { status: 204 };
  }

  // What an injected concurrent writer leaves behind: a new ETag and, like any real write, a propagation.
  const bumpDistribution = ({ id }: Params) => {
    const d = account.distributions.get(id!);
    if (!d) return;
    d.etag = newEtag();
    account.touch(d);
  };
  const bumpPolicy = ({ id }: Params) => {
    const p = account.policies.get(id!);
    if (!p) return;
    p.etag = newEtag();
    for (const d of account.distributions.values()) if (attachedPolicyId(d) === p.id) account.touch(d);
  };

  function listDistributions(req: ApiRequest): ApiResponse {
    const { marker, maxItems, page, next } = listPage(req, [...account.distributions.values()]);
    return xmlResponse(
      200,
      node('DistributionList', [
        leaf('Marker', marker),
        ...(next ? [leaf('NextMarker', next)] : []),
        leaf('MaxItems', String(maxItems)),
        leaf('IsTruncated', String(next !== undefined)),
        leaf('Quantity', String(page.length)),
        ...(page.length > 0 ? [node('Items', page.map(distributionSummaryXml))] : []),
      ]),
    );
  }

  function listPolicies(req: ApiRequest): ApiResponse {
    const { maxItems, page, next } = listPage(req, [...account.policies.values()]);
    return xmlResponse(
      200,
      node('ContinuousDeploymentPolicyList', [
        ...(next ? [leaf('NextMarker', next)] : []),
        leaf('MaxItems', String(maxItems)),
        leaf('Quantity', String(page.length)),
        ...(page.length > 0
          ? [
              node(
                'Items',
                page.map((p) => node('ContinuousDeploymentPolicySummary', [policyXml(p)])),
              ),
            ]
          : []),
      ]),
    );
  }

  const routes: Route[] = [
    {
      method: 'POST',
      path: `${PREFIX}/distribution`,
      operation: 'CreateDistribution',
      errors: [
        'MissingBody',
        'InvalidArgument',
        'NoSuchOrigin',
        'InconsistentQuantities',
        'DistributionAlreadyExists',
        'CNAMEAlreadyExists',
        'TooManyDistributions',
      ],
      handler: (req) => createDistribution(req),
    },
    {
      method: 'GET',
      path: `${PREFIX}/distribution`,
      operation: 'ListDistributions',
      errors: ['InvalidArgument'],
      handler: (req) => listDistributions(req),
    },
    {
      method: 'GET',
      path: `${PREFIX}/distribution/:id`,
      operation: 'GetDistribution',
      errors: ['NoSuchDistribution'],
      handler: (_, { id }) => {
        const d = distribution(id!);
        return xmlResponse(200, distributionXml(d), { etag: d.etag });
      },
    },
    {
      method: 'DELETE',
      path: `${PREFIX}/distribution/:id`,
      operation: 'DeleteDistribution',
      errors: [
        'NoSuchDistribution',
        'InvalidIfMatchVersion',
        'PreconditionFailed',
        'ResourceInUse',
        'DistributionNotDisabled',
      ],
      handler: (req, { id }) => deleteDistribution(req, distribution(id!)),
      bumpEtag: bumpDistribution,
    },
    {
      method: 'GET',
      path: `${PREFIX}/distribution/:id/config`,
      operation: 'GetDistributionConfig',
      errors: ['NoSuchDistribution'],
      handler: (_, { id }) => {
        const d = distribution(id!);
        return xmlResponse(200, clone(d.config), { etag: d.etag });
      },
    },
    {
      method: 'PUT',
      path: `${PREFIX}/distribution/:id/config`,
      operation: 'UpdateDistribution',
      errors: [
        'NoSuchDistribution',
        'InvalidIfMatchVersion',
        'PreconditionFailed',
        'MissingBody',
        'InvalidArgument',
        'NoSuchOrigin',
        'InconsistentQuantities',
        'IllegalUpdate',
        'StagingDistributionInUse',
        'NoSuchContinuousDeploymentPolicy',
        'ContinuousDeploymentPolicyInUse',
        'CNAMEAlreadyExists',
      ],
      handler: (req, { id }) => updateDistribution(req, distribution(id!)),
      bumpEtag: bumpDistribution,
    },
    {
      method: 'POST',
      path: `${PREFIX}/distribution/:id/copy`,
      operation: 'CopyDistribution',
      errors: [
        'NoSuchDistribution',
        'InvalidIfMatchVersion',
        'PreconditionFailed',
        'InvalidArgument',
        'MissingBody',
        'DistributionAlreadyExists',
        'CNAMEAlreadyExists',
        'TooManyDistributions',
      ],
      handler: (req, { id }) => copyDistribution(req, distribution(id!)),
      bumpEtag: bumpDistribution,
    },
    {
      method: 'PUT',
      path: `${PREFIX}/distribution/:id/promote-staging-config`,
      operation: 'UpdateDistributionWithStagingConfig',
      errors: ['NoSuchDistribution', 'InvalidArgument', 'InvalidIfMatchVersion', 'PreconditionFailed'],
      handler: (req, { id }) => promote(req, distribution(id!)),
      bumpEtag: bumpDistribution,
    },
    {
      method: 'POST',
      path: `${PREFIX}/continuous-deployment-policy`,
      operation: 'CreateContinuousDeploymentPolicy',
      errors: [
        'InvalidArgument',
        'InconsistentQuantities',
        'StagingDistributionInUse',
        'TooManyContinuousDeploymentPolicies',
      ],
      handler: (req) => createPolicy(req),
    },
    {
      method: 'GET',
      path: `${PREFIX}/continuous-deployment-policy`,
      operation: 'ListContinuousDeploymentPolicies',
      errors: ['InvalidArgument'],
      handler: (req) => listPolicies(req),
    },
    {
      method: 'GET',
      path: `${PREFIX}/continuous-deployment-policy/:id`,
      operation: 'GetContinuousDeploymentPolicy',
      errors: ['NoSuchContinuousDeploymentPolicy'],
      handler: (_, { id }) => {
        const p = policy(id!);
        return xmlResponse(200, policyXml(p), { etag: p.etag });
      },
    },
    {
      method: 'PUT',
      path: `${PREFIX}/continuous-deployment-policy/:id`,
      operation: 'UpdateContinuousDeploymentPolicy',
      errors: [
        'NoSuchContinuousDeploymentPolicy',
        'InvalidIfMatchVersion',
        'PreconditionFailed',
        'InvalidArgument',
        'InconsistentQuantities',
        'StagingDistributionInUse',
      ],
      handler: (req, { id }) => updatePolicy(req, policy(id!)),
      bumpEtag: bumpPolicy,
    },
    {
      method: 'DELETE',
      path: `${PREFIX}/continuous-deployment-policy/:id`,
      operation: 'DeleteContinuousDeploymentPolicy',
      errors: [
        'NoSuchContinuousDeploymentPolicy',
        'InvalidIfMatchVersion',
        'PreconditionFailed',
        'ContinuousDeploymentPolicyInUse',
      ],
      handler: (req, { id }) => deletePolicy(req, policy(id!)),
      bumpEtag: bumpPolicy,
    },
    {
      method: 'GET',
      path: `${PREFIX}/continuous-deployment-policy/:id/config`,
      operation: 'GetContinuousDeploymentPolicyConfig',
      errors: ['NoSuchContinuousDeploymentPolicy'],
      handler: (_, { id }) => {
        const p = policy(id!);
        return xmlResponse(200, clone(p.config), { etag: p.etag });
      },
    },
    ...invalidationRoutes(account, distribution),
  ];

  return {
    routes,
    normalizePath: (path) => (path === PREFIX || path.startsWith(`${PREFIX}/`) ? path : undefined),
    // Every request under the API version is CloudFront's: one no row names is refused in CloudFront's shape,
    // never handed on to S3 (whose NoSuchBucket would read like a genuine "not found").
    unmatched: (req) => ({
      name: 'Unknown',
      run: () => {
        throw new ApiError(
          'NotImplemented',
          `The emulator does not implement CloudFront ${req.method} ${req.path}` +
            `${req.query.size > 0 ? `?${req.query}` : ''}.`,
          501,
        );
      },
    }),
    commonErrors: COMMON_ERRORS,
    renderError(err) {
      const rid = requestId();
      const body = node('ErrorResponse', [
        node('Error', [leaf('Type', err.type), leaf('Code', err.code), leaf('Message', err.message)]),
        leaf('RequestId', rid),
      ]);
      return xmlResponse(err.status, body, { 'x-amzn-requestid': rid });
    },
  };
}
