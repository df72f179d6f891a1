/**
 * Calling a service module directly, without HTTP: for states no API path reaches, and for probing every route
 * fast. `call` resolves the request to its operation as the server does.
 */
import { EmulatedAccount } from '../../local/emulator/account.js';
import { cloudFront } from '../../local/emulator/cloudfront.js';
import { cloudWatch } from '../../local/emulator/cloudwatch.js';
import { codePipeline } from '../../local/emulator/codepipeline.js';
import { ApiError } from '../../local/emulator/errors.js';
import type { ApiResponse, Operation, Service } from '../../local/emulator/protocol.js';
import { resolveOperation } from '../../local/emulator/routes.js';

export function account(): EmulatedAccount {
  return new EmulatedAccount({
    propagationMs: 0,
    invalidationMs: 0,
    seed: 1,
    accountId: '123456789012',
    region: 'us-east-1',
    now: () => 0,
  });
}

export const servicesOf = (a: EmulatedAccount) => ({
  cloudFront: cloudFront(a),
  codePipeline: codePipeline(a),
  cloudWatch: cloudWatch(a),
});

/** The operation a request names in `service` (undefined when it is not the service's). */
export function operation(
  service: Service,
  method: string,
  pathAndQuery: string,
  body = '',
  headers: Record<string, string> = {},
): Operation | undefined {
  const url = new URL(pathAndQuery, 'http://127.0.0.1');
  return resolveOperation(service, {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: Buffer.from(body),
  });
}

/** Runs a request: its response, or the ApiError it answers. */
export function call(
  service: Service,
  method: string,
  pathAndQuery: string,
  body = '',
  headers: Record<string, string> = {},
): { op: string; response?: ApiResponse; error?: ApiError } {
  const op = operation(service, method, pathAndQuery, body, headers);
  if (!op) throw new Error(`no operation for ${method} ${pathAndQuery}`);
  try {
    return { op: op.name, response: op.run() };
  } catch (e) {
    if (e instanceof ApiError) return { op: op.name, error: e };
    throw e;
  }
}

const XMLNS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
export const xml = (root: string, inner: string) => `<${root} xmlns="${XMLNS}">${inner}</${root}>`;

export const distributionXml = (callerReference: string, opts: { staging?: boolean; httpVersion?: string } = {}) =>
  xml(
    'DistributionConfig',
    `<CallerReference>${callerReference}</CallerReference><Comment>c</Comment><Enabled>true</Enabled>` +
      `<Staging>${opts.staging ?? false}</Staging><HttpVersion>${opts.httpVersion ?? 'http2'}</HttpVersion>` +
      '<Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>site.s3.us-east-1.amazonaws.com</DomainName>' +
      '<OriginPath>/v1</OriginPath></Origin></Items></Origins>' +
      '<DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy></DefaultCacheBehavior>',
  );

export const policyXml = (stagingDomain: string, enabled = true) =>
  xml(
    'ContinuousDeploymentPolicyConfig',
    `<Enabled>${enabled}</Enabled><StagingDistributionDnsNames><Quantity>1</Quantity><Items><DnsName>${stagingDomain}</DnsName>` +
      '</Items></StagingDistributionDnsNames><TrafficConfig><Type>SingleHeader</Type><SingleHeaderConfig>' +
      '<Header>aws-cf-cd-staging</Header><Value>true</Value></SingleHeaderConfig></TrafficConfig>',
  );

/** A CreateInvalidation body, Quantity matching the paths. */
export const invalidationXml = (callerReference: string, paths: string[]) =>
  xml(
    'InvalidationBatch',
    `<Paths><Quantity>${paths.length}</Quantity>` +
      (paths.length > 0 ? `<Items>${paths.map((p) => `<Path>${p}</Path>`).join('')}</Items>` : '') +
      `</Paths><CallerReference>${callerReference}</CallerReference>`,
  );
