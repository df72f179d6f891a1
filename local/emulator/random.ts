/** Identifiers and a seeded random source, so routing and fault decisions repeat run to run. */
import { randomBytes, randomUUID } from 'node:crypto';

/** mulberry32: tiny, fast, good enough to spread viewers; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, n: number): string {
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A distribution id such as `E2QWRUHAPOMQZL`. */
export const distributionId = () => `E${pick(UPPER, 13)}`;
/** A distribution domain such as `d111111abcdef8.cloudfront.net`. */
export const distributionDomain = () => `d${pick(LOWER, 13)}.cloudfront.net`;
/** An opaque version tag; CloudFront's look like distribution ids, and change on every write. */
export const newEtag = () => `E${pick(UPPER, 13)}`;
/** An invalidation id such as `I2J0I21PCUYOIK`. */
export const invalidationId = () => `I${pick(UPPER, 13)}`;
/** Continuous deployment policy ids are lowercase UUIDs. */
export const policyId = () => randomUUID();
export const requestId = () => randomUUID();
