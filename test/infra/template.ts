/**
 * Loads CloudFormation YAML templates with their short-form intrinsic tags (!Ref, !Sub, !If, ...) turned into the
 * long form ({"Fn::Sub": ...}), so tests can walk them as plain data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';

const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Length',
  'ToJsonString',
];

function intrinsicTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  const longName = (name: string): string => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
  for (const name of [...FUNCTIONS, 'Ref', 'Condition', 'GetAtt']) {
    const key = longName(name);
    // !GetAtt Res.Attr is the dotted scalar form of ["Res", "Attr"].
    const scalar = (value: string): unknown =>
      name === 'GetAtt'
        ? { [key]: [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)] }
        : { [key]: value };
    tags.push({ tag: `!${name}`, resolve: scalar } as ScalarTag);
    for (const collection of ['seq', 'map'] as const) {
      tags.push({
        tag: `!${name}`,
        collection,
        resolve: (node: { toJSON(): unknown }) => ({ [key]: node.toJSON() }),
      } as unknown as CollectionTag);
    }
  }
  return tags;
}

export type Template = {
  Parameters?: Record<string, { Type: string; Default?: unknown; AllowedPattern?: string }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Rules?: Record<string, { RuleCondition?: unknown; Assertions: { Assert: unknown; AssertDescription?: string }[] }>;
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Condition?: string; Metadata?: Record<string, unknown> }
  >;
  Outputs?: Record<string, { Value: unknown; Export?: unknown; Condition?: string }>;
};

/** Parses a CloudFormation YAML document. */
export function parseTemplate(text: string): Template {
  return parse(text, { customTags: intrinsicTags() }) as Template;
}

export const infraDir = new URL('../../infra/', import.meta.url).pathname;

/** Every template in infra/ (*.yml), by file name. */
export function loadInfraTemplates(): Map<string, Template> {
  const out = new Map<string, Template>();
  for (const name of readdirSync(infraDir)
    .filter((f) => f.endsWith('.yml'))
    .sort()) {
    out.set(name, parseTemplate(readFileSync(join(infraDir, name), 'utf8')));
  }
  return out;
}

/** True for {"Ref": ...} / {"Fn::...": ...} / {"Condition": ...}: a value CloudFormation computes at deploy time. */
export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}

/**
 * The values a property may take: both branches of every Fn::If (AWS::NoValue dropped), otherwise the value itself.
 * Lists are expanded element by element, so a list element that is an Fn::If yields its branches.
 */
export function alternatives(value: unknown): unknown[] {
  if (isIntrinsic(value) && 'Fn::If' in value) {
    const [, yes, no] = value['Fn::If'] as [string, unknown, unknown];
    return [...alternatives(yes), ...alternatives(no)];
  }
  if (isIntrinsic(value) && value.Ref === 'AWS::NoValue') return [];
  return [value];
}

/** A list whose elements may be Fn::If: every element any branch can produce. */
export function listAlternatives(value: unknown): unknown[] {
  return alternatives(value).flatMap((list) => (Array.isArray(list) ? list.flatMap((e) => alternatives(e)) : [list]));
}

/** Parameter values for a stack: the given ones, the template's defaults for the rest. */
export function parameterValues(template: Template, given: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, p] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? (p.Default === undefined ? undefined : String(p.Default));
    if (value === undefined) throw new Error(`parameter ${name} has no default: give it a value`);
    values[name] = value;
  }
  for (const name of Object.keys(given)) {
    if (!(name in values)) throw new Error(`the template declares no parameter ${name}`);
  }
  return values;
}

/**
 * Evaluates a condition expression (Fn::Equals / Not / And / Or, Condition references, Ref of parameters) the way
 * CloudFormation does for a stack with these parameter values. Used for Conditions and for Rules.
 */
export function evaluateCondition(
  expression: unknown,
  values: Record<string, string>,
  conditions: Record<string, unknown> = {},
): boolean {
  const value = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (isIntrinsic(v) && typeof v.Ref === 'string') {
      const found = values[v.Ref];
      if (found === undefined) throw new Error(`Ref ${v.Ref}: no such parameter`);
      return found;
    }
    throw new Error(`cannot evaluate ${JSON.stringify(v)} in a condition`);
  };
  const test = (e: unknown): boolean => evaluateCondition(e, values, conditions);
  if (!isIntrinsic(expression)) throw new Error(`not a condition: ${JSON.stringify(expression)}`);
  if ('Condition' in expression) {
    const name = expression.Condition as string;
    if (!(name in conditions)) throw new Error(`no condition ${name}`);
    return test(conditions[name]);
  }
  const [fn, args] = Object.entries(expression)[0] as [string, unknown[]];
  switch (fn) {
    case 'Fn::Equals':
      return value(args[0]) === value(args[1]);
    case 'Fn::Not':
      return !test(args[0]);
    case 'Fn::And':
      return args.every(test);
    case 'Fn::Or':
      return args.some(test);
    default:
      throw new Error(`unsupported condition function ${fn}`);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The template as CloudFormation would deploy it with these parameter values: every condition decided, resources and
 * outputs whose condition is false removed, each Fn::If replaced by its chosen branch (AWS::NoValue drops the key or
 * list element). The Conditions section goes, since nothing refers to it any more; parameters (with the values as
 * their defaults) and rules stay.
 */
export function resolveConditions(template: Template, given: Record<string, string>): Template {
  const values = parameterValues(template, given);
  const conditions = template.Conditions ?? {};
  const holds = (name: string) => evaluateCondition({ Condition: name }, values, conditions);
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((e) => e !== NO_VALUE);
    if (isIntrinsic(node) && 'Fn::If' in node) {
      const [name, yes, no] = node['Fn::If'] as [string, unknown, unknown];
      return resolve(holds(name) ? yes : no);
    }
    if (isIntrinsic(node) && node.Ref === 'AWS::NoValue') return NO_VALUE;
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const r = resolve(v);
        if (r !== NO_VALUE) out[k] = r;
      }
      return out;
    }
    return node;
  };
  const keep = <T extends { Condition?: string }>(entries: Record<string, T> | undefined) =>
    Object.fromEntries(
      Object.entries(entries ?? {})
        .filter(([, e]) => e.Condition === undefined || holds(e.Condition))
        .map(([id, e]) => {
          const { Condition: _, ...rest } = e;
          return [id, resolve(rest) as T];
        }),
    );
  const { Conditions: _, ...rest } = template;
  return {
    ...rest,
    // The values become the defaults, so a linter that resolves Ref from defaults sees this stack.
    Parameters: Object.fromEntries(
      Object.entries(template.Parameters ?? {}).map(([name, p]) => [
        name,
        { ...p, Default: p.Default !== undefined && String(p.Default) === values[name] ? p.Default : values[name] },
      ]),
    ),
    Resources: keep(template.Resources),
    ...(template.Outputs ? { Outputs: keep(template.Outputs) } : {}),
  };
}

/** The AssertDescription of every rule the parameter values break (CloudFormation refuses such a stack). */
export function brokenRules(template: Template, given: Record<string, string>): string[] {
  const values = parameterValues(template, given);
  return Object.values(template.Rules ?? {}).flatMap((rule) =>
    rule.RuleCondition === undefined || evaluateCondition(rule.RuleCondition, values)
      ? rule.Assertions.filter((a) => !evaluateCondition(a.Assert, values)).map((a) => a.AssertDescription ?? '?')
      : [],
  );
}

/** The parameters pipeline.yml requires (no default), as the tests that build stacks from it give them. */
export const PIPELINE_REQUIRED_PARAMETERS: Readonly<Record<string, string>> = {
  ConnectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/0123abcd-0000-0000-0000-000000000000',
  FullRepositoryId: 'my-org/my-site',
  PrimaryDistributionId: 'E2QWRUHAPOMQZL',
  OriginDomainName: 'my-site.s3.us-east-1.amazonaws.com',
  OriginAccessControlId: 'E1ABCDEFGHIJKL',
};
