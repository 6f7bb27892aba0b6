/**
 * The EventBridge publisher of offline-recipient events, against a stand-in
 * for PutEvents (EventBridge cannot run locally; the local stack publishes
 * to the log and webhook instead, test/offline-recipients.test.ts). It
 * checks what AWS documents: at most 10 entries per call, entries answered
 * in request order, a failed entry marked by its ErrorCode.
 */
import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventBridgePublisher, offlineEvent, PUT_EVENTS_MAX_ENTRIES, OFFLINE_EVENT_DETAIL_TYPE, OFFLINE_EVENT_SOURCE } from '../lambdas/notifications/offline-events';

describe('eventBridgePublisher', () => {
  it('puts every event in calls of at most 10, retries the entries that failed twice more, and returns those still failing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 45 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 45, maxLength: 45 }), async (n, failures) => {
        const events = Array.from({ length: n }, (_, i) => offlineEvent(i + 1, 7, 1000 + i));
        // failures[i]: how many times event i's entry fails before it is put.
        const left = new Map(events.map((e, i) => [e.idempotencyKey, failures[i]!]));
        const calls: number[] = [];
        const put: string[] = [];
        const client = {
          send: async (command: PutEventsCommand) => {
            const entries = command.input.Entries!;
            calls.push(entries.length);
            return {
              Entries: entries.map((entry) => {
                expect(entry).toMatchObject({ EventBusName: 'bus', Source: OFFLINE_EVENT_SOURCE, DetailType: OFFLINE_EVENT_DETAIL_TYPE });
                const key = (JSON.parse(entry.Detail!) as { idempotencyKey: string }).idempotencyKey;
                const remaining = left.get(key)!;
                left.set(key, remaining - 1);
                if (remaining > 0) return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
                put.push(key);
                return { EventId: `id-${key}` };
              }),
            };
          },
        };
        const failed = await eventBridgePublisher(client as never, 'bus', 0)(events);
        expect(calls.every((c) => c >= 1 && c <= PUT_EVENTS_MAX_ENTRIES)).toBe(true);
        const expectedFailed = events.filter((_, i) => failures[i]! >= 3);
        expect(failed).toEqual(expectedFailed);
        expect(put.sort()).toEqual(events.filter((_, i) => failures[i]! < 3).map((e) => e.idempotencyKey).sort());
      }),
      { numRuns: 60 },
    );
  });

  it('an event names the user, dialog and message, and its idempotency key is stable', () => {
    expect(offlineEvent(3, 9, 123)).toEqual({ userId: 3, dialogId: 9, messageId: 123, idempotencyKey: '123:3' });
    expect(offlineEvent(3, 9, 123)).toEqual(offlineEvent(3, 9, 123));
  });
});
