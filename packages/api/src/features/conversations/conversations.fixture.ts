import { uuidv7 } from 'uuidv7';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { untrack } from '../../test-util.ts';
import type { ParleyEvent } from '../event/event.types.ts';

/**
 * One workspace with everyone the conversation rules tell apart: the owner, a workspace admin,
 * a room admin (who created the private room `secret` and blocked `bea`), a member and a viewer
 * in it, a member who is not, a user of another workspace, and the blocked user (also in it).
 */
export interface ConversationFixture {
  api: TestApi;
  partitionId: string;
  general: string;
  secret: string;
  owner: TestUser;
  admin: TestUser;
  roomAdmin: TestUser;
  member: TestUser;
  viewer: TestUser;
  outsider: TestUser;
  stranger: TestUser;
  blocked: TestUser;
}

export const opId = () => uuidv7();

export async function createConversationFixture(partitionId: string, api?: TestApi): Promise<ConversationFixture> {
  api ??= await createTestApi();
  const ws = await createTestWorkspace(api, partitionId, `${partitionId}_owner`, [
    `${partitionId}_admin`,
    `${partitionId}_radmin`,
    `${partitionId}_member`,
    `${partitionId}_viewer`,
    `${partitionId}_outsider`,
    `${partitionId}_bea`,
  ]);
  const [admin, roomAdmin, member, viewer, outsider, blocked] = ws.members as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
  const P = { partitionId };
  await ws.owner.caller.partition.setRole({ ...P, userId: admin.id, role: 'admin' });
  await ws.owner.caller.partition.setRole({ ...P, userId: viewer.id, role: 'viewer' });
  const room = await roomAdmin.caller.room.create({ ...P, name: 'secret', visibility: 'private', topic: 'plans' });
  for (const u of [member, viewer, blocked]) await roomAdmin.caller.room.addMember({ ...P, roomId: room.id, userId: u.id });
  await roomAdmin.caller.user.block({ userId: blocked.id });
  const stranger = await api.signUp(`${partitionId}_stranger`);
  await stranger.caller.partition.create({ id: `${partitionId}_x`, name: 'elsewhere' });
  return { api, partitionId, general: ws.general, secret: room.id, owner: ws.owner, admin, roomAdmin, member, viewer, outsider, stranger, blocked };
}

/** Reads a user's stream from `from` until `until` matches an event (which is included), or fails after the timeout. */
export async function streamUntil(
  user: TestUser,
  partitionId: string,
  from: number,
  until: (event: ParleyEvent) => boolean,
  timeoutMs = 10_000,
): Promise<ParleyEvent[]> {
  const iterable = (await user.caller.event.onEvent({ partitionId, lastEventId: from })) as AsyncIterable<unknown>;
  const it = iterable[Symbol.asyncIterator]();
  const out: ParleyEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        it.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`stream: no matching event after ${out.length} events`)), Math.max(1, deadline - Date.now()));
        }),
      ]).finally(() => clearTimeout(timer));
      if (next.done) return out;
      const event = untrack<ParleyEvent>(next.value).data;
      out.push(event);
      if (until(event)) return out;
    }
  } finally {
    void it.return?.();
  }
}
