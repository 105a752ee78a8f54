import { readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { listTemplateFiles, loadTemplateModules } from './template-files.ts';

const folder = (kind: string) => readdirSync(new URL(`../../../db/${kind}/`, import.meta.url)).filter((f) => f.endsWith('.ts') && f !== 'package.json');

test('every numbered file of db/migrations and db/partition is found, in the order it applies', async () => {
  for (const kind of ['migrations', 'partition'] as const) {
    const names = (await listTemplateFiles(kind)).map((f) => f.name);
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names).toEqual(
      folder(kind)
        .map((f) => f.replace(/\.ts$/, ''))
        .sort(),
    );
    const modules = await loadTemplateModules(kind);
    expect(modules.map((m) => m.name)).toEqual(names);
    for (const { module } of modules) expect(typeof (module as { up?: unknown }).up).toBe('function');
  }
});
