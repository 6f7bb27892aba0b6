/**
 * The file server of protocol §7, transport-free: a request in, a response
 * out, files in a FileStore. The local HTTP server (local/file-server.ts) and
 * the Lambda behind API Gateway (lambdas/files/aws-handler.ts) are thin
 * adapters around `handleFileRequest`; the rules live here once:
 *
 * - `GET {get}<id>` → the bytes (404 if none); `POST {putRaw}<id>` → stores the
 *   body; `POST {put}<id>` → stores the multipart/form-data field `body`
 *   (deprecated); `GET {delete}<id>` → deletes (404 if none).
 * - Downloads are open (an id is a capability to read, as the protocol says).
 *   The upload and delete prefixes carry a capability of the login they were
 *   pushed to (`/putRaw/<capability>/<id>`): an upload needs a live login
 *   (401 otherwise) and records its user as the file's owner; a delete needs
 *   a live login of that owner (403 for anyone else).
 * - An id is a UUID v4 in any letter case, stored in lower case (400 otherwise).
 * - Ids are write-once: an upload to an existing id is 409 Conflict and changes
 *   nothing; delete, then upload again. Nobody can replace someone else's file.
 * - The request body is limited (413 beyond, nothing stored).
 * - CORS for web clients, preflight included. No cookies, no credentials.
 */
import { log } from '../log';
import { isUuidV4 } from '../protocol/file-ids';
import { formField } from './multipart';

/** Where the files live. Ids reaching a store are valid, lower-case UUID v4s. */
export interface FileStore {
  /** The file's bytes, or undefined if there is none. */
  read(id: string): Promise<Uint8Array | undefined>;
  /** Stores a new file uploaded by user `owner`; false (and nothing written) if the id is taken. */
  create(id: string, bytes: Uint8Array, owner: number): Promise<boolean>;
  /** The user who uploaded the file; null if none was recorded (nobody may delete it); undefined if there is no such file. */
  ownerOf(id: string): Promise<number | null | undefined>;
  /** Deletes the file (and its owner); no error if there is none. */
  remove(id: string): Promise<void>;
}

/** Who a capability of the `storage urls` stands for (lambdas/files/authority.ts). */
export interface FileAuthority {
  /** The user of a genuine, unexpired capability whose login is live; undefined otherwise. */
  userOf(capability: string): Promise<number | undefined>;
}

/** What a file server runs on: where files live, and who may write them. */
export interface FileServices {
  store: FileStore;
  authority: FileAuthority;
}

export interface FileServerOptions {
  /** Largest request body accepted, in bytes. @default DEFAULT_MAX_FILE_BYTES */
  maxBytes?: number;
  /** Browser origins allowed by CORS; empty = any (`*`). @default [] */
  allowedOrigins?: readonly string[];
}

/** 25 MiB: the local default. On AWS the Lambda payload limit caps it lower (see docs/files.md). */
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

export type FileAction = 'get' | 'put' | 'putRaw' | 'delete';

/** The §7 routes: action (URL prefix, as in `storageUrls()` of domain/sessions.ts) → HTTP method. */
export const FILE_ROUTES: Readonly<Record<FileAction, 'GET' | 'POST'>> = { get: 'GET', put: 'POST', putRaw: 'POST', delete: 'GET' };

/** Every action but a download carries a login's capability in its prefix: `/<action>/<capability>/<id>`. */
export const needsCapability = (action: FileAction): boolean => action !== 'get';

export interface FileRequest {
  method: string;
  /** Path below the server's base URL, e.g. `/putRaw/<capability>/<uuid>` (query string ignored). */
  path: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
}

export interface FileResponse {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array | string;
}

/** Thrown by a body reader when the body passes the limit; answered 413. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads the request body, refusing (BodyTooLargeError) past `limit` bytes. Called only when a body is wanted. */
export type BodyReader = (limit: number) => Promise<Uint8Array>;

/** `/<action>/[<capability>/]<id>`: only `get` goes without a capability. */
const ROUTE = /^\/(get|putRaw|put|delete)\/(?:([^/]+)\/)?([^/]*)\/?$/;
const TOKEN_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

function corsHeaders(options: FileServerOptions, origin: string | undefined): Record<string, string> {
  const allowed = options.allowedOrigins ?? [];
  if (allowed.length === 0) return { 'access-control-allow-origin': '*' };
  if (origin && allowed.includes(origin)) return { 'access-control-allow-origin': origin, vary: 'Origin' };
  return { vary: 'Origin' };
}

const text = (status: number, message: string, headers: Record<string, string> = {}): FileResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  body: `${message}\n`,
});

const json = (status: number, value: unknown): FileResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

export interface FileRoute {
  action: FileAction;
  id: string;
  /** The login's capability from the URL prefix (absent from `get`). */
  capability?: string;
}

/** The action, capability and normalised id of a path, or the response that refuses it. */
export function fileRouteOf(method: string, path: string): FileRoute | FileResponse {
  const match = ROUTE.exec(path.split('?')[0] ?? '');
  if (!match) return text(404, 'not found');
  const action = match[1] as FileAction;
  const capability = match[2];
  if (!needsCapability(action) && capability !== undefined) return text(404, 'not found');
  let id: string;
  try {
    id = decodeURIComponent(match[3]!);
  } catch {
    id = '';
  }
  const allowedMethod = FILE_ROUTES[action];
  if (method !== allowedMethod && method !== 'OPTIONS') return text(405, 'method not allowed', { allow: `${allowedMethod}, OPTIONS` });
  if (!isUuidV4(id)) return text(400, 'invalid file id: a UUID v4 is expected');
  return { action, id: id.toLowerCase(), ...(capability === undefined ? {} : { capability }) };
}

function preflight(request: FileRequest, action: FileAction): FileResponse {
  const requested = request.headers['access-control-request-headers'];
  return {
    status: 204,
    headers: {
      'access-control-allow-methods': `${FILE_ROUTES[action]}, OPTIONS`,
      // No credentials ride on these requests, so any well-formed header list may be allowed.
      'access-control-allow-headers': requested && TOKEN_LIST.test(requested.trim()) ? requested.trim() : 'content-type',
      'access-control-max-age': '600',
    },
  };
}

const declaredLength = (headers: FileRequest['headers']): number | undefined => {
  const raw = headers['content-length'];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
};

async function upload(store: FileStore, id: string, bytes: Uint8Array, owner: number): Promise<FileResponse> {
  if (!(await store.create(id, bytes, owner))) return text(409, 'file exists: ids are write-once (delete it first)');
  return json(200, { id, size: bytes.byteLength });
}

/**
 * What can be decided before any body is read: the route, the id, a declared
 * length over the limit, a preflight. A transport can use it to refuse an
 * upload before the client sends it (HTTP `Expect: 100-continue`).
 */
export function precheck(options: FileServerOptions, request: FileRequest): FileRoute | FileResponse {
  const route = fileRouteOf(request.method, request.path);
  if ('status' in route) return route;
  if (request.method === 'OPTIONS') return preflight(request, route.action);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const length = declaredLength(request.headers);
  if (FILE_ROUTES[route.action] === 'POST' && length !== undefined && length > maxBytes) return text(413, `file too large: at most ${maxBytes} bytes`);
  return route;
}

const loginRequired = () => text(401, 'login required: use the storage urls of a live login');

async function answer({ store, authority }: FileServices, options: FileServerOptions, request: FileRequest, readBody: BodyReader): Promise<FileResponse> {
  const route = precheck(options, request);
  if ('status' in route) return route;
  const { action, id, capability } = route;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  // Checked before any body is read: a refused upload costs no transfer into storage.
  const user = needsCapability(action) && capability !== undefined ? await authority.userOf(capability) : undefined;
  if (needsCapability(action) && user === undefined) return loginRequired();

  switch (action) {
    case 'get': {
      const bytes = await store.read(id);
      if (!bytes) return text(404, 'no such file');
      return {
        status: 200,
        headers: {
          'content-type': 'application/octet-stream',
          'content-disposition': 'attachment',
          'x-content-type-options': 'nosniff',
          // Opened in a browser tab, the bytes can run nothing.
          'content-security-policy': "default-src 'none'; sandbox",
          // Write-once, but deletable: clients keep their own copy, caches must not.
          'cache-control': 'no-store',
        },
        body: bytes,
      };
    }
    case 'delete': {
      const owner = await store.ownerOf(id);
      if (owner === undefined) return text(404, 'no such file');
      if (owner !== user) return text(403, 'only the uploader may delete a file');
      await store.remove(id);
      return json(200, { id });
    }
    case 'putRaw':
    case 'put': {
      const body = await readBody(maxBytes);
      if (action === 'putRaw') return upload(store, id, body, user!);
      const field = await formField(request.headers['content-type'], body, 'body');
      if (!field) return text(400, "multipart/form-data with a field 'body' expected");
      return upload(store, id, field, user!);
    }
  }
}

/** Answers one file-server request; never throws (a failure is a logged 500). */
export async function handleFileRequest(
  services: FileServices,
  options: FileServerOptions,
  request: FileRequest,
  readBody: BodyReader,
): Promise<FileResponse> {
  let response: FileResponse;
  try {
    response = await answer(services, options, request, readBody);
  } catch (error) {
    if (error instanceof BodyTooLargeError) response = text(413, `file too large: at most ${error.limit} bytes`);
    else {
      log.error('file request failed', { method: request.method, path: request.path, error: String(error), stack: (error as Error)?.stack });
      response = text(500, 'internal error');
    }
  }
  response.headers = { ...response.headers, ...corsHeaders(options, request.headers.origin) };
  log.debug('file request', { method: request.method, path: request.path, status: response.status });
  return response;
}
