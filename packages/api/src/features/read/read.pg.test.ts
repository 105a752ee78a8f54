import { describe } from 'vitest';
import { postgresForTests } from '@parley/db/test-services';
import { openPostgresTestApi } from '../../testing.ts';
import { describeRead } from './read.cases.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('on PostgreSQL', () => {
  describeRead('read positions and receipts on PostgreSQL', () => openPostgresTestApi(baseUrl!));
});
