import { describe } from 'vitest';
import { createTestDatabase, postgresForTests } from '@parley/db/test-services';
import { createTestApi } from '../../testing.ts';
import { describeSearch } from './search.cases.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('on PostgreSQL', () => {
  describeSearch('search.messages on PostgreSQL', async () => {
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
