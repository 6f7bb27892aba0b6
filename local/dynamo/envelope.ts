/**
 * The HTTP envelope of a DynamoDB request, checked as dynalite's own HTTP
 * handler checks it (same answers, same order): health GET, CORS preflight,
 * method and content type, JSON body, X-Amz-Target, presence of a SigV4
 * signature (its validity is not checked, as in dynalite).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { URL } from 'node:url';
import { WireError, sendError, type Payload } from './wire';

export interface DynamoRequest {
  /** Operation name, e.g. `GetItem`. */
  op: string;
  input: Payload;
  /** The content type to answer with (the request's JSON flavour). */
  contentType: string;
}

const VALID_APIS = new Set(['DynamoDB_20111205', 'DynamoDB_20120810']);
const SERVICE = 'com.amazon.coral.service#';

function serviceError(type: string, message?: string): WireError {
  return new WireError(400, message === undefined ? { __type: SERVICE + type } : { __type: SERVICE + type, message });
}

function signatureProblem(req: IncomingMessage): WireError | undefined {
  const authHeader = req.headers.authorization;
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const authQuery = query.has('X-Amz-Algorithm');
  if (authHeader && authQuery) {
    return serviceError('InvalidSignatureException', "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  }
  if ((!authHeader && !authQuery) || (authHeader && authHeader.trim().slice(0, 5) !== 'AWS4-')) {
    return serviceError('MissingAuthenticationTokenException', 'Request is missing Authentication Token');
  }
  let msg = '';
  if (authHeader) {
    const params = Object.fromEntries(
      authHeader.split(/,| /).slice(1).filter(Boolean).map((x) => x.trim().split('=') as [string, string | undefined]),
    );
    for (const param of ['Credential', 'Signature', 'SignedHeaders']) {
      if (!params[param]) msg += `Authorization header requires '${param}' parameter. `;
    }
    if (!req.headers['x-amz-date'] && !req.headers.date) {
      msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (msg) msg += `Authorization=${authHeader}`;
  } else {
    for (const param of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date']) {
      if (!query.get(param)) msg += `AWS query-string parameters must include '${param}'. `;
    }
    if (msg) msg += 'Re-examine the query-string parameters.';
  }
  return msg ? serviceError('IncompleteSignatureException', msg) : undefined;
}

/**
 * The request's operation and input, or undefined when the request has
 * already been answered (health check, preflight, or an envelope error).
 */
export function readEnvelope(req: IncomingMessage, body: Buffer, res: ServerResponse, knownOp: (op: string) => boolean): DynamoRequest | undefined {
  if (req.headers.origin) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      const headers = req.headers['access-control-request-headers'];
      const method = req.headers['access-control-request-method'];
      if (headers) res.setHeader('Access-Control-Allow-Headers', headers);
      if (method) res.setHeader('Access-Control-Allow-Methods', method);
      res.setHeader('Access-Control-Max-Age', 172800);
      res.setHeader('Content-Length', 0);
      res.end();
      return undefined;
    }
  }
  if (req.method === 'GET') {
    res.statusCode = 200;
    res.setHeader('x-amz-crc32', 3128867991);
    res.setHeader('Content-Length', 42);
    res.end('healthy: dynamodb.us-east-1.amazonaws.com ');
    return undefined;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (req.method !== 'POST' || (body.length > 0 && type !== 'application/json' && type !== 'application/x-amz-json-1.0')) {
    res.statusCode = 404;
    res.setHeader('x-amz-crc32', 3552371480);
    res.setHeader('Content-Length', 29);
    res.end('<UnknownOperationException/>\n');
    return undefined;
  }
  const contentType = type === 'application/x-amz-json-1.0' ? type : 'application/json';
  const fail = (err: WireError) => {
    sendError(res, err, contentType);
    return undefined;
  };
  let input: unknown;
  if (body.length > 0) {
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(serviceError('SerializationException'));
    }
  }
  const target = String(req.headers['x-amz-target'] ?? '').split('.');
  const op = target[1] ?? '';
  if (target.length !== 2 || !VALID_APIS.has(target[0]!) || !knownOp(op)) return fail(serviceError('UnknownOperationException'));
  const unsigned = signatureProblem(req);
  if (unsigned) return fail(unsigned);
  if (body.length === 0) return fail(serviceError('SerializationException'));
  // dynalite's type checks answer a body that is JSON but not an object.
  const payload = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Payload) : {};
  return { op, input: payload, contentType };
}
