import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './node-process.ts';

/** s3rver's credentials (it accepts only these) and the bucket the nodes use. */
const KEY = 'S3RVER';
export const S3_BUCKET = 'parley-media';

export interface LocalS3 {
  /** e.g. http://127.0.0.1:4569 */
  readonly endpoint: string;
  /** The S3_* settings for the nodes. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

/**
 * An S3-protocol server (s3rver, from npm: MinIO is packaged neither in Debian nor on npm) on
 * 127.0.0.1 with an empty bucket, its files in a temporary directory removed on stop: what
 * `pnpm cluster --s3` gives the nodes instead of the MinIO of docker-compose.yml. s3rver is a
 * test dependency of @parley/api, loaded from there.
 */
export async function startLocalS3(port = 0): Promise<LocalS3> {
  const require = createRequire(join(REPO_ROOT, 'packages/api/package.json'));
  const { default: S3rver } = (await import(pathToFileURL(require.resolve('s3rver')).href)) as {
    default: new (options: object) => S3rverInstance;
  };
  const dir = mkdtempSync(join(tmpdir(), 'parley-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir, configureBuckets: [{ name: S3_BUCKET }] });
  const { port: bound } = await server.run();
  const endpoint = `http://127.0.0.1:${bound}`;
  return {
    endpoint,
    env: {
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET,
      S3_ACCESS_KEY_ID: KEY,
      S3_SECRET_ACCESS_KEY: KEY,
      S3_FORCE_PATH_STYLE: 'true',
    },
    async stop() {
      await server.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
