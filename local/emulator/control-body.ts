/**
 * The shape of a control endpoint's JSON body, checked before anything changes: every field named, typed and
 * bounded, no unknown keys, no null standing in for a value. A refusal names the field and the expected shape.
 */

export type Field =
  | { kind: 'string'; optional?: boolean; pattern: RegExp; shape: string }
  | { kind: 'integer' | 'number'; optional?: boolean; min: number; max: number }
  | { kind: 'boolean'; optional?: boolean }
  | { kind: 'enum'; optional?: boolean; values: readonly string[] }
  /** A number within bounds, or one of a few words (e.g. a share from 0 to 1, or "linear"). */
  | { kind: 'numberOrEnum'; optional?: boolean; min: number; max: number; values: readonly string[] };

export type Schema = Record<string, Field>;

/** A control request the emulator refuses: `status` (400 bad body, 404 unknown resource) and why. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function describeField(f: Field): string {
  switch (f.kind) {
    case 'string':
      return f.shape;
    case 'integer':
      return `an integer from ${f.min} to ${f.max}`;
    case 'number':
      return `a number from ${f.min} to ${f.max}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${f.values.join(', ')}`;
    case 'numberOrEnum':
      return `a number from ${f.min} to ${f.max} or ${f.values.map((v) => JSON.stringify(v)).join(' or ')}`;
  }
}

/** `{ms: an integer from 0 to 60000}`, optional fields marked `?`. */
export function describeSchema(schema: Schema): string {
  const fields = Object.entries(schema).map(([k, f]) => `${k}${f.optional ? '?' : ''}: ${describeField(f)}`);
  return `{${fields.join(', ')}}`;
}

function fits(f: Field, v: unknown): boolean {
  switch (f.kind) {
    case 'string':
      return typeof v === 'string' && f.pattern.test(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && v >= f.min && v <= f.max;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= f.min && v <= f.max;
    case 'boolean':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && f.values.includes(v);
    case 'numberOrEnum':
      return typeof v === 'string'
        ? f.values.includes(v)
        : typeof v === 'number' && Number.isFinite(v) && v >= f.min && v <= f.max;
  }
}

/** The input when it matches `schema`; otherwise a ControlError (400) naming the first field that does not. */
export function checkBody(schema: Schema, input: unknown): Record<string, unknown> {
  const expected = describeSchema(schema);
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ControlError(400, `the body must be a JSON object ${expected}`);
  const body = input as Record<string, unknown>;
  for (const key of Object.keys(body))
    if (!Object.hasOwn(schema, key)) throw new ControlError(400, `unknown field ${key}; expected ${expected}`);
  for (const [key, f] of Object.entries(schema)) {
    const v = body[key];
    if (v === undefined) {
      if (!f.optional) throw new ControlError(400, `${key} is required: ${describeField(f)}; expected ${expected}`);
    } else if (!fits(f, v)) {
      throw new ControlError(400, `${key} must be ${describeField(f)}, got ${JSON.stringify(v)}`);
    }
  }
  return body;
}
