/**
 * A small model of IAM policy evaluation, enough to ask the templates "may this role do that to this ARN?" as
 * deployed with given parameters (template.ts's resolveConditions first). It knows what the templates use: exact
 * actions, ARNs with "*", and the condition operators StringEquals and ForAllValues:StringEquals on the tag keys
 * aws:RequestTag/<key>, aws:ResourceTag/<key> and aws:TagKeys. Anything else throws, so that a new kind of
 * condition makes the policy test fail loudly instead of being read as "no condition".
 */
import { isIntrinsic } from './template.js';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** What a request carries: the tags it sets and the tags the resource already has. */
export interface RequestContext {
  requestTags?: Record<string, string>;
  resourceTags?: Record<string, string>;
}

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/**
 * The concrete ARNs (or ARN patterns) a Resource names in a stack with these parameter values. A resource of the
 * stack itself becomes `stack:<LogicalId>` (its Ref) or `stack:<LogicalId>.<Attribute>` (its GetAtt).
 */
export function concreteResources(resource: unknown, values: Record<string, string>): string[] {
  if (Array.isArray(resource)) return resource.flatMap((r) => concreteResources(r, values));
  if (typeof resource === 'string') return [resource];
  if (isIntrinsic(resource) && 'Fn::Sub' in resource) {
    const text = String(resource['Fn::Sub']);
    return [
      text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name === 'AWS::Partition') return 'aws';
        if (name === 'AWS::AccountId') return ACCOUNT;
        if (name === 'AWS::Region') return REGION;
        return values[name] ?? `stack:${name}`;
      }),
    ];
  }
  if (isIntrinsic(resource) && 'Fn::GetAtt' in resource) {
    const [logicalId, attribute] = resource['Fn::GetAtt'] as [string, string];
    return [`stack:${logicalId}.${attribute}`];
  }
  if (isIntrinsic(resource) && typeof resource.Ref === 'string')
    return [values[resource.Ref] ?? `stack:${resource.Ref}`];
  if (isIntrinsic(resource) && 'Fn::Split' in resource) {
    const [separator, source] = resource['Fn::Split'] as [string, unknown];
    return concreteResources(source, values).flatMap((s) => s.split(separator));
  }
  throw new Error(`cannot resolve Resource ${JSON.stringify(resource)}`);
}

function matchesArn(pattern: string, arn: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(arn);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function contextValues(key: string, context: RequestContext): string[] | undefined {
  const requestTags = context.requestTags ?? {};
  if (key === 'aws:TagKeys') return Object.keys(requestTags);
  const [prefix, tagKey] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
  const tags = prefix === 'aws:RequestTag' ? requestTags : prefix === 'aws:ResourceTag' ? context.resourceTags : null;
  if (tags === null || !key.includes('/')) throw new Error(`the IAM model knows no condition key ${key}`);
  const value = tags?.[tagKey];
  return value === undefined ? undefined : [value];
}

function conditionHolds(
  condition: PolicyStatement['Condition'],
  context: RequestContext,
  values: Record<string, string>,
): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const allowed = concreteResources(expected, values);
      const actual = contextValues(key, context);
      switch (operator) {
        case 'StringEquals':
          // A single-valued key: absent = no match.
          if (actual === undefined || !actual.some((v) => allowed.includes(v))) return false;
          break;
        case 'ForAllValues:StringEquals':
          // Every value the request carries is one of the allowed (true for none: pair it with a StringEquals).
          if (!(actual ?? []).every((v) => allowed.includes(v))) return false;
          break;
        default:
          throw new Error(`the IAM model knows no condition operator ${operator}`);
      }
    }
  }
  return true;
}

function applies(
  s: PolicyStatement,
  action: string,
  arn: string,
  context: RequestContext,
  values: Record<string, string>,
): boolean {
  return (
    [s.Action].flat().includes(action) &&
    concreteResources(s.Resource, values).some((pattern) => matchesArn(pattern, arn)) &&
    conditionHolds(s.Condition, context, values)
  );
}

/** True when the statements allow the action on the ARN for this request and no statement denies it. */
export function allows(
  statements: readonly PolicyStatement[],
  action: string,
  arn: string,
  values: Record<string, string>,
  context: RequestContext = {},
): boolean {
  const relevant = statements.filter((s) => applies(s, action, arn, context, values));
  return relevant.some((s) => s.Effect === 'Allow') && !relevant.some((s) => s.Effect === 'Deny');
}
