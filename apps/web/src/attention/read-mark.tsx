import { useState } from 'react';
import { formatFullTime } from '../lib/format-time.ts';
import { readByText, type ReadInfo } from './receipts.ts';
import './attention.css';

/**
 * READ on one of my messages, in two parts: the `icon` after the text, and the `names` on a line
 * of their own under it (outside the message's text, so copying or reading the text never picks
 * "Read by …" up). A double check (in a direct message, when everyone else has read
 * it), and on my latest read message "Read by Ada, Bo" — a button that lists who and when (hover
 * shows it too; a tap or long press on a phone opens it).
 */
export function ReadMark({ info, part }: { info: ReadInfo; part: 'icon' | 'names' }) {
  const { dm } = info;
  const [open, setOpen] = useState(false);
  const names = info.readBy.map((r) => r.name);
  const full = info.readBy.map((r) => `${r.name} (${formatFullTime(r.at)})`).join(', ');
  return (
    <>
      {part === 'icon' && (dm ? info.readByAll : true) && (
        <span className="status-icon status-read" role="img" aria-label={dm ? 'Read' : `Read by ${names.join(', ')}`} title={`Read by ${full}`}>
          <svg viewBox="0 0 20 16" width="16" height="14" aria-hidden="true">
            <path d="M1.5 8.5l3 3 7-7M8 11.5l7-7" fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        </span>
      )}
      {part === 'names' && info.showNames && !dm && (
        <span className="read-by">
          <button type="button" className="link-button read-by-button" aria-expanded={open} title={`Read by ${full}`} onClick={() => setOpen((o) => !o)}>
            Read by {readByText(names)}
          </button>
          {open && (
            <ul className="read-by-list" aria-label="Read by">
              {info.readBy.map((r) => (
                <li key={r.name + r.at}>
                  {r.name} <span className="muted">{formatFullTime(r.at)}</span>
                </li>
              ))}
            </ul>
          )}
        </span>
      )}
    </>
  );
}
