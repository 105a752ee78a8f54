import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onLines, RecentLines, sleep } from './process-util.ts';

/** The deployment's nginx.conf at the repository root: docker compose uses it as written. */
export const NGINX_CONF = fileURLToPath(new URL('../../nginx.conf', import.meta.url));

/** The blocks `# parley:<name>` … `# end parley:<name>` a local run replaces; nothing else differs. */
export const RENDERED_BLOCKS = ['process', 'http-files', 'listen', 'upstream-servers'] as const;
export type RenderedBlock = (typeof RENDERED_BLOCKS)[number];

export interface Upstream {
  host: string;
  port: number;
}

export interface RenderOptions {
  /** Where nginx listens (on 127.0.0.1). */
  port: number;
  servers: readonly Upstream[];
  /** The run's directory: pid, logs and temp files go there. */
  dir: string;
}

function blockPattern(name: string): RegExp {
  return new RegExp(`^([ \\t]*)# parley:${name}\\n[\\s\\S]*?^[ \\t]*# end parley:${name}\\n`, 'm');
}

/** The lines of a marked block (without the markers), or undefined when the file has none. */
export function markedBlock(conf: string, name: RenderedBlock): string | undefined {
  const m = blockPattern(name).exec(conf);
  if (!m) return undefined;
  return m[0].split('\n').slice(1, -2).join('\n');
}

/**
 * The parameters every upstream server of the template carries (`max_fails=2 fail_timeout=5s`),
 * minus `resolve` (Docker's DNS): a local run keeps the same passive health checks.
 */
export function serverParameters(conf: string): string[] {
  const block = markedBlock(conf, 'upstream-servers');
  if (block === undefined) throw new Error('nginx.conf has no "# parley:upstream-servers" block');
  const lines = block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('server '));
  const params = lines.map((l) =>
    l
      .replace(/;$/, '')
      .split(/\s+/)
      .slice(2)
      .filter((p) => p !== 'resolve')
      .join(' '),
  );
  if (params.length === 0 || params.some((p) => p !== params[0])) {
    throw new Error(`nginx.conf's upstream servers should all carry the same parameters: ${lines.join(' | ')}`);
  }
  return params[0] ? params[0].split(' ') : [];
}

/**
 * nginx.conf for a local run: the marked blocks replaced (pid/logs/temp files in `dir`,
 * `listen 127.0.0.1:<port>`, the given servers with the template's parameters); every other
 * line as in the file docker compose uses.
 */
export function renderNginxConf(template: string, options: RenderOptions): string {
  const params = serverParameters(template).join(' ');
  const { dir } = options;
  const replacements: Record<RenderedBlock, string[]> = {
    process: [`pid ${join(dir, 'nginx.pid')};`, 'error_log stderr warn;'],
    'http-files': [
      `access_log ${join(dir, 'access.log')} parley;`,
      `client_body_temp_path ${join(dir, 'tmp', 'client_body')};`,
      `proxy_temp_path ${join(dir, 'tmp', 'proxy')};`,
      `fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};`,
      `uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};`,
      `scgi_temp_path ${join(dir, 'tmp', 'scgi')};`,
    ],
    listen: [`listen 127.0.0.1:${options.port};`],
    'upstream-servers': options.servers.map((s) => `server ${s.host}:${s.port}${params ? ` ${params}` : ''};`),
  };
  if (options.servers.length === 0) throw new Error('an upstream needs at least one server');
  let out = template;
  for (const name of RENDERED_BLOCKS) {
    const pattern = blockPattern(name);
    const m = pattern.exec(out);
    if (!m) throw new Error(`nginx.conf has no "# parley:${name}" … "# end parley:${name}" block`);
    const indent = m[1] ?? '';
    const body = replacements[name].map((l) => `${indent}${l}`).join('\n');
    out = out.replace(pattern, () => `${indent}# parley:${name} (rendered for a local run)\n${body}\n${indent}# end parley:${name}\n`);
  }
  return out;
}

/** An nginx binary: `NGINX`, else /usr/sbin/nginx, else `nginx` on PATH; null when none runs. */
export function findNginx(): string | null {
  const candidates = [process.env.NGINX, '/usr/sbin/nginx', 'nginx'].filter((c): c is string => Boolean(c));
  for (const bin of candidates) {
    if (spawnSync(bin, ['-v'], { stdio: 'ignore' }).status === 0) return bin;
  }
  return null;
}

export interface NginxOptions extends RenderOptions {
  binary?: string | undefined;
  /** nginx's error log lines (warnings and worse) as they come. */
  onLog?: ((line: string) => void) | undefined;
}

export interface NginxProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly confPath: string;
  readonly accessLogPath: string;
  readonly running: boolean;
  recentOutput(): string;
  /** Fast shutdown (SIGTERM: open WebSockets are cut, as when a proxy dies). */
  stop(): Promise<void>;
}

/**
 * nginx as a foreground process (`daemon off`, its own prefix, pid, logs and temp files in
 * `dir`), with nginx.conf rendered for the given servers. Resolves once it answers HTTP.
 */
export async function startNginx(options: NginxOptions): Promise<NginxProcess> {
  const binary = options.binary ?? findNginx();
  if (!binary) throw new Error('nginx not found (install it, e.g. apt-get install nginx, or set NGINX=/path/to/nginx)');
  const { dir } = options;
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  // Run by root, nginx's workers drop to an unprivileged user, which must reach its temp dirs.
  chmodSync(dir, 0o755);
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, renderNginxConf(readFileSync(NGINX_CONF, 'utf8'), options));

  const recent = new RecentLines();
  const args = ['-p', `${dir}/`, '-c', confPath, '-e', 'stderr', '-g', 'daemon off;'];
  const proc: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let running = true;
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running = false;
      resolve(code);
    }),
  );
  const line = (text: string) => {
    recent.push(text);
    options.onLog?.(text);
  };
  onLines(proc.stdout!, line);
  onLines(proc.stderr!, line);

  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 10_000;
  while (!(await answers(url))) {
    if (!running) throw new Error(`nginx exited at start:\n${recent.toString()}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`nginx did not answer on ${url} within 10 s:\n${recent.toString()}`);
    }
    await sleep(50);
  }
  return {
    url,
    port: options.port,
    confPath,
    accessLogPath: join(dir, 'access.log'),
    get running() {
      return running;
    },
    recentOutput: () => recent.toString(),
    async stop() {
      if (!running) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Any HTTP answer (a 502 included) means nginx is listening. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/live`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}
