import { describe } from 'vitest';
import { postgresForTests } from '@parley/db/test-services';
import { openPostgresTestApi } from '../../testing.ts';
import { describeProfiles } from './profile.cases.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('on PostgreSQL', () => {
  describeProfiles('profile.* on PostgreSQL', (opts) => openPostgresTestApi(baseUrl!, opts));
});
