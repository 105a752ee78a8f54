import { createServer } from 'node:net';

/** A port free on 127.0.0.1 right now (the kernel picks it; scripts import nothing of Parley at run time). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The last `size` lines a process printed, kept for error messages (a failed start, a test). */
export class RecentLines {
  readonly #lines: string[] = [];
  constructor(readonly size = 200) {}

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.size) this.#lines.shift();
  }

  toString(): string {
    return this.#lines.join('\n');
  }
}

/** Splits a stream's chunks into lines (a chunk may end mid-line). */
export function onLines(stream: NodeJS.ReadableStream, listener: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) if (line) listener(line);
  });
  stream.on('end', () => {
    if (rest) listener(rest);
    rest = '';
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
