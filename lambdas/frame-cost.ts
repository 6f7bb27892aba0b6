/**
 * What one frame cost: DynamoDB requests and consumed capacity, gathered per
 * invocation through AsyncLocalStorage so concurrent frames in one process
 * (the local gateway) are counted apart.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface FrameCost {
  dynamoRequests: number;
  readUnits: number;
  writeUnits: number;
  pushes: number;
}

const current = new AsyncLocalStorage<FrameCost>();

export function measureFrame<T>(run: () => Promise<T>): Promise<{ value: T; cost: FrameCost }> {
  const cost: FrameCost = { dynamoRequests: 0, readUnits: 0, writeUnits: 0, pushes: 0 };
  return current.run(cost, async () => ({ value: await run(), cost }));
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export function recordDynamoRequest(operation: string, consumed: Capacity | Capacity[] | undefined): void {
  const cost = current.getStore();
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
  const cost = current.getStore();
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
