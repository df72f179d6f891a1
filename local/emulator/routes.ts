/**
 * Route tables: each service lists its operations as {method, path pattern, operation, handler} rows
 * ({@link Service.routes}), and {@link resolveOperation} finds the row a request names. Adding an operation is
 * adding a row.
 */
import { header, type ApiRequest, type ApiResponse, type Operation, type Service } from './protocol.js';

/** What a path pattern captured, by name. */
export type Params = Record<string, string>;

export interface Route {
  method: string;
  /**
   * The path, e.g. `/2020-05-31/distribution/:id/config`: literal segments, `:name` for one non-empty segment,
   * `*name` (last) for the rest after its slash, slashes included. Absent: any path (the AWS JSON protocols name
   * the operation in X-Amz-Target instead).
   */
  path?: string;
  /**
   * A query parameter that selects this row (an S3 sub-resource such as `?policy`). A request that carries one of
   * the parameters the rows on its path name is answered only by those rows; one that carries none, only by the
   * rows without.
   */
  query?: string;
  /** The `X-Amz-Target` header the request carries (AWS JSON protocols). */
  target?: string;
  /** The AWS operation name, for the request log and fault injection. */
  operation: string;
  /**
   * Every error code this row's handler can answer. Each must be one the operation declares in the SDK's model (or
   * one of the service's {@link Service.commonErrors}); test/emulator/conformance.test.ts checks both, and an
   * answer outside this list becomes an InternalFailure naming the bug.
   */
  errors?: readonly string[];
  handler(req: ApiRequest, params: Params): ApiResponse;
  /** Models a concurrent writer for an injected PreconditionFailed (see {@link Operation.bumpEtag}). */
  bumpEtag?(params: Params): void;
}

/** The parameters `pattern` captures from `path`, or undefined when it does not match. */
export function matchPath(pattern: string, path: string): Params | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  const params: Params = {};
  for (const [i, w] of want.entries()) {
    if (w.startsWith('*')) {
      if (got.length <= i) return undefined;
      params[w.slice(1)] = got.slice(i).join('/');
      return params;
    }
    const g = got[i];
    if (g === undefined) return undefined;
    if (w.startsWith(':')) {
      if (g === '') return undefined;
      params[w.slice(1)] = g;
    } else if (w !== g) return undefined;
  }
  return got.length === want.length ? params : undefined;
}

/** The row of `routes` that answers `req` (its path already normalized), with what its pattern captured. */
export function findRoute(
  routes: readonly Route[],
  req: ApiRequest,
  path: string,
): { route: Route; params: Params } | undefined {
  const target = header(req, 'x-amz-target');
  const onPath = routes.flatMap((route) => {
    if (route.target !== undefined && route.target !== target) return [];
    const params = route.path === undefined ? {} : matchPath(route.path, path);
    return params ? [{ route, params }] : [];
  });
  const selector = onPath.find((m) => m.route.query !== undefined && req.query.has(m.route.query))?.route.query;
  return onPath.find((m) => m.route.query === selector && m.route.method === req.method);
}

/** The operation `req` names in `service`, ready to run; undefined when the request is not this service's. */
export function resolveOperation(service: Service, req: ApiRequest): Operation | undefined {
  const path = service.normalizePath ? service.normalizePath(req.path) : req.path;
  if (path === undefined) return undefined;
  const found = findRoute(service.routes, req, path);
  if (!found) return service.unmatched?.(req, path);
  const { route, params } = found;
  const op: Operation = { name: route.operation, run: () => route.handler(req, params) };
  if (route.errors) op.errors = route.errors;
  if (route.bumpEtag) op.bumpEtag = () => route.bumpEtag!(params);
  return op;
}
