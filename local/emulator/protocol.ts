/** What a service module sees of an HTTP request, and what it answers. */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiError } from './errors.js';
import type { Route } from './routes.js';

export interface ApiRequest {
  method: string;
  /** Decoded path, e.g. `/2020-05-31/distribution/E123/config`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A recognised AWS API call, ready to run. */
export interface Operation {
  /** The AWS operation name, e.g. `UpdateDistribution`, used by the request log and by fault injection. */
  name: string;
  run(): ApiResponse;
  /** The error codes it may answer (its route's list); absent: not checked. */
  errors?: readonly string[];
  /**
   * Models a concurrent writer for an injected PreconditionFailed: bumps the target's ETag without changing its
   * config, so a caller that re-reads and retries succeeds.
   */
  bumpEtag?(): void;
}

/** One AWS service: its route table, and its errors in its own wire format. */
export interface Service {
  /** Its operations, one row each; {@link resolveOperation} (routes.ts) picks the row a request names. */
  routes: readonly Route[];
  /**
   * The path the patterns are matched against, or undefined when the request is not of this service's shape at all
   * (then nothing of the service answers it, not even `unmatched`). Default: the request's path.
   */
  normalizePath?(path: string): string | undefined;
  /**
   * A request of this service's shape that no row matches (`path` normalized): an operation that refuses it in this
   * service's error format, or undefined to leave it to the next service.
   */
  unmatched?(req: ApiRequest, path: string): Operation | undefined;
  /**
   * Codes any operation of the service may answer although the model declares them for none, each for a reason
   * its service module states (protocol errors real endpoints answer, injected throttling, an emulator bug's 500).
   */
  commonErrors?: readonly string[];
  renderError(err: ApiError): ApiResponse;
}

export const header = (req: ApiRequest, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
};
