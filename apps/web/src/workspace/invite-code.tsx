import { useState } from 'react';

/** The invite code, shown once (the server keeps only its hash), with a copy button. */
export function InviteCode({ code }: { code: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="invite-code">
      <div className="invite-code-row">
        <output className="code" aria-label="Invite code">
          {code}
        </output>
        <button type="button" className="button" onClick={() => void copy()}>
          {copied === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="hint" role="status">
        {copied === 'failed' ? (
          'Copying is blocked here: select the code and copy it by hand.'
        ) : (
          <>
            <strong>Shown only now.</strong> Copy it and send it to the people you want to invite; anyone with it can join.
          </>
        )}
      </p>
    </div>
  );
}
