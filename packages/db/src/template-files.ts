import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `db/migrations` (global, run once) and `db/partition` (per-partition table templates). */
export type TemplateKind = 'migrations' | 'partition';

const TEMPLATE_FILE = /^\d{4}_[a-z0-9_]+\.ts$/;

export interface TemplateFile {
  /** The file name without `.ts`, e.g. `0001_accounts_partitions`: the migration's name. */
  name: string;
  path: string;
}

export interface TemplateModule {
  name: string;
  module: unknown;
}

/** The numbered template files of one folder, in name order (the order they apply in). */
export async function listTemplateFiles(kind: TemplateKind): Promise<TemplateFile[]> {
  const dir = fileURLToPath(new URL(`../../../db/${kind}/`, import.meta.url));
  return (await readdir(dir))
    .filter((f) => TEMPLATE_FILE.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.ts$/, ''), path: `${dir}${f}` }));
}

/**
 * Imports the template files of one folder, in name order. The folder is listed at run time,
 * so a new numbered file needs no registration. The compiled server cannot do that (plain
 * `node` imports no `.ts`, and the image ships no `db/`): its build replaces this module with
 * static imports of the files present at build time (`templateFilesPlugin` in
 * apps/server/tsup.config.ts), keeping this signature.
 */
export async function loadTemplateModules(kind: TemplateKind): Promise<TemplateModule[]> {
  const files = await listTemplateFiles(kind);
  return Promise.all(files.map(async ({ name, path }) => ({ name, module: (await import(pathToFileURL(path).href)) as unknown })));
}
