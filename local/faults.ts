/**
 * The local stack's fault mode: AWS's failure modes, seeded, each at its own
 * rate, injected by the gateway so handlers and SDK clients meet them as they
 * would on AWS (the SDK's own retries included).
 *
 *   FAULTS=post410:0.05,post429:0.1,lostDisconnect:0.2 FAULTS_SEED=7 npm start
 *
 * - `post410`: a PostToConnection to a live connection answers 410 Gone
 *   (API Gateway does for a connection it is still setting up or tearing down).
 * - `post429`: a PostToConnection is throttled (429 TooManyRequestsException).
 * - `lostDisconnect`: a closed connection's `$disconnect` never runs (API
 *   Gateway delivers it on a best-effort basis).
 */
import { goneError, managementError, type ManagementRefusal } from './management-errors';
import { seededRandom } from './seeded-random';

export const FAULT_KINDS = ['post410', 'post429', 'lostDisconnect'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Faults {
  /** Off: nothing strikes (a test sets up its data first). @default true */
  active: boolean;
  /** Whether this occurrence of `kind` fails (false for every kind not configured). */
  strikes(kind: FaultKind): boolean;
  /** How many times each kind struck. */
  readonly struck: Readonly<Record<FaultKind, number>>;
  /** Sets a kind's rate from now on (a test makes one fault strike where it wants it). */
  setRate(kind: FaultKind, rate: number): void;
}

/** `kind:rate,…` (rates in [0, 1]); undefined or empty: no faults. */
export function parseFaults(spec: string | undefined, seed = 1): Faults {
  const rates = new Map<FaultKind, number>();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [kind, rate] = part.split(':');
    if (!(FAULT_KINDS as readonly string[]).includes(kind!)) throw new Error(`FAULTS: unknown kind ${kind} (known: ${FAULT_KINDS.join(', ')})`);
    const value = Number(rate);
    if (!(value >= 0 && value <= 1)) throw new Error(`FAULTS: rate of ${kind} must be in [0, 1], got ${rate}`);
    rates.set(kind as FaultKind, value);
  }
  const random = seededRandom(seed);
  const struck = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  return {
    active: true,
    struck,
    strikes(kind) {
      const rate = rates.get(kind);
      if (!this.active || !rate || random() >= rate) return false;
      struck[kind]++;
      return true;
    },
    setRate(kind, rate) {
      rates.set(kind, rate);
    },
  };
}

/** The Management API's answer to a POST that a fault refuses, or undefined to deliver it. */
export function managementFault(faults: Faults, connectionId: string): ManagementRefusal | undefined {
  if (faults.strikes('post429')) return managementError(429, 'TooManyRequestsException', 'Too Many Requests');
  if (faults.strikes('post410')) return goneError(connectionId);
  return undefined;
}
