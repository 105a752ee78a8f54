import { useCallback, useState } from 'react';
import { mediaSizeRefusal } from '@parley/client';

export interface StagedFile {
  /** The file that goes with the next message; null when none. */
  file: File | null;
  /** Why the last file could not be attached (too big, empty), or a note about the others. */
  error: string | null;
  /** Attaches the first of these (pasted, dropped or picked); one file per message. */
  attach: (files: readonly File[]) => void;
  clear: () => void;
  /** Shows a refusal that came later (the outbox's). */
  fail: (message: string) => void;
}

/** The composer's file before it is sent: checked against the size limit at once, so a person hears "too big" before anything is uploaded. */
export function useStagedFile(maxBytes: number): StagedFile {
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const attach = useCallback(
    (files: readonly File[]) => {
      const first = files[0];
      if (!first) return;
      const refusal = mediaSizeRefusal(first.size, maxBytes);
      if (refusal) {
        setError(`${first.name}: ${refusal}`);
        return;
      }
      setFile(first);
      setError(files.length > 1 ? `One file per message: ${first.name} is attached, the others are not.` : null);
    },
    [maxBytes],
  );
  const clear = useCallback(() => {
    setFile(null);
    setError(null);
  }, []);
  return { file, error, attach, clear, fail: setError };
}
