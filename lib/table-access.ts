/**
 * A route's access to one table: its actions on the table, and Query on each
 * of the table's indexes by name. Table.grant would allow every action on
 * `<table>/index/*` — on any index added later, and actions an index cannot
 * serve (cdk-nag AwsSolutions-IAM5).
 */
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { TableDefinition } from '../lambdas/storage/tables';

export function grantTableAccess(grantee: IGrantable, table: Table, definition: TableDefinition, actions: readonly string[]): void {
  Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [table.tableArn] });
  if (definition.indexes.length === 0 || !actions.includes('dynamodb:Query')) return;
  Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:Query'],
    resourceArns: definition.indexes.map((index) => `${table.tableArn}/index/${index.name}`),
  });
}
