/**
 * The CDK app: one environment-agnostic stack (no account or region at synth
 * time), so `cdk synth` works without AWS credentials. `-c stage=staging`
 * makes it another, complete stack (`Messenger-staging`) beside the default one.
 */
import { App } from 'aws-cdk-lib';
import { MessengerStack } from './messenger-stack';
import { stackIdentity } from './settings';

const app = new App();
const { stackName, stage } = stackIdentity(app.node);
new MessengerStack(app, stackName, {
  description: `Serverless messenger${stage ? ` (${stage})` : ''}: API Gateway WebSocket API, one Lambda per route, DynamoDB.`,
  ...(stage ? { tags: { stage } } : {}),
});
app.synth();
