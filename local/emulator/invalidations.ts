/**
 * CloudFront invalidations on the REST-XML wire (CreateInvalidation, GetInvalidation, ListInvalidations) and what
 * they do to the edge cache. An invalidation is InProgress for `invalidationMs`, then Completed. While it runs, a
 * cached object it names that was stored before it is removed with a probability equal to its progress (edges
 * process it one by one; the linear progress is the emulator's choice), and always once it is Completed. Objects
 * stored after it are untouched: an edge still serving an old config can refill the cache while a distribution is
 * InProgress, and an invalidation made then does not remove that refill — the reason to invalidate after Deployed.
 */
import type { DistributionRecord, EmulatedAccount } from './account.js';
import { checkQuantities } from './cloudfront-rules.js';
import { LOCATION, PREFIX, bodyXml, iso, xmlResponse } from './cloudfront-protocol.js';
import type { CacheEntry } from './edge-cache.js';
import { ApiError } from './errors.js';
import type { ApiRequest, ApiResponse } from './protocol.js';
import { invalidationId } from './random.js';
import type { Route } from './routes.js';
import { child, leaf, node, textAt, type XmlElement } from './xml.js';

export interface InvalidationRecord {
  id: string;
  distributionId: string;
  callerReference: string;
  paths: string[];
  createTime: number;
  /** Clock time at which it is Completed (settle brings it forward). */
  completeAt: number;
  /** The edge write stamp at creation: only entries stored before it are removed. */
  stamp: number;
}

/**
 * Developer guide, "Concurrent invalidation request maximum": up to 3,000 file paths in progress per distribution,
 * and independently up to 15 wildcard paths. One request for more than that could never run: BatchTooLarge.
 */
export const MAX_FILE_PATHS_IN_PROGRESS = 3000;
export const MAX_WILDCARD_PATHS_IN_PROGRESS = 15;

/** What ListInvalidations accepts as MaxItems (as for the other lists: the API reference gives no cap). */
const MAX_LIST_ITEMS = 1000;

export const invalidationStatus = (inv: InvalidationRecord, now: number): 'InProgress' | 'Completed' =>
  now >= inv.completeAt ? 'Completed' : 'InProgress';

/** From 0 at creation to 1 at completion. */
export function invalidationProgress(inv: InvalidationRecord, now: number): number {
  if (now >= inv.completeAt) return 1;
  return Math.max(0, (now - inv.createTime) / (inv.completeAt - inv.createTime));
}

const isWildcard = (path: string) => path.endsWith('*');

/** An invalidation path matches a cache key exactly, or as a prefix when it ends in `*` (`/*` matches all). */
export const pathMatches = (path: string, key: string): boolean =>
  isWildcard(path) ? key.startsWith(path.slice(0, -1)) : key === path;

const removes = (inv: InvalidationRecord, entry: CacheEntry) =>
  entry.stamp < inv.stamp && inv.paths.some((p) => pathMatches(p, entry.key));

/** How many of the distribution's invalidations are InProgress (GetDistribution's InProgressInvalidationBatches). */
export function inProgressBatches(account: EmulatedAccount, distributionId: string): number {
  const now = account.now();
  return (account.invalidations.get(distributionId) ?? []).filter((i) => invalidationStatus(i, now) === 'InProgress')
    .length;
}

/**
 * Whether an invalidation removes this entry for the request being served: always for a Completed one, with the
 * probability of its progress for one InProgress (drawn from the edge's own random stream).
 */
export function invalidatedForRequest(account: EmulatedAccount, distributionId: string, entry: CacheEntry): boolean {
  const now = account.now();
  for (const inv of account.invalidations.get(distributionId) ?? []) {
    if (!removes(inv, entry)) continue;
    const progress = invalidationProgress(inv, now);
    if (progress >= 1 || account.edgeRandom() < progress) return true;
  }
  return false;
}

/** Whether a Completed invalidation has certainly removed this entry (no draw: for the state dump). */
export function invalidatedForGood(account: EmulatedAccount, distributionId: string, entry: CacheEntry): boolean {
  const now = account.now();
  return (account.invalidations.get(distributionId) ?? []).some(
    (inv) => invalidationStatus(inv, now) === 'Completed' && removes(inv, entry),
  );
}

/** A path starts with `/` and has `*` only as its last character (developer guide, "Specifying the files"). */
function checkPath(path: string): void {
  if (!path.startsWith('/'))
    throw new ApiError('InvalidArgument', `Invalidation path ${JSON.stringify(path)} must start with /.`);
  if (path.slice(0, -1).includes('*'))
    throw new ApiError(
      'InvalidArgument',
      `Invalidation path ${JSON.stringify(path)} may contain the * wildcard only as its last character.`,
    );
}

/** The batch's paths and CallerReference, checked. */
function readBatch(batch: XmlElement): { callerReference: string; paths: string[] } {
  if (batch.name !== 'InvalidationBatch')
    throw new ApiError('MalformedInput', `Expected an InvalidationBatch document, got ${batch.name}.`);
  const callerReference = textAt(batch, 'CallerReference');
  if (!callerReference) throw new ApiError('InvalidArgument', 'The parameter CallerReference is required.');
  const paths = child(batch, 'Paths');
  const quantity = textAt(paths, 'Quantity');
  if (!paths || quantity === undefined || !/^\d+$/.test(quantity))
    throw new ApiError('InvalidArgument', 'The parameter Paths with an integer Quantity is required.');
  checkQuantities(batch);
  const items = (child(paths, 'Items')?.children ?? []).map((c) => c.text ?? '');
  if (items.length === 0) throw new ApiError('InvalidArgument', 'An invalidation batch needs at least one path.');
  items.forEach(checkPath);
  return { callerReference, paths: items };
}

const countPaths = (paths: string[]) => ({
  files: paths.filter((p) => !isWildcard(p)).length,
  wildcards: paths.filter(isWildcard).length,
});

const samePaths = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

function invalidationXml(inv: InvalidationRecord, now: number): XmlElement {
  return node('Invalidation', [
    leaf('Id', inv.id),
    leaf('Status', invalidationStatus(inv, now)),
    leaf('CreateTime', iso(inv.createTime)),
    node('InvalidationBatch', [
      node('Paths', [
        leaf('Quantity', String(inv.paths.length)),
        node(
          'Items',
          inv.paths.map((p) => leaf('Path', p)),
        ),
      ]),
      leaf('CallerReference', inv.callerReference),
    ]),
  ]);
}

/** The invalidation routes of the CloudFront service; `distribution` answers NoSuchDistribution for an unknown id. */
export function invalidationRoutes(
  account: EmulatedAccount,
  distribution: (id: string) => DistributionRecord,
): Route[] {
  const listOf = (d: DistributionRecord) => {
    let list = account.invalidations.get(d.id);
    if (!list) {
      list = [];
      account.invalidations.set(d.id, list);
    }
    return list;
  };
  const location = (inv: InvalidationRecord) => `${LOCATION}/distribution/${inv.distributionId}/invalidation/${inv.id}`;

  function create(req: ApiRequest, d: DistributionRecord): ApiResponse {
    const { callerReference, paths } = readBatch(bodyXml(req, 'MissingBody'));
    const list = listOf(d);
    const now = account.now();
    const earlier = list.find((i) => i.callerReference === callerReference);
    if (earlier) {
      // API reference, CreateInvalidation: the same CallerReference with the same paths returns the invalidation
      // made before, creating nothing; with different paths it is InvalidationBatchAlreadyExists (documented there,
      // though the SDK's model does not declare it: see the exception list in test/emulator/conformance.test.ts).
      if (samePaths(earlier.paths, paths))
        return xmlResponse(201, invalidationXml(earlier, now), { location: location(earlier) });
      throw new ApiError(
        'InvalidationBatchAlreadyExists',
        `An invalidation with CallerReference ${callerReference} and other paths already exists (${earlier.id}).`,
        409,
      );
    }
    const batch = countPaths(paths);
    if (batch.files > MAX_FILE_PATHS_IN_PROGRESS || batch.wildcards > MAX_WILDCARD_PATHS_IN_PROGRESS)
      throw new ApiError(
        'BatchTooLarge',
        `An invalidation batch holds at most ${MAX_FILE_PATHS_IN_PROGRESS} file paths and ` +
          `${MAX_WILDCARD_PATHS_IN_PROGRESS} wildcard paths; this one has ${batch.files} and ${batch.wildcards}.`,
        413,
      );
    const running = countPaths(list.filter((i) => invalidationStatus(i, now) === 'InProgress').flatMap((i) => i.paths));
    if (
      running.files + batch.files > MAX_FILE_PATHS_IN_PROGRESS ||
      running.wildcards + batch.wildcards > MAX_WILDCARD_PATHS_IN_PROGRESS
    )
      throw new ApiError(
        'TooManyInvalidationsInProgress',
        `Distribution ${d.id} already has ${running.files} file paths and ${running.wildcards} wildcard paths ` +
          `being invalidated; at most ${MAX_FILE_PATHS_IN_PROGRESS} and ${MAX_WILDCARD_PATHS_IN_PROGRESS} may be.`,
      );
    const inv: InvalidationRecord = {
      id: invalidationId(),
      distributionId: d.id,
      callerReference,
      paths,
      createTime: now,
      completeAt: now + account.opts.invalidationMs,
      stamp: account.nextEdgeWrite(),
    };
    list.push(inv);
    return xmlResponse(201, invalidationXml(inv, now), { location: location(inv) });
  }

  function get(d: DistributionRecord, id: string): ApiResponse {
    const inv = listOf(d).find((i) => i.id === id);
    if (!inv) throw new ApiError('NoSuchInvalidation', `The specified invalidation does not exist: ${id}.`, 404);
    return xmlResponse(200, invalidationXml(inv, account.now()));
  }

  /** Newest first; a page holds the invalidations after `Marker` (the previous page's NextMarker) in that order. */
  function list(req: ApiRequest, d: DistributionRecord): ApiResponse {
    const newestFirst = [...listOf(d)].reverse();
    const marker = req.query.get('Marker') ?? '';
    const rawMax = req.query.get('MaxItems');
    const maxItems = rawMax === null ? 100 : Number(rawMax);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_LIST_ITEMS)
      throw new ApiError('InvalidArgument', `MaxItems must be an integer from 1 to ${MAX_LIST_ITEMS}, got ${rawMax}.`);
    const from = marker === '' ? 0 : newestFirst.findIndex((i) => i.id === marker) + 1;
    if (from === 0 && marker !== '')
      throw new ApiError('InvalidArgument', `Marker ${marker} is not an invalidation of distribution ${d.id}.`);
    const page = newestFirst.slice(from, from + maxItems);
    const next = from + page.length < newestFirst.length ? page[page.length - 1]?.id : undefined;
    const now = account.now();
    return xmlResponse(
      200,
      node('InvalidationList', [
        leaf('Marker', marker),
        ...(next ? [leaf('NextMarker', next)] : []),
        leaf('MaxItems', String(maxItems)),
        leaf('IsTruncated', String(next !== undefined)),
        leaf('Quantity', String(page.length)),
        ...(page.length > 0
          ? [
              node(
                'Items',
                page.map((i) =>
                  node('InvalidationSummary', [
                    leaf('Id', i.id),
                    leaf('CreateTime', iso(i.createTime)),
                    leaf('Status', invalidationStatus(i, now)),
                  ]),
                ),
              ),
            ]
          : []),
      ]),
    );
  }

  return [
    {
      method: 'POST',
      path: `${PREFIX}/distribution/:id/invalidation`,
      operation: 'CreateInvalidation',
      errors: [
        'NoSuchDistribution',
        'MissingBody',
        'InvalidArgument',
        'InconsistentQuantities',
        'BatchTooLarge',
        'TooManyInvalidationsInProgress',
        'InvalidationBatchAlreadyExists',
      ],
      handler: (req, { id }) => create(req, distribution(id!)),
    },
    {
      method: 'GET',
      path: `${PREFIX}/distribution/:id/invalidation`,
      operation: 'ListInvalidations',
      errors: ['NoSuchDistribution', 'InvalidArgument'],
      handler: (req, { id }) => list(req, distribution(id!)),
    },
    {
      method: 'GET',
      path: `${PREFIX}/distribution/:id/invalidation/:invalidationId`,
      operation: 'GetInvalidation',
      errors: ['NoSuchDistribution', 'NoSuchInvalidation'],
      handler: (_, { id, invalidationId: inv }) => get(distribution(id!), inv!),
    },
  ];
}
