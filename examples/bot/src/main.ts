import { startBot } from './bot.ts';

/**
 * Usage: PARLEY_URL=http://localhost:3000 PARLEY_TOKEN=… PARLEY_PARTITION=acme pnpm start
 * (get a token with `auth.login({ username, password, session: 'token' })`). The bot's position
 * and unsent replies are kept in PARLEY_BOT_STATE (default ./bot-state.json).
 */
const url = process.env.PARLEY_URL ?? 'http://localhost:3000';
const token = process.env.PARLEY_TOKEN;
const partitionId = process.env.PARLEY_PARTITION;
if (!token || !partitionId) {
  console.error('Set PARLEY_TOKEN (a session token) and PARLEY_PARTITION (a workspace id).');
  process.exit(2);
}
const statePath = process.env.PARLEY_BOT_STATE ?? './bot-state.json';
const bot = await startBot({ url, token, partitionId, statePath, onError: (e) => console.error('bot error:', e) });
console.log(`bot ${bot.userId} is answering !ping (a reply and a 👍), !echo and !file in ${partitionId} on ${url}`);
const stop = async () => {
  await bot.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
