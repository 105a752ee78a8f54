import { useId, useState } from 'react';
import { useReceiptsSetting } from '@parley/client/react';

/** One setting for every workspace: share read receipts (and see others'), or neither. */
export function ReceiptsToggle() {
  const [enabled, setEnabled] = useReceiptsSetting();
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  return (
    <div className="receipts-toggle">
      <input
        id={id}
        type="checkbox"
        checked={enabled ?? true}
        disabled={enabled === null}
        onChange={(event) => {
          setError(null);
          setEnabled(event.target.checked).catch((e: unknown) => setError(e instanceof Error ? e.message : 'That did not work.'));
        }}
      />
      <label htmlFor={id} title="Off: nobody sees when you have read their messages, and you do not see when they read yours.">
        Read receipts
      </label>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
