/** The slice of API Gateway's WebSocket event and Lambda context that we use. Only middleware sees these. */
export interface WebSocketEvent {
  requestContext: {
    routeKey: string;
    eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    connectionId: string;
    requestId?: string;
    domainName?: string;
    stage?: string;
    connectedAt?: number;
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** What the integration returns; API Gateway sends `body` back on a two-way route. */
export interface RouteResponse {
  statusCode: number;
  body?: string;
}

export interface LambdaContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}
