/**
 * The headers a release's objects are uploaded with: Content-Type by extension, Cache-Control by rule. CloudFront and
 * browsers take an object's lifetime from its Cache-Control, so these decide what a release costs to replace. Pure.
 */
import { InputError, type InputSource } from '../domain/errors.js';

const UTF8 = '; charset=utf-8';

/** Content-Type by lower-case extension; text types carry their charset. */
const TYPES: Readonly<Record<string, string>> = {
  html: `text/html${UTF8}`,
  htm: `text/html${UTF8}`,
  css: `text/css${UTF8}`,
  js: `text/javascript${UTF8}`,
  mjs: `text/javascript${UTF8}`,
  json: `application/json${UTF8}`,
  map: `application/json${UTF8}`,
  webmanifest: `application/manifest+json${UTF8}`,
  svg: `image/svg+xml${UTF8}`,
  txt: `text/plain${UTF8}`,
  xml: `application/xml${UTF8}`,
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  pdf: 'application/pdf',
  wasm: 'application/wasm',
};

/** What an unknown extension is served as: browsers download it rather than guess. */
export const UNKNOWN_TYPE = 'application/octet-stream';

/** Revalidate on every use: HTML names the assets of its release, so it must never outlive it. */
export const NO_CACHE = 'no-cache';
/** A fingerprinted asset: its name changes with its bytes, so a year and `immutable` are safe. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Anything else: five minutes, so a release replaces it soon after it is routed. */
export const SHORT = 'public, max-age=300';

/** The extension of a path's last segment, lower-case, or undefined (`README`, `.well-known/x`, `.env`). */
export function extensionOf(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : undefined;
}

/** The Content-Type to upload `path` with. */
export function contentTypeOf(path: string): string {
  const ext = extensionOf(path);
  return (ext !== undefined && TYPES[ext]) || UNKNOWN_TYPE;
}

/**
 * A fingerprint: 8 or more letters, digits or `_` (hex, base32 and base64url hashes) with at least one digit and one
 * letter, so that words (`bootstrap`, `polyfills`) and dates or versions (`20240101`) are not taken for one.
 */
const HASH = /^(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{8,}$/;
/** A name that is a hash and nothing else (`3f2a9c1d.js`, a bundler's chunk) must be hex, for the same reason. */
const HEX_HASH = /^(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}$/i;

/**
 * Whether a file name carries a fingerprint: its name without the extension, split at `.` and `-`, has a
 * {@link HASH} segment after the first (`app.3f2a9c1d.js`, `app-3F2A9C1D4E.css`, `index-Bq3f8xYz.js`), or is a
 * {@link HEX_HASH} alone (`3f2a9c1d.js`). A miss only costs caching (five minutes instead of a year); a false hit
 * would keep an old file in browsers for a year, so the rule is strict.
 */
export function isFingerprinted(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return false;
  const [first, ...rest] = name.slice(0, dot).split(/[.-]/);
  return HEX_HASH.test(first ?? '') || rest.some((segment) => HASH.test(segment));
}

/** The built-in Cache-Control: HTML and names without an extension revalidate, fingerprints are immutable. */
export function defaultCacheControl(path: string): string {
  const ext = extensionOf(path);
  if (ext === undefined || ext === 'html' || ext === 'htm') return NO_CACHE;
  return isFingerprinted(path) ? IMMUTABLE : SHORT;
}

/** An operator's rule: the first whose glob matches a file's path (inside the release) sets its Cache-Control. */
export interface CacheRule {
  match: string;
  cacheControl: string;
}

/**
 * A glob as a regular expression over the whole path: `**` any characters including `/` (`**\/` also none, so
 * `**\/*.js` matches `app.js`), `*` any characters but `/`, `?` one character but `/`; everything else literal.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The Cache-Control of `path`: the first matching rule's, or the built-in one. */
export function cacheControlOf(path: string, rules: readonly CacheRule[] = []): string {
  const rule = rules.find((r) => globToRegExp(r.match).test(path));
  return rule ? rule.cacheControl : defaultCacheControl(path);
}

/** A header value S3 stores as given: printable ASCII, no line breaks. */
const HEADER_VALUE = /^[\x20-\x7e]+$/;

/**
 * Reads a cache rules file's text: a JSON list of `{ "match": "<glob>", "cacheControl": "…" }`, nothing else.
 * An error names the rule's index and field; `source` names the file.
 */
export function parseCacheRules(text: string, source: InputSource): CacheRule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError('event', `is not JSON (${err instanceof Error ? err.message : String(err)})`, source);
  }
  if (!Array.isArray(raw))
    throw new InputError('event', 'must be a JSON list of {"match": "<glob>", "cacheControl": "…"}', source);
  return raw.map((rule: unknown, i) => {
    const at = (field: string) => `[${i}]${field ? `.${field}` : ''}`;
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
      throw new InputError(at(''), 'must be an object {"match": "<glob>", "cacheControl": "…"}', source);
    const extra = Object.keys(rule).find((k) => k !== 'match' && k !== 'cacheControl');
    if (extra !== undefined)
      throw new InputError(at(extra), 'is not a field of a rule (only match and cacheControl)', source);
    const { match, cacheControl } = rule as Record<string, unknown>;
    if (typeof match !== 'string' || match === '' || match.startsWith('/') || !HEADER_VALUE.test(match))
      throw new InputError(
        at('match'),
        'must be a glob over the path inside the release, without a leading "/" (e.g. "assets/**")',
        source,
      );
    if (typeof cacheControl !== 'string' || cacheControl.trim() === '' || !HEADER_VALUE.test(cacheControl))
      throw new InputError(
        at('cacheControl'),
        'must be a Cache-Control value on one line of printable ASCII (e.g. "public, max-age=600")',
        source,
      );
    return { match, cacheControl };
  });
}
