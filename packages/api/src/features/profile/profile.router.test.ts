import { createTestApi } from '../../testing.ts';
import { describeProfiles } from './profile.cases.ts';

describeProfiles('profile.* on PGlite', async (opts) => {
  const api = await createTestApi(opts);
  return { api, close: () => api.close() };
});
