/**
 * The file server on AWS: API Gateway HTTP API (payload format 2.0) → this
 * Lambda → S3. Only the event/response shapes are handled here; the rules are
 * `handleFileRequest`'s, as locally, and so is the check of the capabilities
 * (`loginAuthority`). Environment (set by lib/file-storage.ts): FILES_BUCKET,
 * MAX_FILE_BYTES, ALLOWED_ORIGINS; DATA_TABLE and TOKEN_SECRET_ARN for the
 * capabilities.
 */
import { loginAuthority } from './authority';
import { S3FileStore } from './s3-store';
import { BodyTooLargeError, handleFileRequest, type FileServerOptions, type FileServices } from './server';

/** The slice of the HTTP API v2 event we use. */
export interface HttpApiEvent {
  rawPath: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string }; stage?: string };
}

export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

interface Setup {
  services: FileServices;
  options: FileServerOptions;
}

function configure(env: NodeJS.ProcessEnv = process.env): Promise<Setup> {
  const bucket = env.FILES_BUCKET;
  if (!bucket) throw new Error('environment variable FILES_BUCKET is not set');
  const maxBytes = Number(env.MAX_FILE_BYTES);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new Error('MAX_FILE_BYTES must be a positive integer');
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  return Promise.resolve({ services: { store: new S3FileStore(bucket), authority: loginAuthority(env) }, options: { maxBytes, allowedOrigins } });
}

/** `rawPath` carries the stage name unless it is `$default`. */
function pathOf(event: HttpApiEvent): string {
  const stage = event.requestContext.stage;
  const prefix = stage && stage !== '$default' ? `/${stage}` : '';
  return prefix && event.rawPath.startsWith(`${prefix}/`) ? event.rawPath.slice(prefix.length) : event.rawPath;
}

/** An HTTP API handler over any store; `setup` runs once per container (again after a failure). */
export function httpApiHandler(setup: () => Promise<Setup>) {
  let ready: Promise<Setup> | undefined;
  return async (event: HttpApiEvent): Promise<HttpApiResult> => {
    ready ??= setup().catch((error) => {
      ready = undefined;
      throw error;
    });
    const { services, options } = await ready;
    const response = await handleFileRequest(
      services,
      options,
      { method: event.requestContext.http.method, path: pathOf(event), headers: event.headers ?? {} },
      async (limit) => {
        const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
        if (body.length > limit) throw new BodyTooLargeError(limit);
        return body;
      },
    );
    const bytes = response.body instanceof Uint8Array ? response.body : undefined;
    return {
      statusCode: response.status,
      headers: response.headers,
      body: bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : ((response.body as string | undefined) ?? ''),
      isBase64Encoded: bytes !== undefined,
    };
  };
}

/** The Lambda entry point (lib/file-storage.ts). */
export const handler = httpApiHandler(() => configure());
