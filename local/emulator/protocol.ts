/** What a service module sees of an HTTP request, and what it answers. */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiError } from './errors.js';

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
  /**
   * Models a concurrent writer for an injected PreconditionFailed: bumps the target's ETag without changing its
   * config, so a caller that re-reads and retries succeeds.
   */
  bumpEtag?(): void;
}

/** One AWS service: recognises its requests and renders its errors in its own wire format. */
export interface Service {
  route(req: ApiRequest): Operation | undefined;
  renderError(err: ApiError): ApiResponse;
}

export const header = (req: ApiRequest, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
};
