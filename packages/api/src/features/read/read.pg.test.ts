import { describe } from 'vitest';
import { createTestDatabase, postgresForTests } from '@parley/db/test-services';
import { createTestApi } from '../../testing.ts';
import { describeRead } from './read.cases.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('on PostgreSQL', () => {
  describeRead('read positions and receipts on PostgreSQL', async () => {
    const db = await createTestDatabase(baseUrl!);
    const api = await createTestApi({ databaseUrl: db.url });
    return {
      api,
      close: async () => {
        await api.close();
        await db.drop();
      },
    };
  });
});
