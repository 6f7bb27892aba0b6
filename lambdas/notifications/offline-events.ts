/**
 * Events for recipients with no live connection when a message was stored,
 * so an operator can wire mobile push (APNs / FCM, docs/push-notifications.md).
 * An event names the user, the dialog and the message — never content: the
 * bodies are end-to-end encrypted for the devices, and a push service is a
 * third party. On AWS they go to EventBridge (OFFLINE_EVENT_BUS); locally to
 * a log line and, when OFFLINE_WEBHOOK_URL is set, a POST of the event as an
 * EventBridge target receives it. Delivery is at least once: a retried stream
 * batch publishes again, so receivers deduplicate by `idempotencyKey`.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Config } from '../config';
import { log } from '../log';

export const OFFLINE_EVENT_SOURCE = 'messenger';
export const OFFLINE_EVENT_DETAIL_TYPE = 'message for offline recipient';
/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

export interface OfflineEvent {
  userId: number;
  dialogId: number;
  messageId: number;
  /** The same for every delivery of this event: `<messageId>:<userId>`. */
  idempotencyKey: string;
}

export const offlineEvent = (userId: number, dialogId: number, messageId: number): OfflineEvent => ({
  userId,
  dialogId,
  messageId,
  idempotencyKey: `${messageId}:${userId}`,
});

/** Publishes events; resolves with those that could not be published (none: all were). */
export type OfflinePublisher = (events: readonly OfflineEvent[]) => Promise<OfflineEvent[]>;

/** `items` in consecutive groups of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

const entryOf = (busName: string, event: OfflineEvent): PutEventsRequestEntry => ({
  EventBusName: busName,
  Source: OFFLINE_EVENT_SOURCE,
  DetailType: OFFLINE_EVENT_DETAIL_TYPE,
  Detail: JSON.stringify(event),
});

/** PutEvents, 10 entries per call; entries EventBridge reports failed are retried twice more, then returned. */
export function eventBridgePublisher(client: Pick<EventBridgeClient, 'send'>, busName: string, retryDelayMs = 100): OfflinePublisher {
  return async (events) => {
    const failed: OfflineEvent[] = [];
    for (const chunk of chunked(events, PUT_EVENTS_MAX_ENTRIES)) {
      let pending = chunk;
      for (let attempt = 0; pending.length > 0 && attempt < 3; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
        const { Entries = [] } = await client.send(new PutEventsCommand({ Entries: pending.map((e) => entryOf(busName, e)) }));
        // Entries answer in request order; one with an ErrorCode was not put.
        pending = pending.filter((_, i) => Entries[i]?.ErrorCode !== undefined || Entries[i]?.EventId === undefined);
      }
      failed.push(...pending);
    }
    return failed;
  };
}

export interface TargetEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** An event as an EventBridge target receives it (an API destination POSTs this). */
export function targetEnvelope(source: string, detailType: string, detail: unknown, region: string, now = new Date()): TargetEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [],
    detail,
  };
}

/**
 * Locally, what a rule with an API destination would do on AWS: a log line
 * per event and, given a webhook URL, a POST of its envelope. False when the
 * webhook failed (an answer other than 2xx, or none within 5 s).
 */
export async function deliverLocally(webhookUrl: string | undefined, envelope: TargetEnvelope): Promise<boolean> {
  log.info(envelope['detail-type'], { source: envelope.source, detail: envelope.detail });
  if (!webhookUrl) return true;
  try {
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope),
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    return true;
  } catch (error) {
    log.warn('event webhook failed', { id: envelope.id, error: String(error) });
    return false;
  }
}

/** Local (no bus): each event delivered by deliverLocally. */
export function localPublisher(webhookUrl: string | undefined, region: string): OfflinePublisher {
  return async (events) => {
    const failed: OfflineEvent[] = [];
    for (const event of events) {
      if (!(await deliverLocally(webhookUrl, targetEnvelope(OFFLINE_EVENT_SOURCE, OFFLINE_EVENT_DETAIL_TYPE, event, region)))) failed.push(event);
    }
    return failed;
  };
}

export function createOfflinePublisher(config: Pick<Config, 'offlineEventBus' | 'offlineWebhookUrl' | 'region'>): OfflinePublisher {
  if (config.offlineEventBus) return eventBridgePublisher(new EventBridgeClient({ region: config.region }), config.offlineEventBus);
  return localPublisher(config.offlineWebhookUrl, config.region);
}
