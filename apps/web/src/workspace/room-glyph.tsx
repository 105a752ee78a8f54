import type { RoomKind } from '../lib/rooms.ts';

/** Before a room's name (with the space): `# ` for a public room, a lock (read as "private") for a private one. */
export function RoomGlyph({ kind }: { kind: RoomKind }) {
  if (kind !== 'private') return <># </>;
  return (
    <>
      <svg className="room-lock" viewBox="0 0 16 16" width="12" height="12" role="img" aria-label="private">
        <path
          d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2h.5A1 1 0 0 1 13 8v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h.5Zm1.5 0h4V5a2 2 0 1 0-4 0v2Z"
          fill="currentColor"
        />
      </svg>{' '}
    </>
  );
}
