/** The bounds of every runtime setting, shared by the CLI, the control API and the in-process setters. */
export const LIMITS = {
  /** 0 asks the OS for any free port. */
  port: { min: 0, max: 65_535 },
  /** Added to every AWS API request; a minute is already far beyond any SDK default timeout worth testing. */
  latencyMs: { min: 0, max: 60_000 },
  /** How long a change stays InProgress; real CloudFront takes minutes, an hour is the ceiling. */
  propagationMs: { min: 0, max: 3_600_000 },
  /** How long an invalidation stays InProgress; real ones usually complete within minutes, an hour is the ceiling. */
  invalidationMs: { min: 0, max: 3_600_000 },
  /** The seeded random source takes a 32-bit unsigned seed. */
  seed: { min: 0, max: 4_294_967_295 },
  /** How many calls one injected fault hits. */
  faultTimes: { min: 1, max: 1000 },
  /** How long an injected slow response takes (15 minutes: a Lambda's longest run). */
  faultDelayMs: { min: 1, max: 900_000 },
} as const;

export type Limit = { min: number; max: number };

/** Throws a RangeError naming `name` unless `value` is an integer within `limit`. */
export function checkInteger(name: string, value: unknown, limit: Limit): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limit.min || value > limit.max)
    throw new RangeError(`${name} must be an integer from ${limit.min} to ${limit.max}, got ${JSON.stringify(value)}`);
  return value;
}
