import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { chooseLogFormat, createLogger, type LogFormat } from './logger.ts';

test('pretty on a terminal, JSON otherwise, and LOG_FORMAT decides when set', () => {
  expect(chooseLogFormat(undefined, true)).toBe('pretty');
  expect(chooseLogFormat(undefined, false)).toBe('json');
  expect(chooseLogFormat(undefined, undefined)).toBe('json');
  expect(chooseLogFormat('json', true)).toBe('json');
  expect(chooseLogFormat('pretty', false)).toBe('pretty');
});

async function logOneLine(format: LogFormat): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const log = await createLogger({ level: 'info', format, destination: out });
  log.debug('below the level');
  log.info({ node: 'n1' }, 'Parley is running');
  await new Promise((r) => setTimeout(r, 50));
  return text;
}

test('json writes one object a line that a collector can parse', async () => {
  const text = await logOneLine('json');
  const lines = text.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, node: 'n1', msg: 'Parley is running' });
});

test('pretty writes a line for a person: level name, message and fields, no JSON', async () => {
  const text = await logOneLine('pretty');
  expect(text).toMatch(/INFO.*Parley is running/);
  expect(text).toMatch(/node: "n1"/);
  expect(text).not.toMatch(/below the level/);
  expect(() => JSON.parse(text.trim().split('\n')[0]!)).toThrow();
});
