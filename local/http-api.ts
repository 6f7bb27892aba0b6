/**
 * The file server's HTTP API (lib/file-storage.ts) for the bundle runtime:
 * requests become payload-format-2.0 events for the file server's function
 * and its results become responses, as API Gateway does it: bodies
 * base64-encoded both ways, 10 MB request limit (413 beyond), 404
 * `{"message":"Not Found"}` off the routes, CORS preflights answered from the
 * API's CORS configuration without invoking the function, and an
 * integration failure answered 500 `{"message":"Internal Server Error"}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { HttpApiEvent, HttpApiResult } from '../lambdas/files/aws-handler';
import { log } from '../lambdas/log';
import { flatHeaders } from './http-request';

export interface CorsConfiguration {
  AllowOrigins?: string[];
  AllowMethods?: string[];
  AllowHeaders?: string[];
  MaxAge?: number;
}

export interface LocalHttpApiOptions {
  port: number;
  host?: string;
  /** The API's route keys: `$default`, `GET /get/{id}`, `ANY /x/{id}`, … */
  routeKeys: readonly string[];
  cors?: CorsConfiguration;
  invoke(event: HttpApiEvent): Promise<HttpApiResult>;
}

export interface LocalHttpApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** API Gateway's HTTP API payload limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

const json = (res: ServerResponse, status: number, message: string) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));

const matcher = (routeKey: string): ((method: string, path: string) => boolean) => {
  if (routeKey === '$default') return () => true;
  const [method, path] = routeKey.split(' ') as [string, string];
  const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return (m: string, p: string) => (method === 'ANY' || method === m) && pattern.test(p);
};

function preflight(cors: CorsConfiguration, req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin ?? '';
  const origins = cors.AllowOrigins ?? [];
  const requested = String(req.headers['access-control-request-headers'] ?? '');
  return {
    'access-control-allow-origin': origins.includes('*') ? '*' : origins.includes(origin) ? origin : '',
    'access-control-allow-methods': (cors.AllowMethods ?? []).join(','),
    'access-control-allow-headers': (cors.AllowHeaders ?? []).includes('*') ? requested : (cors.AllowHeaders ?? []).join(','),
    ...(cors.MaxAge ? { 'access-control-max-age': String(cors.MaxAge) } : {}),
  };
}

export async function startLocalHttpApi(options: LocalHttpApiOptions): Promise<LocalHttpApi> {
  const routes = options.routeKeys.map(matcher);

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS' && options.cors && req.headers['access-control-request-method']) {
      req.resume();
      return void res.writeHead(204, preflight(options.cors, req)).end();
    }
    if (!routes.some((route) => route(method, url.pathname))) {
      req.resume();
      return json(res, 404, 'Not Found');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) {
        req.resume();
        return json(res, 413, 'Request Entity Too Large');
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const headers = flatHeaders(req);
    let result: HttpApiResult;
    try {
      result = await options.invoke({
        rawPath: url.pathname,
        headers,
        ...(body.length > 0 || headers['content-length'] !== undefined ? { body: body.toString('base64'), isBase64Encoded: true } : {}),
        requestContext: { http: { method }, stage: '$default' },
      });
    } catch (error) {
      log.error('file server integration failed', { error: String(error) });
      return json(res, 500, 'Internal Server Error');
    }
    const cors = options.cors?.AllowOrigins?.includes('*') && headers.origin ? { 'access-control-allow-origin': '*' } : {};
    res.writeHead(result.statusCode, { ...result.headers, ...cors }).end(Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8'));
  };

  const server = createServer((req, res) => void serve(req, res).catch(() => (res.headersSent ? res.destroy() : json(res, 500, 'Internal Server Error'))));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
