import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline (19 MiB, 2 iterations, 1 lane).
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, OPTIONS);

export const verifyPassword = (passwordHash: string, password: string) => verify(passwordHash, password).catch(() => false);

let dummyHash: Promise<string> | undefined;
/** Verifies against a throwaway hash so an unknown username costs as much time as a known one. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('parley-dummy-password');
  await verifyPassword(await dummyHash, password);
}
