/**
 * AWS list prices used for the per-frame estimate. Check them against the
 * pricing pages before relying on the figures; the region is us-east-1.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: 'list prices as published in 2025',
  /** API Gateway WebSocket: per million messages (32 KB units), first billion. */
  websocketMessage: 1.0,
  /** Lambda arm64: per GB-second, and per million requests. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2,
  /** DynamoDB on-demand: per million read / write request units. */
  readUnit: 0.125,
  writeUnit: 0.625,
  note: 'Lambda duration is the handler time measured locally (Lambda bills per 1 ms); messages = the request + its ack + each push; connection minutes ($0.25 per million) are not per frame and are left out.',
} as const;

export interface FrameUsage {
  handlerMs: number;
  memoryMb: number;
  readUnits: number;
  writeUnits: number;
  pushes: number;
}

/** Estimated USD per million frames of one kind. */
export function costPerMillion(u: FrameUsage): number {
  const messages = 2 + u.pushes; // request in, ack out, pushes out
  const lambda = Math.ceil(u.handlerMs) / 1000 * (u.memoryMb / 1024) * PRICES.lambdaGbSecond * 1e6 + PRICES.lambdaRequest;
  return messages * PRICES.websocketMessage + lambda + u.readUnits * PRICES.readUnit + u.writeUnits * PRICES.writeUnit;
}
