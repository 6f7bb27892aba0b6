/**
 * The CDK app: one environment-agnostic stack (no account or region at synth
 * time), so `cdk synth` works without AWS credentials.
 */
import { App } from 'aws-cdk-lib';
import { MessengerStack } from './messenger-stack';

const app = new App();
new MessengerStack(app, 'Messenger', {
  description: 'Serverless messenger: API Gateway WebSocket API, one Lambda per route, DynamoDB.',
});
app.synth();
