/**
 * Where offline-recipient events go on AWS (lambdas/notifications/offline-events.ts):
 * an EventBridge bus — the stack's own (default), the account's default bus,
 * or an existing bus by name — and the one grant the publishing function
 * needs: events:PutEvents on that bus. Operators add rules on the bus to
 * reach APNs / FCM (docs/push-notifications.md).
 */
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** `custom`: the stack's own bus; `default`: the account's default bus; otherwise the name of an existing bus. */
export type OfflineEventBusSetting = 'custom' | 'default' | (string & {});

export interface OfflineEventsProps {
  bus: OfflineEventBusSetting;
  /** The function that publishes (the `offline-recipients` stream consumer). */
  publisher: LambdaFunction;
}

export class OfflineEvents extends Construct {
  readonly bus: IEventBus;

  constructor(scope: Construct, id: string, props: OfflineEventsProps) {
    super(scope, id);
    this.bus =
      props.bus === 'custom'
        ? new EventBus(this, 'Bus', { description: 'Messages stored for recipients with no live connection (user, dialog, message id; no content).' })
        : EventBus.fromEventBusName(this, 'Bus', props.bus);
    this.bus.grantPutEventsTo(props.publisher);
    props.publisher.addEnvironment('OFFLINE_EVENT_BUS', this.bus.eventBusName);
  }
}
