/**
 * A route's access to one table: its actions on the table, and Query on each
 * of the table's indexes by name. Table.grant would allow every action on
 * `<table>/index/*` — on any index added later, and actions an index cannot
 * serve (cdk-nag AwsSolutions-IAM5).
 */
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { TableDefinition } from '../lambdas/storage/tables';
import { DYNAMODB_ACTIONS } from './grants';

export function grantTableAccess(grantee: IGrantable, table: Table, definition: TableDefinition, actions: readonly string[]): void {
  Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [table.tableArn] });
  if (definition.indexes.length === 0 || !actions.includes('dynamodb:Query')) return;
  Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:Query'],
    resourceArns: definition.indexes.map((index) => `${table.tableArn}/index/${index.name}`),
  });
}

/** Every table of an `access` entry (a route's or a stream consumer's), each at its level; `owner` names the entry in errors. */
export function grantAccessEntry(
  grantee: IGrantable,
  owner: string,
  access: Readonly<Partial<Record<TableDefinition['name'], 'read' | 'write'>>>,
  tables: ReadonlyMap<TableDefinition['name'], Table>,
  definitions: readonly TableDefinition[],
): void {
  for (const [name, level] of Object.entries(access)) {
    const table = tables.get(name as TableDefinition['name']);
    const definition = definitions.find((d) => d.name === name);
    if (!table || !definition || !level) throw new Error(`${owner}: access to unknown table ${name}`);
    grantTableAccess(grantee, table, definition, DYNAMODB_ACTIONS[level]);
  }
}
