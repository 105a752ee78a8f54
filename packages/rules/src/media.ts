/**
 * Attachments: the limits the server enforces (`MEDIA_MAX_BYTES` may lower or raise the size
 * limit per deployment; this is its default) and the words people see for sizes.
 */

/** The default size limit of one upload (25 MiB): the server's `MEDIA_MAX_BYTES` unless set. @example `file.size <= MEDIA_MAX_BYTES_DEFAULT` */
export const MEDIA_MAX_BYTES_DEFAULT = 25 * 1024 * 1024;

/** An attachment's file name at most (characters, after decoding `X-Filename`). @example `name.length <= MEDIA_FILENAME_MAX_CHARS` */
export const MEDIA_FILENAME_MAX_CHARS = 255;

/**
 * A byte count as people read it: 0 B, 999 B, 1.5 KB, 25 MB (1024-based, one decimal under 10).
 * @example `formatBytes(26_214_400) // '25 MB'`
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${shown} ${units[unit]}`;
}

/**
 * Why a file cannot be attached before it is sent (its size), in the words the server's 413 uses;
 * null when it may go.
 * @example `mediaSizeRefusal(file.size) // 'A file can be at most 25 MB; this one is 30 MB.'`
 */
export function mediaSizeRefusal(sizeBytes: number, maxBytes: number = MEDIA_MAX_BYTES_DEFAULT): string | null {
  if (sizeBytes <= 0) return 'That file is empty.';
  if (sizeBytes > maxBytes) return `A file can be at most ${formatBytes(maxBytes)}; this one is ${formatBytes(sizeBytes)}.`;
  return null;
}
