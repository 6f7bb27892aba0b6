/**
 * Consumer of group items' and dialog heads' writes (domain/memberships.ts):
 * the membership items a member change implies are written by the request
 * after its commit; should it die first, this puts and deletes them, checked
 * against the group / head as they are now. Most records (a message moving a
 * head's `lastId`) change no one and cost no read.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { getDeps, type Deps } from '../deps';
import { dialogMembershipWrites, groupMembershipWrites, reconcileMemberships, type MembershipChange } from '../domain/memberships';
import { log } from '../log';
import type { DialogHead } from '../storage/dialogs';
import type { GroupRecord } from '../storage/groups';
import { afterGrace, handleEach, type BatchResponse, type StreamEvent, type StreamRecord } from './records';

/** The member change a record describes, if it is a group item's or a dialog head's. */
function changeOf(record: StreamRecord): MembershipChange | undefined {
  const { NewImage, OldImage, Keys } = record.dynamodb;
  if (!NewImage) return undefined;
  const after = unmarshall(NewImage);
  const before = OldImage ? unmarshall(OldImage) : undefined;
  if (Keys.sk?.S === 'GROUP') return { kind: 'group', id: after.id as number, writes: groupMembershipWrites(before as GroupRecord | undefined, after as GroupRecord) };
  if (Keys.sk?.S === 'HEAD') return { kind: 'dialog', id: after.id as number, writes: dialogMembershipWrites(before as DialogHead | undefined, after as DialogHead) };
  return undefined;
}

export async function membersChanged(deps: Deps, event: StreamEvent): Promise<BatchResponse> {
  return handleEach(
    event,
    deps.config.pushConcurrency,
    async (record) => {
      const change = changeOf(record);
      if (!change || change.writes.puts.length + change.writes.deletes.length === 0) return;
      await afterGrace(record.dynamodb.ApproximateCreationDateTime * 1000, deps.config.deliveryGraceMs, deps.now().getTime());
      const repaired = await reconcileMemberships(deps, change);
      if (repaired > 0) log.info('memberships repaired', { kind: change.kind, id: change.id, items: repaired });
    },
    (record, error) => log.error('stream record failed', { eventID: record.eventID, error: String(error) }),
  );
}

export const handler = (event: StreamEvent): Promise<BatchResponse> => membersChanged(getDeps(), event);
