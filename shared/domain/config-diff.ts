/**
 * What a promotion changes: the comparison of the primary's config with the staging's, as data (for the
 * idempotence decision) and as readable lines (for the log, the approval trail and the `Changes` output variable).
 * Pure: no I/O.
 */
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';

/**
 * Fields a promotion does not copy. CloudFront keeps the primary's `Aliases` and `ContinuousDeploymentPolicyId`;
 * `CallerReference` is each distribution's own identity; `Staging` says which kind of distribution it is.
 */
export const NON_PROMOTABLE_FIELDS = ['CallerReference', 'Aliases', 'ContinuousDeploymentPolicyId', 'Staging'] as const;

/** A distribution config without the fields a promotion leaves alone: what the primary looks like once promoted. */
export type PromotableConfig = Omit<DistributionConfig, (typeof NON_PROMOTABLE_FIELDS)[number]>;

/** The config without {@link NON_PROMOTABLE_FIELDS}. */
export function promotableConfig(config: DistributionConfig): PromotableConfig {
  const {
    CallerReference: _ref,
    Aliases: _aliases,
    ContinuousDeploymentPolicyId: _policy,
    Staging: _staging,
    ...rest
  } = config;
  return rest;
}

// The SDK may leave `Items` out or give `[]` for a `Quantity: 0` list, and leaves unset fields undefined: all mean
// "none", and must not make two identical configs look different.
function absent(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of two config values, treating undefined, null and empty lists as the same "none". */
export function sameValue(a: unknown, b: unknown): boolean {
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  return a === b;
}

/** True when the primary already carries everything a promotion of the staging would copy onto it. */
export function carriesSameConfig(primary: DistributionConfig, staging: DistributionConfig): boolean {
  return sameValue(promotableConfig(primary), promotableConfig(staging));
}

type Fields = Record<string, unknown>;

function show(value: unknown): string {
  return absent(value) || value === '' ? '(none)' : JSON.stringify(value);
}

/** Keys of two records whose values differ, in a stable order, leaving out `skip`. */
function changedKeys(before: Fields, after: Fields, skip: readonly string[] = []): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => !skip.includes(key) && !sameValue(before[key], after[key])).sort();
}

/** One readable change, with what it is about: the ranking for the reviewer reads these, the lines stay text. */
interface Entry {
  line: string;
  kind: 'added' | 'removed' | 'changed' | 'order';
  /** The list item it is about (an origin's id, a behavior's path pattern); absent for a whole-field line. */
  key?: string;
  /** The named field that changed; absent for "other settings changed" and whole-item lines. */
  field?: string;
}

/** One line per named field that differs, then one line listing any other differing fields by name. */
function describeFieldChanges(
  prefix: string,
  before: Fields,
  after: Fields,
  named: Record<string, string>,
  key?: string,
): Entry[] {
  const at = key === undefined ? {} : { key };
  const lines: Entry[] = Object.entries(named)
    .filter(([field]) => !sameValue(before[field], after[field]))
    .map(([field, label]) => ({
      line: `${prefix}: ${label} ${show(before[field])} → ${show(after[field])}`,
      kind: 'changed',
      field,
      ...at,
    }));
  const others = changedKeys(before, after, Object.keys(named));
  if (others.length)
    lines.push({ line: `${prefix}: other settings changed (${others.join(', ')})`, kind: 'changed', ...at });
  return lines;
}

interface KeyedList {
  /** What one item is called, e.g. `origin`. */
  noun: string;
  key: (item: Fields) => string;
  /** A short description of a whole item, for "added" and "removed" lines. */
  describe: (item: Fields) => string;
  /** Fields worth naming with their before → after values; the rest are listed by name. */
  named: Record<string, string>;
}

/** Added, removed and changed items of a list whose items are identified by a key; then a change of order. */
function diffKeyedList(list: KeyedList, before: Fields[], after: Fields[]): Entry[] {
  const beforeByKey = new Map(before.map((item) => [list.key(item), item]));
  const afterByKey = new Map(after.map((item) => [list.key(item), item]));
  const lines: Entry[] = [];
  for (const [key, item] of beforeByKey) {
    if (!afterByKey.has(key))
      lines.push({ line: `${list.noun} ${key} removed (${list.describe(item)})`, kind: 'removed', key });
  }
  for (const [key, item] of afterByKey) {
    const old = beforeByKey.get(key);
    if (!old) lines.push({ line: `${list.noun} ${key} added (${list.describe(item)})`, kind: 'added', key });
    else lines.push(...describeFieldChanges(`${list.noun} ${key}`, old, item, list.named, key));
  }
  // CloudFront matches cache behaviors in list order, so a reordering alone changes what viewers get.
  const commonBefore = [...beforeByKey.keys()].filter((key) => afterByKey.has(key));
  const commonAfter = [...afterByKey.keys()].filter((key) => beforeByKey.has(key));
  if (!sameValue(commonBefore, commonAfter))
    lines.push({
      line: `${list.noun} order changed: ${commonBefore.join(', ')} → ${commonAfter.join(', ')}`,
      kind: 'order',
    });
  return lines;
}

function recordOf(value: unknown): Fields {
  return isRecord(value) ? value : {};
}

function itemsOf(list: unknown): Fields[] {
  const items = isRecord(list) ? list.Items : undefined;
  return Array.isArray(items) ? items.filter(isRecord) : [];
}

const CACHE_BEHAVIOR_FIELDS = {
  TargetOriginId: 'target origin',
  CachePolicyId: 'cache policy',
  OriginRequestPolicyId: 'origin request policy',
  ResponseHeadersPolicyId: 'response headers policy',
};

const ORIGINS: KeyedList = {
  noun: 'origin',
  key: (o) => String(o.Id),
  describe: (o) => `${o.DomainName}${typeof o.OriginPath === 'string' ? o.OriginPath : ''}`,
  named: { DomainName: 'domain', OriginPath: 'origin path' },
};

const CACHE_BEHAVIORS: KeyedList = {
  noun: 'cache behavior',
  key: (b) => String(b.PathPattern),
  describe: (b) => `target origin ${b.TargetOriginId}`,
  named: CACHE_BEHAVIOR_FIELDS,
};

const CUSTOM_ERROR_RESPONSES: KeyedList = {
  noun: 'custom error response',
  key: (r) => String(r.ErrorCode),
  describe: (r) =>
    r.ResponsePagePath
      ? `page ${r.ResponsePagePath} as ${r.ResponseCode}`
      : `cache for ${r.ErrorCachingMinTTL ?? 'default'}s`,
  named: { ResponsePagePath: 'page', ResponseCode: 'response code', ErrorCachingMinTTL: 'error caching min TTL' },
};

const SCALARS: Record<string, string> = {
  DefaultRootObject: 'default root object',
  Comment: 'comment',
  PriceClass: 'price class',
};

/** The changes section by section (a top-level field each), in the order {@link diffConfigs} lists them. */
function diffSections(primary: DistributionConfig, staging: DistributionConfig): [string, Entry[]][] {
  const before = promotableConfig(primary) as Fields;
  const after = promotableConfig(staging) as Fields;
  const whole = (key: string, line: string): Entry[] =>
    sameValue(before[key], after[key]) ? [] : [{ line, kind: 'changed' }];
  const described: Record<string, Entry[]> = {
    Origins: diffKeyedList(ORIGINS, itemsOf(before.Origins), itemsOf(after.Origins)),
    DefaultCacheBehavior: describeFieldChanges(
      'default cache behavior',
      recordOf(before.DefaultCacheBehavior),
      recordOf(after.DefaultCacheBehavior),
      CACHE_BEHAVIOR_FIELDS,
    ),
    CacheBehaviors: diffKeyedList(CACHE_BEHAVIORS, itemsOf(before.CacheBehaviors), itemsOf(after.CacheBehaviors)),
    CustomErrorResponses: diffKeyedList(
      CUSTOM_ERROR_RESPONSES,
      itemsOf(before.CustomErrorResponses),
      itemsOf(after.CustomErrorResponses),
    ),
    ...Object.fromEntries(
      Object.entries(SCALARS).map(([key, label]) => [
        key,
        whole(key, `${label} ${show(before[key])} → ${show(after[key])}`),
      ]),
    ),
  };
  const sections: [string, Entry[]][] = [];
  for (const [key, section] of Object.entries(described)) {
    // A difference the readable lines do not capture (e.g. a list's Quantity alone) still gets a line.
    sections.push([key, section.length ? section : whole(key, `other field ${key} changed`)]);
  }
  for (const key of changedKeys(before, after, Object.keys(described)))
    sections.push([key, [{ line: `other field ${key} changed`, kind: 'changed' }]]);
  return sections;
}

/**
 * What promoting `staging` onto `primary` changes, one readable line per change: origins, the default cache
 * behavior, cache behaviors by path pattern, custom error responses by error code, default root object, comment,
 * price class, then "other field X changed" for any other differing top-level field. Fields a promotion does not
 * copy are left out. Empty exactly when {@link carriesSameConfig} is true.
 */
export function diffConfigs(primary: DistributionConfig, staging: DistributionConfig): string[] {
  return diffSections(primary, staging).flatMap(([, entries]) => entries.map((e) => e.line));
}

/**
 * How much a change matters to a reviewer, most first: `routing` changes where viewers' requests go (a behavior's
 * target origin, a behavior added, removed or moved, an origin a behavior targets, origin groups); `origin` is any
 * other origin change (one no behavior targets yet); `behavior` how requests are served (policies, error pages, the
 * root object, fields without a readable line); `cosmetic` changes nothing a viewer gets (comment, price class).
 */
export const RISKS = ['routing', 'origin', 'behavior', 'cosmetic'] as const;
export type ChangeRisk = (typeof RISKS)[number];

export interface RankedChange {
  line: string;
  risk: ChangeRisk;
}

/** The origin ids the staging's behaviors send requests to, the members of targeted origin groups included. */
function targetedOrigins(config: DistributionConfig): Set<string> {
  const targets = new Set<string>();
  const behaviors = [config.DefaultCacheBehavior, ...(config.CacheBehaviors?.Items ?? [])];
  for (const b of behaviors) if (b?.TargetOriginId) targets.add(b.TargetOriginId);
  for (const group of config.OriginGroups?.Items ?? []) {
    if (!group.Id || !targets.has(group.Id)) continue;
    for (const member of group.Members?.Items ?? []) if (member.OriginId) targets.add(member.OriginId);
  }
  return targets;
}

function riskOf(section: string, entry: Entry, targets: Set<string>): ChangeRisk {
  switch (section) {
    case 'Origins':
      return entry.key !== undefined && targets.has(entry.key) ? 'routing' : 'origin';
    case 'OriginGroups':
      return 'routing';
    case 'DefaultCacheBehavior':
      return entry.field === 'TargetOriginId' ? 'routing' : 'behavior';
    case 'CacheBehaviors':
      return entry.kind !== 'changed' || entry.field === 'TargetOriginId' ? 'routing' : 'behavior';
    case 'Comment':
    case 'PriceClass':
      return 'cosmetic';
    default:
      return 'behavior';
  }
}

/**
 * The changes of {@link diffConfigs}, most risky first (see {@link RISKS}; in diff order within a risk). A line that
 * sends requests to another origin also names where that origin points (`(decoy is evil.example.com/x)`), so that
 * the reviewer does not have to look the id up among the origins.
 */
export function rankedChanges(primary: DistributionConfig, staging: DistributionConfig): RankedChange[] {
  const targets = targetedOrigins(staging);
  const origins = new Map((staging.Origins?.Items ?? []).map((o) => [o.Id, o]));
  const pointsAt = (entry: Entry, section: string): string => {
    const behavior =
      section === 'DefaultCacheBehavior'
        ? staging.DefaultCacheBehavior
        : staging.CacheBehaviors?.Items?.find((b) => b.PathPattern === entry.key);
    const targetChanged = entry.field === 'TargetOriginId' || (section === 'CacheBehaviors' && entry.kind === 'added');
    const origin = targetChanged ? origins.get(behavior?.TargetOriginId) : undefined;
    return origin ? ` (${origin.Id} is ${origin.DomainName}${origin.OriginPath ?? ''})` : '';
  };
  // Within `routing`, the behaviors (where requests go) before the origins they go to.
  const sections = diffSections(primary, staging).sort(([a], [b]) => Number(a === 'Origins') - Number(b === 'Origins'));
  const ranked = sections.flatMap(([section, entries]) =>
    entries.map((entry) => ({
      line: `${entry.line}${pointsAt(entry, section)}`,
      risk: riskOf(section, entry, targets),
    })),
  );
  return RISKS.flatMap((risk) => ranked.filter((c) => c.risk === risk));
}

/**
 * The reviewer's summary of `changes` (ranked by {@link rankedChanges}) within `maxChars` characters: the whole
 * lines, most risky first, joined with "; ". A line is never cut; when not all fit, the summary ends by saying how
 * many changes there are in all, how many of those not shown change where requests go, and `fullListAt`.
 */
export function summarizeForReviewer(changes: RankedChange[], maxChars: number, fullListAt: string): string {
  if (changes.length === 0) return 'none';
  const all = changes.map((c) => c.line).join('; ');
  if (all.length <= maxChars) return all;
  const total = changes.length;
  for (let kept = total - 1; kept >= 0; kept--) {
    const routing = changes.slice(kept).filter((c) => c.risk === 'routing').length;
    const hidden = routing ? `, ${routing} of those not shown change where requests go` : '';
    const count = kept ? `${total} changes in all, ${kept} shown${hidden}` : `${total} changes${hidden}`;
    const tail = `(${count}; the full list: ${fullListAt})`;
    const text = kept
      ? `${changes
          .slice(0, kept)
          .map((c) => c.line)
          .join('; ')}; ${tail}`
      : tail;
    if (text.length <= maxChars || kept === 0) return text;
  }
  return all;
}

/**
 * Every change line, most risky first, joined with "; ", within `maxBytes` once JSON-encoded (an output variable's
 * share of CodePipeline's 122,880 bytes for all of an action's variables): cut at a whole line, if ever, saying how
 * many were left out and where else to see them.
 */
export function fullChangeList(changes: RankedChange[], maxBytes: number, elsewhere: string): string {
  if (changes.length === 0) return 'none';
  const fits = (text: string) => Buffer.byteLength(JSON.stringify(text)) <= maxBytes;
  const lines = changes.map((c) => c.line);
  let kept = lines.length;
  let text = lines.join('; ');
  while (!fits(text) && kept > 0) {
    kept--;
    text = `${lines.slice(0, kept).join('; ')}; (+${lines.length - kept} more: ${elsewhere})`;
  }
  return text;
}

/**
 * The budget of a change summary in characters, JSON-encoded: promote's travels in the continuation token (2048 in
 * all), enable-CD's in the approval's CustomData.
 */
export const CHANGES_SUMMARY_MAX_CHARS = 800;

/**
 * The change lines joined with "; ", cut at a whole line so that the JSON-encoded result stays within `maxChars`
 * (it travels in the continuation token, at most 2048 characters in all), naming how many lines were left out.
 */
export function summarizeChanges(changes: string[], maxChars: number): string {
  if (changes.length === 0) return 'none';
  const fits = (text: string) => JSON.stringify(text).length <= maxChars;
  const all = changes.join('; ');
  if (fits(all)) return all;
  for (let kept = changes.length - 1; kept > 0; kept--) {
    const text = `${changes.slice(0, kept).join('; ')}; (+${changes.length - kept} more, see the promote log)`;
    if (fits(text)) return text;
  }
  return `(${changes.length} changes, see the promote log)`;
}
