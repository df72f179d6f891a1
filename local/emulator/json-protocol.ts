/** The AWS JSON protocols (1.0 and 1.1): `POST /` with `X-Amz-Target: <Prefix>.<Operation>`. */
import { ApiError } from './errors.js';
import { header, type ApiRequest, type ApiResponse, type Operation } from './protocol.js';
import { requestId } from './random.js';
import type { Route } from './routes.js';

/** The operation named by `X-Amz-Target` when it carries `prefix`, else undefined. */
export function targetOperation(req: ApiRequest, prefix: string): string | undefined {
  const target = header(req, 'x-amz-target');
  if (req.method !== 'POST' || !target?.startsWith(`${prefix}.`)) return undefined;
  return target.slice(prefix.length + 1);
}

/** A route table row: `POST` with `X-Amz-Target: <prefix>.<operation>`, on any path. */
export function jsonRoute(
  prefix: string,
  operation: string,
  errors: readonly string[],
  handler: (input: Record<string, unknown>) => ApiResponse,
): Route {
  return {
    method: 'POST',
    target: `${prefix}.${operation}`,
    operation,
    errors,
    handler: (req) => handler(jsonBody(req)),
  };
}

/** A request for an operation of the `prefix` service that its table lacks: refused as that operation. */
export function unknownJsonOperation(req: ApiRequest, prefix: string, service: string): Operation | undefined {
  const name = targetOperation(req, prefix);
  if (!name) return undefined;
  return {
    name,
    run: () => {
      throw new ApiError('UnknownOperationException', `The emulator does not implement ${service} ${name}.`);
    },
  };
}

export function jsonBody(req: ApiRequest): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(req.body.toString('utf8') || '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through to the service's own complaint
  }
  throw new ApiError('SerializationException', 'The request body is not a JSON object.');
}

export function jsonResponse(contentType: string, body: unknown): ApiResponse {
  return {
    status: 200,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId() },
    body: JSON.stringify(body),
  };
}

/** `{"__type": code, "message": …}` plus `x-amzn-errortype`, which SDK v3 reads first. */
export function jsonError(contentType: string, err: ApiError, extraHeaders: Record<string, string> = {}): ApiResponse {
  return {
    status: err.status,
    headers: {
      'content-type': contentType,
      'x-amzn-errortype': err.code,
      'x-amzn-requestid': requestId(),
      ...extraHeaders,
    },
    body: JSON.stringify({ __type: err.code, message: err.message }),
  };
}
