import { createTestApi } from '../../testing.ts';
import { describeRead } from './read.cases.ts';

describeRead('read positions and receipts on PGlite', async () => {
  const api = await createTestApi();
  return { api, close: () => api.close() };
});
