/** Reads what frames cost from the chain's per-frame measurement (metrics.observeFrames: the `frame` log line's numbers). */
import { expect } from 'vitest';
import { observeFrames, type FrameRecord } from '../../lambdas/frame-cost';
import type { TestClient } from './client';

export function recordFrames() {
  const frames: FrameRecord[] = [];
  const stop = observeFrames((frame) => frames.push(frame));
  return {
    frames,
    stop,
    /** Sends one frame that must succeed; returns its measured cost. */
    async costOf(client: TestClient, event: string, data?: unknown): Promise<FrameRecord> {
      const from = frames.length;
      const ack = await client.request(event, data);
      expect(ack.error, event).toBeNull();
      const measured = frames.slice(from).filter((f) => f.route === event);
      expect(measured).toHaveLength(1);
      return measured[0]!;
    },
  };
}
