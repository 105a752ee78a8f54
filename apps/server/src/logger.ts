import pino, { type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/** `LOG_FORMAT` when set; otherwise pretty for a person at a terminal, JSON for a log collector. */
export function chooseLogFormat(configured: LogFormat | undefined, isTTY: boolean | undefined): LogFormat {
  return configured ?? (isTTY ? 'pretty' : 'json');
}

export interface LoggerOptions {
  level: string;
  format: LogFormat;
  /** Where lines go (tests); stdout by default. */
  destination?: NodeJS.WritableStream | undefined;
}

/**
 * The node's pino logger. Pretty output is formatted in this thread by pino-pretty used as a
 * stream (not a worker transport): a terminal is a person watching one node, and a stream
 * needs no worker file to resolve in the compiled bundle.
 */
export async function createLogger({ level, format, destination }: LoggerOptions): Promise<Logger> {
  if (format === 'json') return destination ? pino({ level }, destination) : pino({ level });
  const { default: pretty } = await import('pino-pretty');
  // Synchronous like pino's own stdout: main.ts calls process.exit right after its last line.
  const stream = pretty({ destination: destination ?? 1, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return pino({ level }, stream);
}
