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
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string }>;
  Outputs?: Record<string, { Value: unknown; Export?: unknown }>;
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
