import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Logger } from '@parley/api';
import type { ParleyNode } from '../src/node.ts';
import { signUp, startTestNode } from './helpers.ts';

const logged: { obj: Record<string, unknown>; msg?: string | undefined }[] = [];
const log: Logger = { info() {}, warn() {}, debug() {}, error: (obj, msg) => void logged.push({ obj: obj as Record<string, unknown>, msg }) };

let node: ParleyNode;
beforeAll(async () => {
  node = await startTestNode({ log });
});
afterAll(() => node?.close());

test('an internal error reaches the client as an id, never as its SQL text; the log has the error under that id', async () => {
  const ada = await signUp(node.url, `ie_${Date.now().toString(36)}`);
  const partitionId = `ie_${Date.now().toString(36)}`;
  await ada.client.trpc.partition.create.mutate({ id: partitionId, name: 'Broken' });
  const roomId = (await ada.client.trpc.room.list.query({ partitionId }))[0]!.id;
  // Break the workspace behind the server's back: its messages table is gone.
  await sql`drop table ${sql.table(`messages_${partitionId}`)} cascade`.execute(node.deps.db);
  const res = await fetch(`${node.url}/trpc/message.list?input=${encodeURIComponent(JSON.stringify({ partitionId, roomId }))}`, {
    headers: { authorization: `Bearer ${ada.token}` },
  });
  expect(res.status).toBe(500);
  const body = JSON.stringify(await res.json());
  expect(body).not.toMatch(/messages_|relation|does not exist|select/i);
  const id = /report error ([0-9a-f]{8})/.exec(body)?.[1];
  expect(id).toBeTruthy();
  expect(body).toContain(`"errorId":"${id}"`);
  const entry = logged.find((l) => l.obj.errorId === id);
  expect(String((entry?.obj.err as Error | undefined)?.cause ?? entry?.obj.err)).toMatch(/does not exist/);
  await ada.client.close();
});
