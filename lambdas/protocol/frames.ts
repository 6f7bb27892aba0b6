/** The wire format (protocol §1): requests, acks and pushes, all JSON text frames. */
import type { ErrorString } from './errors';

export type AckId = number | string;

export interface RequestFrame {
  event: string;
  data?: unknown;
  ackId?: AckId;
}

export interface AckFrame {
  ackId: AckId;
  error: ErrorString | null;
  result?: unknown;
}

export interface PushFrame {
  event: string;
  data: unknown;
}

export function isAckId(value: unknown): value is AckId {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && value.length >= 1 && value.length <= 64;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Dates on the wire: UTC `YYYY-MM-DD HH:mm:ss`. */
export function formatDate(date: Date | number): string {
  return new Date(date).toISOString().slice(0, 19).replace('T', ' ');
}
