/**
 * What one frame cost: DynamoDB requests and consumed capacity, gathered per
 * invocation through AsyncLocalStorage so concurrent frames in one process
 * (the local gateway) are counted apart. Also the frame's critical path in
 * DynamoDB round trips: requests issued together count once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface FrameCost {
  dynamoRequests: number;
  /** DynamoDB requests that started while none of the frame's others was in flight: the round trips the frame waits for one after another. */
  dynamoRoundTrips: number;
  readUnits: number;
  writeUnits: number;
  pushes: number;
}

interface Measurement {
  cost: FrameCost;
  dynamoInFlight: number;
}

const current = new AsyncLocalStorage<Measurement>();

export function measureFrame<T>(run: () => Promise<T>): Promise<{ value: T; cost: FrameCost }> {
  const cost: FrameCost = { dynamoRequests: 0, dynamoRoundTrips: 0, readUnits: 0, writeUnits: 0, pushes: 0 };
  return current.run({ cost, dynamoInFlight: 0 }, async () => ({ value: await run(), cost }));
}

/** A DynamoDB request of the current frame goes out; call the result when its answer is back (retries included). */
export function dynamoRequestStarted(): () => void {
  const measurement = current.getStore();
  if (!measurement) return () => {};
  if (measurement.dynamoInFlight++ === 0) measurement.cost.dynamoRoundTrips += 1;
  let done = false;
  return () => {
    if (!done) measurement.dynamoInFlight--;
    done = true;
  };
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export function recordDynamoRequest(operation: string, consumed: Capacity | Capacity[] | undefined): void {
  const cost = current.getStore()?.cost;
  if (!cost) return;
  cost.dynamoRequests += 1;
  const writes = /Put|Update|Delete|Write/.test(operation);
  for (const c of [consumed ?? []].flat()) {
    const read = c.ReadCapacityUnits ?? (writes ? 0 : c.CapacityUnits ?? 0);
    const write = c.WriteCapacityUnits ?? (writes ? c.CapacityUnits ?? 0 : 0);
    cost.readUnits += read;
    cost.writeUnits += write;
  }
}

export function recordPush(): void {
  const cost = current.getStore()?.cost;
  if (cost) cost.pushes += 1;
}

export interface FrameRecord extends FrameCost {
  route: string;
  ms: number;
  error?: string;
}

const observers = new Set<(frame: FrameRecord) => void>();

/** Lets the local tools (benchmark, tests) see every frame's cost; returns the unsubscribe function. */
export function observeFrames(observer: (frame: FrameRecord) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

export function reportFrame(frame: FrameRecord): void {
  for (const observer of observers) observer(frame);
}
