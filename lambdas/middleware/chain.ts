/**
 * One middy chain for every frame route:
 *   ack shaper (after / onError) → frame parser → session loader → payload validator → rate limiter → handler.
 * The frame parser checks the session first for a chunk of a frame that needs a login (nothing stored without one).
 * Handlers are plain functions of (session, data, deps); this module is the
 * only one that knows the API Gateway event shape.
 */
import middy from '@middy/core';
import { getDeps, type Deps } from '../deps';
import { emfOptions, frameLine } from '../emf';
import { log } from '../log';
import { measureFrame, reportFrame } from '../frame-cost';
import { FrameTooLarge, messagesOf } from '../outbound';
import { ERRORS, ProtocolError } from '../protocol/errors';
import type { FrameData, FrameName, FrameResult, PublicFrame, UserFrame } from '../protocol/events';
import { isAckId, isPlainObject, type AckFrame, type RequestFrame } from '../protocol/frames';
import { rateLimitOf, routeOf, type RouteDefinition } from '../routes/table';
import { getConnection, isBound, refreshLiveness, type BoundConnection } from '../storage/connections';
import { takeToken } from '../storage/rate-limits';
import { isThrottling } from '../storage/retry';
import type { LambdaContext, RouteResponse, WebSocketEvent } from './aws-event';
import { AwaitingChunks, wholeEventOf } from './chunked-request';

/** A frame that cannot be answered (no usable ackId): dropped and logged, connection kept. */
export class DroppedFrame extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'DroppedFrame';
  }
}

export interface Caller {
  connectionId: string;
}

interface FrameState {
  frame?: RequestFrame;
  session?: BoundConnection;
  data?: unknown;
  deps: Deps;
  /** The error string answered, for the log line. */
  error?: string;
}

type FrameRequest = middy.Request<WebSocketEvent, RouteResponse, Error, LambdaContext & { state: FrameState }>;

/** Parses protocol §1: a JSON object with a string `event` and an optional valid `ackId`. */
export function parseFrame(event: WebSocketEvent): RequestFrame {
  if (event.isBase64Encoded) throw new DroppedFrame('binary frame');
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.body ?? '');
  } catch {
    throw new DroppedFrame('not JSON');
  }
  if (!isPlainObject(parsed)) throw new DroppedFrame('not a JSON object');
  const { event: name, data, ackId } = parsed;
  if (ackId !== undefined && ackId !== null && !isAckId(ackId)) throw new DroppedFrame('invalid ackId');
  const frame: RequestFrame = { event: typeof name === 'string' ? name : '', data, ...(isAckId(ackId) ? { ackId } : {}) };
  if (typeof name !== 'string') {
    if (frame.ackId === undefined) throw new DroppedFrame('event is not a string');
    throw Object.assign(new ProtocolError(ERRORS.wrongData, 'event is not a string'), { frame });
  }
  return frame;
}

function respond(ackId: RequestFrame['ackId'], ack: Omit<AckFrame, 'ackId'>): RouteResponse {
  if (ackId === undefined) return { statusCode: 200 };
  return { statusCode: 200, body: JSON.stringify({ ackId, ...ack }) };
}

/**
 * The ack as the route response, or — when it does not fit one API Gateway
 * message — as chunk frames (outbound.ts): all but the last through the
 * Management API, the last as the route response, so the ack is complete
 * only once the invocation has ended. Over the largest frame sent (6 MiB):
 * `something went wrong`.
 */
async function deliver(request: FrameRequest, ackId: RequestFrame['ackId'], ack: Omit<AckFrame, 'ackId'>): Promise<RouteResponse> {
  if (ackId === undefined) return respond(ackId, ack);
  const { connectionId, routeKey } = request.event.requestContext;
  let messages: string[];
  try {
    messages = messagesOf({ ackId, ...ack });
  } catch (error) {
    if (!(error instanceof FrameTooLarge)) throw error;
    request.context.state.error = ERRORS.somethingWentWrong;
    log.error('answer too large', { route: routeKey, bytes: error.bytes });
    return respond(ackId, { error: ERRORS.somethingWentWrong });
  }
  if (messages.length > 1) await request.context.state.deps.push.send(connectionId, messages.slice(0, -1));
  return { statusCode: 200, body: messages.at(-1)! };
}

const ackShaper = (): middy.MiddlewareObj<WebSocketEvent, RouteResponse, Error, FrameRequest['context']> => ({
  after: async (request) => {
    const { frame } = request.context.state;
    request.response = await deliver(request, frame?.ackId, { error: null, result: request.response ?? null });
  },
  onError: (request) => {
    const { error, context } = request;
    const frame = context.state.frame ?? (error as { frame?: RequestFrame }).frame;
    if (error instanceof AwaitingChunks) {
      request.response = { statusCode: 200 };
      return;
    }
    if (error instanceof DroppedFrame) {
      log.warn('frame dropped', { reason: error.message, route: request.event.requestContext.routeKey });
      request.response = { statusCode: 200 };
      return;
    }
    // Throttled past the SDK's retries: "not now, try again", as RetriesExhausted says it (a retry with the same client_id is safe).
    const refusal = error instanceof ProtocolError ? error : isThrottling(error) ? new ProtocolError(ERRORS.tooManyAttempts, `throttled: ${String(error)}`) : undefined;
    if (refusal) {
      context.state.error = refusal.message;
      request.response = respond(frame?.ackId, { error: refusal.error });
      return;
    }
    // Unexpected: the cause goes to the log, the client gets the generic string.
    context.state.error = ERRORS.somethingWentWrong;
    log.error('handler failed', { route: request.event.requestContext.routeKey, error: String(error), stack: error?.stack });
    request.response = respond(frame?.ackId, { error: ERRORS.somethingWentWrong });
  },
});

/** The caller's session, loaded once per invocation: `not authenticated` unless the connection is bound to a user. */
async function loadSession(state: FrameState, connectionId: string): Promise<void> {
  if (state.session) return;
  const connection = await getConnection(state.deps, connectionId);
  if (!isBound(connection)) throw new ProtocolError(ERRORS.notAuthenticated);
  state.session = connection;
  // A frame is activity (storage/connections.ts): usually no write, at most one per connection per refresh period.
  await refreshLiveness(state.deps, connection, state.deps.now().getTime());
}

/** The frame, whole; a chunk of a frame that needs a login is stored only for a session (loaded first). */
const frameParser = (route: RouteDefinition): middy.MiddlewareObj<WebSocketEvent, RouteResponse, Error, FrameRequest['context']> => ({
  before: async (request) => {
    const { state } = request.context;
    const admit = () => (route.auth ? loadSession(state, request.event.requestContext.connectionId) : Promise.resolve());
    const whole = await wholeEventOf(request.event, route, state.deps, DroppedFrame, admit);
    state.frame = parseFrame(whole);
  },
});

const sessionLoader = (route: RouteDefinition): middy.MiddlewareObj<WebSocketEvent, RouteResponse, Error, FrameRequest['context']> => ({
  before: async (request) => {
    if (route.auth) await loadSession(request.context.state, request.event.requestContext.connectionId);
  },
});

const payloadValidator = (route: RouteDefinition): middy.MiddlewareObj<WebSocketEvent, RouteResponse, Error, FrameRequest['context']> => ({
  before: (request) => {
    const { state } = request.context;
    const data = state.frame?.data ?? undefined;
    if (!route.schema) return;
    const parsed = route.schema.safeParse(data);
    if (!parsed.success) throw new ProtocolError(ERRORS.wrongData, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    state.data = parsed.data;
  },
});

/** Frames that cost take a token of the user's bucket first; an empty bucket answers `too many attempts` (storage/rate-limits). */
const rateLimiter = (route: RouteDefinition): middy.MiddlewareObj<WebSocketEvent, RouteResponse, Error, FrameRequest['context']> => ({
  before: async (request) => {
    const { state } = request.context;
    const limit = rateLimitOf(route, state.deps.config.rateLimits, state.data);
    if (!limit || !state.session) return;
    const allowed = await takeToken(state.deps, state.session.userId, route.event, limit, state.deps.now().getTime());
    if (!allowed) throw new ProtocolError(ERRORS.tooManyAttempts, 'rate limit');
  },
});

const EMF = emfOptions();

/** Wraps a middy chain so each invocation logs its route, latency and DynamoDB cost. */
function measured(route: RouteDefinition, chain: (event: WebSocketEvent, context: LambdaContext) => Promise<RouteResponse>) {
  return async (event: WebSocketEvent, context: LambdaContext = {}): Promise<RouteResponse> => {
    const started = performance.now();
    const { value, cost } = await measureFrame(() => chain(event, context));
    const state = (context as { state?: FrameState }).state;
    const error = state?.error;
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const record = { route: route.event, ms, ...cost, ...(error ? { error } : {}) };
    const ids = { awsRequestId: context.awsRequestId, connectionId: event.requestContext.connectionId, userId: state?.session?.userId };
    (EMF ? log.bare : log.info)('frame', frameLine(record, ids, EMF));
    reportFrame(record);
    return value;
  };
}

function frameChain(route: RouteDefinition, run: (state: FrameState, connectionId: string) => Promise<unknown>) {
  const chain = middy<WebSocketEvent, RouteResponse, Error, FrameRequest['context']>()
    .before((request) => {
      request.context.state = { deps: getDeps() };
    })
    .use([ackShaper(), frameParser(route), sessionLoader(route), payloadValidator(route), rateLimiter(route)])
    .handler((event, context) => run(context.state, event.requestContext.connectionId) as Promise<RouteResponse>);
  return measured(route, chain as never);
}

/** A frame that needs no login (the `auth …` frames): the handler gets the caller's connection id. */
export function publicRoute<E extends PublicFrame | '$default'>(
  event: E,
  handler: (caller: Caller, data: E extends FrameName ? FrameData<E> : undefined, deps: Deps) => Promise<E extends FrameName ? FrameResult<E> : never>,
) {
  const route = routeOf(event);
  if (route.auth) throw new Error(`${event} requires a session: use userRoute`);
  // The payload validator has run the route's schema: `data` is its output.
  return frameChain(route, (state, connectionId) => handler({ connectionId }, state.data as never, state.deps));
}

/** A frame of a logged-in user: the handler gets the session (connection bound to a user). */
export function userRoute<E extends UserFrame>(event: E, handler: (session: BoundConnection, data: FrameData<E>, deps: Deps) => Promise<FrameResult<E>>) {
  const route = routeOf(event);
  if (!route.auth) throw new Error(`${event} needs no session: use publicRoute`);
  return frameChain(route, (state) => handler(state.session!, state.data as FrameData<E>, state.deps));
}

export interface ConnectionEvent {
  connectionId: string;
  headers: Record<string, string | undefined>;
}

const EVENT_TYPES = { $connect: 'CONNECT', $disconnect: 'DISCONNECT' } as const;

/**
 * `$connect` / `$disconnect`: no frame, no ack; the handler answers allow (true) or refuse (false).
 * An event of another type (a misrouted invocation) is refused before the handler runs.
 */
export function connectionRoute(event: '$connect' | '$disconnect', handler: (connection: ConnectionEvent, deps: Deps) => Promise<boolean>) {
  const route = routeOf(event);
  const chain = async (e: WebSocketEvent): Promise<RouteResponse> => {
    if (e.requestContext?.eventType !== EVENT_TYPES[event]) {
      log.error('wrong event type', { route: event, eventType: e.requestContext?.eventType });
      return { statusCode: 400 };
    }
    try {
      const headers = Object.fromEntries(Object.entries(e.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const allowed = await handler({ connectionId: e.requestContext.connectionId, headers }, getDeps());
      return { statusCode: allowed ? 200 : 403 };
    } catch (error) {
      log.error('handler failed', { route: event, error: String(error), stack: (error as Error)?.stack });
      return { statusCode: 500 };
    }
  };
  return measured(route, chain);
}
