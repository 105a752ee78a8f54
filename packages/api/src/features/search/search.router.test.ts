import { createTestApi } from '../../testing.ts';
import { describeSearch } from './search.cases.ts';

describeSearch('search.messages on PGlite', async () => {
  const api = await createTestApi();
  return { api, close: () => api.close() };
});
