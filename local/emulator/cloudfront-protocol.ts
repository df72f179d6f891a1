/** CloudFront's REST-XML wire details that every CloudFront route module shares. */
import { ApiError, constraintFailed } from './errors.js';
import type { ApiRequest, ApiResponse } from './protocol.js';
import { MalformedXmlError, parseXml, xmlDocument, type XmlElement } from './xml.js';

export const PREFIX = '/2020-05-31';
export const XMLNS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
export const LOCATION = 'https://cloudfront.amazonaws.com/2020-05-31';

export const iso = (ms: number) => new Date(ms).toISOString();

export function xmlResponse(status: number, el: XmlElement, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'text/xml', ...headers }, body: xmlDocument(el, XMLNS) };
}

/**
 * The request's XML document. CloudFront answers MalformedXML for a document it cannot read and for a missing
 * member ("1 validation error detected: Value null at 'invalidationBatch'…", aws/aws-sdk-php#1973), MalformedInput
 * for one of the wrong shape (pplu/aws-sdk-perl#112): real answers the model declares for no operation, so they are
 * the service's common errors. An operation that declares MissingBody answers it for an empty body.
 */
export function bodyXml(req: ApiRequest, empty: 'MissingBody' | { member: string }): XmlElement {
  if (req.body.length === 0) {
    if (empty === 'MissingBody') throw new ApiError('MissingBody', 'This operation requires a body.');
    throw new ApiError('MalformedXML', constraintFailed(empty.member, 'null', 'not be null'));
  }
  try {
    return parseXml(req.body.toString('utf8'));
  } catch (e) {
    if (e instanceof MalformedXmlError)
      throw new ApiError(
        'MalformedXML',
        `The XML you provided was not well-formed or did not validate against our published schema: ${e.message}`,
      );
    throw e;
  }
}
