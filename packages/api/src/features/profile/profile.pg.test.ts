import { describe } from 'vitest';
import { createTestDatabase, postgresForTests } from '@parley/db/test-services';
import { createTestApi } from '../../testing.ts';
import { describeProfiles } from './profile.cases.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('on PostgreSQL', () => {
  describeProfiles('profile.* on PostgreSQL', async (opts) => {
    const db = await createTestDatabase(baseUrl!);
    const api = await createTestApi({ ...opts, databaseUrl: db.url });
    return {
      api,
      close: async () => {
        await api.close();
        await db.drop();
      },
    };
  });
});
