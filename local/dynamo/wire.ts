/**
 * DynamoDB JSON wire helpers shared by the embedded DynamoDB front server:
 * errors in DynamoDB's shape and responses with the x-amz-crc32 header the
 * AWS SDK checks.
 */
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// buffer-crc32 is a dependency of dynalite: resolve it from there.
const crc32 = createRequire(require.resolve('dynalite'))('buffer-crc32') as {
  unsigned(input: string | Buffer): number;
};

/** A DynamoDB request or response body, as JSON on the wire. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Payload = Record<string, any>;

export const DYNAMO_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
export const VALIDATION_TYPE = 'com.amazon.coral.validate#ValidationException';

/** An error DynamoDB would answer with: HTTP status plus its JSON body. */
export class WireError extends Error {
  constructor(
    readonly status: number,
    readonly body: Payload,
  ) {
    super(String(body.message ?? body.Message ?? body.__type ?? `HTTP ${status}`));
  }

  /** True when the error's __type ends with `#name`. */
  is(name: string): boolean {
    return String(this.body.__type ?? '').endsWith(`#${name}`);
  }
}

export function validationError(message: string): WireError {
  return new WireError(400, { __type: VALIDATION_TYPE, message });
}

export function internalError(message: string): WireError {
  return new WireError(500, { __type: `${DYNAMO_PREFIX}InternalServerError`, message });
}

/** Writes a JSON answer the way dynalite (and DynamoDB) does. */
export function sendJson(res: ServerResponse, status: number, body: Payload, contentType = 'application/x-amz-json-1.0'): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('x-amzn-RequestId', randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0'));
  res.setHeader('x-amz-crc32', crc32.unsigned(text));
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text, 'utf8'));
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown, contentType?: string): void {
  const wire = err instanceof WireError ? err : internalError(err instanceof Error ? err.message : String(err));
  sendJson(res, wire.status, wire.body, contentType);
}
