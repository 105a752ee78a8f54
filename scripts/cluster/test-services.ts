import { spawnSync } from 'node:child_process';
import { findNginx } from './nginx.ts';

export const servicesRequired = () => process.env.PARLEY_REQUIRE_SERVICES === '1';

/**
 * The nginx binary for a test that puts nginx in front of nodes, or null (the caller skips).
 * The skip is loud, and with `PARLEY_REQUIRE_SERVICES=1` (set by CI) a missing nginx fails the
 * run instead, as a missing PostgreSQL or Redis does.
 */
export function nginxForTests(): string | null {
  const binary = findNginx();
  if (binary) return binary;
  const reason = 'nginx not found (NGINX, /usr/sbin/nginx or nginx on PATH; apt-get install nginx)';
  if (servicesRequired()) throw new Error(`${reason}, and PARLEY_REQUIRE_SERVICES=1 forbids skipping`);
  console.warn(`\n*** SKIPPING nginx tests: ${reason} ***\n`);
  return null;
}

/**
 * The `docker-compose` (v1) or `docker compose` command that can validate a compose file (no
 * engine needed for `config`), or null: loud skip, or a failure with `PARLEY_REQUIRE_SERVICES=1`.
 */
export function dockerComposeForTests(): string[] | null {
  for (const command of [['docker-compose'], ['docker', 'compose']]) {
    if (spawnSync(command[0]!, [...command.slice(1), 'version'], { stdio: 'ignore' }).status === 0) return command;
  }
  const reason = 'neither docker-compose nor docker compose is installed (apt-get install docker-compose)';
  if (servicesRequired()) throw new Error(`${reason}, and PARLEY_REQUIRE_SERVICES=1 forbids skipping`);
  console.warn(`\n*** SKIPPING the docker compose check: ${reason} ***\n`);
  return null;
}
