/**
 * A local stand-in for API Gateway's WebSocket API, for our route table:
 * route selection on `event`, `$connect` / `$disconnect` / `$default`,
 * two-way route responses (the ack), frame and message limits, idle and
 * maximum-lifetime timeouts, and the Management API (`/@connections/{id}`)
 * on the same port, which handlers reach through the real SDK client.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { LambdaContext, RouteResponse, WebSocketEvent } from '../lambdas/middleware/aws-event';
import { log } from '../lambdas/log';
import { isPlainObject } from '../lambdas/protocol/frames';
import { routeKeyOf } from '../lambdas/routes/table';
import { managementFault, pushDelayMs, type Faults } from './faults';
import { watchFrameSizes } from './frame-limit';
import { flatHeaders, readBody } from './http-request';
import type { LatencyModel } from './latency-model';
import { goneError, managementError, type ManagementRefusal } from './management-errors';

export type RouteHandler = (event: WebSocketEvent, context: LambdaContext) => Promise<RouteResponse>;

export interface GatewayOptions {
  port: number;
  host?: string;
  /** By route key, including `$connect`, `$disconnect` and `$default`. */
  handlers: ReadonlyMap<string, RouteHandler>;
  /** @default 600000 (API Gateway: 10 minutes) */
  idleTimeoutMs?: number;
  /** @default 7200000 (API Gateway: 2 hours) */
  maxConnectionMs?: number;
  /** @default 32768 */
  maxFrameBytes?: number;
  /** @default 131072 */
  maxMessageBytes?: number;
  /** IAM for the Management API: a refusal of the signed request, or undefined to allow it. */
  authorizeManagement?: (req: IncomingMessage, method: string, connectionId: string) => ManagementRefusal | undefined;
  /** The fault mode (local/faults.ts); none by default. */
  faults?: Faults;
  /** Loses the `$disconnect` of the connections it answers true for, as the `lostDisconnect` fault does at random. */
  losesDisconnect?: (connectionId: string) => boolean;
  /** The AWS latency model (local/latency-model.ts): API Gateway's legs of each frame and each Management API call. */
  latency?: LatencyModel;
}

export interface Gateway {
  url: string;
  managementEndpoint: string;
  port: number;
  liveConnections(): number;
  faults?: Faults;
  /** Resolves once no invocation is running (a closed socket's `$disconnect` included). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface LiveConnection {
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  timers: NodeJS.Timeout[];
  /** A frame over the limit arrived: the connection is closing and nothing more is processed. */
  refused?: boolean;
}

const STAGE = 'local';

/** API Gateway's shape: 11 random bytes in base64, 16 characters ending in `=` (`L0SM9cOFvHcCIhw=`). */
const newConnectionId = (): string => randomBytes(11).toString('base64');

/**
 * The headers API Gateway gives a `$disconnect` event: not the client's
 * `$connect` headers, only these, empty but for Host.
 */
const disconnectHeaders = (host: string): Record<string, string> => ({ Host: host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' });

/** API Gateway closes a connection that sends a binary frame: the protocol is text. */
const BINARY_CLOSE = { code: 1003, reason: 'Unsupported data' } as const;
/** A frame over 32 KB: closed and not processed. */
const TOO_BIG_CLOSE = { code: 1009, reason: 'Frame too big' } as const;
const INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * What API Gateway sends the client when a route's integration fails (the
 * Lambda crashed, timed out or threw): a message of its own, not our
 * protocol's — no `ackId`, so the client's request simply gets no ack.
 */
const integrationFailure = (connectionId: string, requestId: string) => JSON.stringify({ message: 'Internal server error', connectionId, requestId });

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const maxConnectionMs = options.maxConnectionMs ?? 7_200_000;
  const maxFrameBytes = options.maxFrameBytes ?? 32 * 1024;
  const maxMessageBytes = options.maxMessageBytes ?? 128 * 1024;
  const pool = new Map<string, LiveConnection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const inFlight = new Set<Promise<unknown>>();
  let domainName = '';

  const handlerFor = (routeKey: string) => {
    const handler = options.handlers.get(routeKey);
    if (!handler) throw new Error(`no handler for ${routeKey}`);
    return handler;
  };

  type EventExtras = Omit<Partial<WebSocketEvent>, 'requestContext'> & { requestContext?: Partial<WebSocketEvent['requestContext']> };
  const invoke = (routeKey: string, eventType: WebSocketEvent['requestContext']['eventType'], connectionId: string, extra: EventExtras) => {
    const { requestContext, ...rest } = extra;
    const event: WebSocketEvent = {
      requestContext: { routeKey, eventType, connectionId, requestId: randomUUID(), domainName, stage: STAGE, ...requestContext },
      ...rest,
    };
    const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
    const run = handlerFor(routeKey)(event, { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => deadline - Date.now() });
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run)).catch(() => {});
    return run;
  };

  /** Route selection as API Gateway does it with `$request.body.event`. */
  const selectRoute = (body: string): string => {
    try {
      const frame: unknown = JSON.parse(body);
      if (isPlainObject(frame) && typeof frame.event === 'string' && !frame.event.startsWith('$')) {
        const key = routeKeyOf(frame.event);
        if (options.handlers.has(key)) return key;
      }
    } catch {
      // not JSON: $default
    }
    return '$default';
  };

  const onMessage = async (connectionId: string, live: LiveConnection, data: Buffer, isBinary: boolean) => {
    // A frame over the limit was refused: whatever `ws` still assembles from it is dropped, as API Gateway drops it.
    if (live.refused) return;
    if (isBinary) {
      live.socket.close(BINARY_CLOSE.code, BINARY_CLOSE.reason);
      return;
    }
    live.lastActiveAt = Date.now();
    resetIdle(connectionId, live);
    const body = data.toString('utf8');
    const routeKey = selectRoute(body);
    const requestId = randomUUID();
    let response: RouteResponse;
    try {
      await options.latency?.wait('gatewayToLambda');
      response = await invoke(routeKey, 'MESSAGE', connectionId, { body, isBase64Encoded: false, requestContext: { connectedAt: live.connectedAt, requestId } });
    } catch (error) {
      // The function failed (crashed, timed out, threw): API Gateway answers the frame with this, and no ack.
      log.error('integration failed', { routeKey, error: String(error) });
      if (live.socket.readyState === WebSocket.OPEN) live.socket.send(integrationFailure(connectionId, requestId));
      return;
    }
    const answer = response?.body ?? '';
    // API Gateway delivers no message over 128 KB, a route response included: the client gets nothing.
    const size = Buffer.byteLength(answer, 'utf8');
    if (size > maxMessageBytes) return log.error('integration failed', { routeKey, error: `route response of ${size} bytes exceeds the ${maxMessageBytes}-byte message limit` });
    await options.latency?.wait('lambdaToGateway');
    // Two-way routes: an integration that returns no body still answers, with an empty text frame (clients ignore it).
    if (live.socket.readyState === WebSocket.OPEN) live.socket.send(answer);
  };

  const idleTimers = new Map<string, NodeJS.Timeout>();
  const resetIdle = (connectionId: string, live: LiveConnection) => {
    clearTimeout(idleTimers.get(connectionId));
    idleTimers.set(connectionId, setTimeout(() => live.socket.close(1001, 'Going away'), idleTimeoutMs));
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const connectionId = newConnectionId();
    const connectedAt = Date.now();
    const headers = flatHeaders(req);
    let response: RouteResponse;
    try {
      response = await invoke('$connect', 'CONNECT', connectionId, { headers, requestContext: { connectedAt } });
    } catch {
      response = { statusCode: 500 };
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      socket.end(`HTTP/1.1 ${response.statusCode === 403 ? '403 Forbidden' : `${response.statusCode} Refused`}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const live: LiveConnection = {
        socket: ws,
        connectedAt,
        lastActiveAt: connectedAt,
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: req.headers['user-agent'] ?? '',
        timers: [],
      };
      pool.set(connectionId, live);
      // Before `ws` parses the bytes: the oversized frame must never reach a route.
      socket.prependListener(
        'data',
        watchFrameSizes(maxFrameBytes, () => {
          live.refused = true;
          ws.close(TOO_BIG_CLOSE.code, TOO_BIG_CLOSE.reason);
        }),
      );
      live.timers.push(setTimeout(() => ws.close(1001, 'Going away'), maxConnectionMs));
      resetIdle(connectionId, live);
      ws.on('message', (data: Buffer, isBinary) => void onMessage(connectionId, live, data, isBinary));
      ws.on('error', () => {}); // a protocol error closes the socket; 'close' does the cleanup
      ws.on('close', (code, reason) => {
        pool.delete(connectionId);
        live.timers.forEach(clearTimeout);
        clearTimeout(idleTimers.get(connectionId));
        idleTimers.delete(connectionId);
        if (options.losesDisconnect?.(connectionId) || options.faults?.strikes('lostDisconnect')) return;
        void invoke('$disconnect', 'DISCONNECT', connectionId, {
          headers: disconnectHeaders(domainName),
          requestContext: { connectedAt, disconnectStatusCode: code, disconnectReason: reason.toString() },
        }).catch((error) => log.error('$disconnect failed', { error: String(error) }));
      });
    });
  };

  const management = async (req: IncomingMessage, res: ServerResponse) => {
    const refuse = (refusal: ManagementRefusal) => void res.writeHead(refusal.status, refusal.headers).end(refusal.body);
    const match = /^\/(?:[^/]+\/)?@connections\/([^/?]+)/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' }).end(req.url === '/' ? 'ok\n' : 'not found\n');
      return;
    }
    const connectionId = decodeURIComponent(match[1]!);
    await options.latency?.wait('postToConnection');
    const refusal = options.authorizeManagement?.(req, req.method ?? 'GET', connectionId);
    if (refusal) {
      req.resume();
      return refuse(refusal);
    }
    const live = pool.get(connectionId);
    const body = await readBody(req);
    if (!live || live.socket.readyState !== WebSocket.OPEN) {
      return refuse(goneError(connectionId));
    }
    if (req.method === 'POST') {
      const fault = options.faults && managementFault(options.faults, connectionId);
      if (fault) return refuse(fault);
      if (body.length > maxMessageBytes) {
        return refuse(managementError(413, 'PayloadTooLargeException', `Message of ${body.length} bytes exceeds the ${maxMessageBytes}-byte limit`));
      }
      const delayMs = options.faults && pushDelayMs(options.faults);
      if (delayMs) setTimeout(() => live.socket.readyState === WebSocket.OPEN && live.socket.send(body.toString('utf8')), delayMs);
      else live.socket.send(body.toString('utf8'));
      res.writeHead(200).end();
    } else if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          ConnectedAt: new Date(live.connectedAt).toISOString(),
          LastActiveAt: new Date(live.lastActiveAt).toISOString(),
          Identity: { SourceIp: live.sourceIp, UserAgent: live.userAgent },
        }),
      );
    } else if (req.method === 'DELETE') {
      live.socket.close(1000, 'Closed by the server');
      res.writeHead(204).end();
    } else {
      res.writeHead(405).end();
    }
  };

  const server = createServer((req, res) => void management(req, res).catch(() => res.writeHead(500).end()));
  server.on('upgrade', (req, socket, head) => void onUpgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  domainName = `${host}:${port}`;

  return {
    url: `ws://${host}:${port}`,
    managementEndpoint: `http://${host}:${port}`,
    port,
    liveConnections: () => pool.size,
    faults: options.faults,
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      for (const live of pool.values()) live.socket.close(1001, 'Going away');
      await new Promise((r) => setTimeout(r, 10));
      await Promise.allSettled([...inFlight]);
      for (const live of pool.values()) live.socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight]);
    },
  };
}
