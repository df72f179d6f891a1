/**
 * A small structural validator of CloudFormation resources against the official resource schemas shipped in
 * `@aws-cdk/aws-service-spec`: resource types and property names exist, required properties are present, and enum
 * values are allowed, recursively into nested property types. Values computed by intrinsic functions are skipped
 * (their result is only known at deploy time); Fn::If is checked branch by branch.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { alternatives, isIntrinsic } from './template.js';

type SpecDatabase = ReturnType<typeof loadAwsServiceSpecSync>;
type PropertyType =
  | { type: 'string'; allowedValues?: string[] }
  | { type: 'integer'; allowedValues?: number[] }
  | { type: 'number' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array' | 'map'; element: PropertyType }
  | { type: 'union'; types: PropertyType[] };
type Properties = Record<string, { required?: boolean; type: PropertyType }>;

let cached: SpecDatabase | undefined;
function database(): SpecDatabase {
  cached ??= loadAwsServiceSpecSync();
  return cached;
}

/**
 * Properties that `aws cloudformation package` rewrites from a local path to an S3 location before deployment:
 * a string there is a path, not a schema violation.
 */
const PACKAGED_PATHS: Record<string, string[]> = {
  'AWS::Lambda::Function': ['Code'],
};

export class SchemaValidator {
  private readonly db = database();

  /** Problems found in one resource, each naming its path, e.g. "Staging.DistributionConfig.Origins[0]: ...". */
  validateResource(logicalId: string, type: string, properties: Record<string, unknown> | undefined): string[] {
    const found = this.db.lookup('resource', 'cloudFormationType', 'equals', type);
    const resource = found[0];
    if (!resource) return [`${logicalId}: unknown resource type ${type}`];
    const props = { ...(properties ?? {}) };
    for (const packaged of PACKAGED_PATHS[type] ?? []) {
      if (typeof props[packaged] === 'string') delete props[packaged];
      else continue;
      // Still required, and present (as a path): do not report it missing.
      props[packaged] = { __packaged: true };
    }
    return this.checkObject(
      logicalId,
      resource.properties as unknown as Properties,
      props,
      new Set(PACKAGED_PATHS[type] ?? []),
    );
  }

  private checkObject(
    path: string,
    schema: Properties,
    value: Record<string, unknown>,
    packaged = new Set<string>(),
  ): string[] {
    const problems: string[] = [];
    for (const [name, prop] of Object.entries(schema)) {
      if (prop.required && !(name in value)) problems.push(`${path}: missing required property ${name}`);
    }
    for (const [name, v] of Object.entries(value)) {
      const prop = schema[name];
      if (!prop) {
        problems.push(`${path}: unknown property ${name}`);
        continue;
      }
      if (packaged.has(name)) continue;
      problems.push(...this.checkValue(`${path}.${name}`, prop.type, v));
    }
    return problems;
  }

  private checkValue(path: string, type: PropertyType, value: unknown): string[] {
    return alternatives(value).flatMap((v) => this.checkOne(path, type, v));
  }

  private checkOne(path: string, type: PropertyType, value: unknown): string[] {
    if (isIntrinsic(value)) return [];
    switch (type.type) {
      case 'string':
      case 'integer':
        if (type.allowedValues && !(type.allowedValues as unknown[]).map(String).includes(String(value))) {
          return [`${path}: ${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`];
        }
        return [];
      case 'ref': {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
        const def = this.db.get('typeDefinition', type.reference.$ref);
        return this.checkObject(path, def.properties as unknown as Properties, value as Record<string, unknown>);
      }
      case 'array':
        if (!Array.isArray(value)) return [`${path}: expected a list`];
        return value.flatMap((e, i) => this.checkValue(`${path}[${i}]`, type.element, e));
      case 'map':
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected a map`];
        return Object.entries(value).flatMap(([k, e]) => this.checkValue(`${path}.${k}`, type.element, e));
      case 'union': {
        // Valid when any member type accepts it.
        const results = type.types.map((t) => this.checkOne(path, t, value));
        return results.some((r) => r.length === 0) ? [] : (results[0] ?? []);
      }
      default:
        return [];
    }
  }
}
