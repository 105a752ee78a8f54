import { describe } from 'vitest';
import { postgresForTests } from '@parley/db/test-services';
import { openPostgresTestApi } from '../../testing.ts';
import { describeSearch } from './search.cases.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('on PostgreSQL', () => {
  describeSearch('search.messages on PostgreSQL', () => openPostgresTestApi(baseUrl!));
});
