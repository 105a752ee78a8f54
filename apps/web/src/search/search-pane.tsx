import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useSearch } from '@parley/client/react';
import type { SearchHitDto } from '@parley/client';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';
import { formatRoute, type Route, type SearchParams } from '../lib/route.ts';
import { roomLabel } from '../lib/rooms.ts';
import { trpc, type Me, type Partition, type Room } from '../lib/trpc.ts';
import { PaneHeader } from '../workspace/pane-header.tsx';
import { RoomGlyph } from '../workspace/room-glyph.tsx';
import { dayEndIso, dayStartIso } from './search-dates.ts';
import { SnippetText } from './search-snippet.tsx';
import './search.css';

export interface SearchPaneProps {
  me: Me;
  partition: Partition;
  route: Extract<Route, { view: 'search' }>;
  rooms: Room[] | undefined;
  navigate: (route: Route, opts?: { replace?: boolean }) => void;
  onOpenSidebar: () => void;
}

/**
 * Search in the messages of my rooms and direct messages: the words (web search syntax), a room,
 * a person, a range of days. Results come as I type, newest first, each a link that opens its
 * room at the message. The words and filters live in the URL, so Back from a hit returns here.
 */
export function SearchPane({ me, partition, route, rooms, navigate, onOpenSidebar }: SearchPaneProps) {
  const partitionId = partition.id;
  const members = trpc.partition.members.useQuery({ partitionId });
  const nameOf = useCallback((userId: string) => members.data?.find((m) => m.userId === userId)?.displayName, [members.data]);
  const [text, setText] = useState(route.query);
  // The sidebar's box (or Back) can change the words under us.
  useEffect(() => setText((typed) => (typed.trim() === route.query.trim() ? typed : route.query)), [route.query]);
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => inputRef.current?.focus(), []);

  const update = (change: Partial<SearchParams>) => navigate({ ...route, ...change }, { replace: true });
  const { roomId, authorId, from, to } = route;
  const filters = useMemo(() => ({ roomId, authorId, after: dayStartIso(from), before: dayEndIso(to) }), [roomId, authorId, from, to]);
  const search = useSearch(partitionId, text, filters);

  const joined = useMemo(() => {
    const label = (r: Room) => roomLabel(r, me.id, nameOf);
    return (rooms ?? [])
      .filter((r) => r.joined)
      .map((r) => ({ room: r, label: label(r) }))
      .sort((a, b) => Number(a.room.kind === 'dm') - Number(b.room.kind === 'dm') || a.label.localeCompare(b.label));
  }, [rooms, me.id, nameOf]);
  const labelOf = (hit: SearchHitDto) => {
    const room = rooms?.find((r) => r.id === hit.roomId);
    if (room) return roomLabel(room, me.id, nameOf);
    return hit.roomKind === 'dm' ? 'Direct message' : `#${hit.roomName}`;
  };
  const filtered = Boolean(roomId || authorId || from || to);
  const ids = { room: useId(), person: useId(), from: useId(), to: useId(), query: useId() };

  return (
    <section className="search-pane" aria-label="Search">
      <PaneHeader title="Search" subtitle={partition.name} onOpenSidebar={onOpenSidebar} />
      <div className="search-controls">
        <form role="search" aria-label="Search messages" className="search-form" onSubmit={(event) => event.preventDefault()}>
          <label htmlFor={ids.query} className="visually-hidden">
            Search messages
          </label>
          <input
            ref={inputRef}
            id={ids.query}
            type="search"
            className="search-input"
            placeholder="Search messages"
            value={text}
            enterKeyHint="search"
            aria-describedby={`${ids.query}-hint`}
            onChange={(event) => {
              setText(event.target.value);
              update({ query: event.target.value });
            }}
          />
          <p id={`${ids.query}-hint`} className="search-hint muted">
            Whole words; &quot;quotes&quot; for a phrase, -word to leave a word out, or for either.
          </p>
        </form>
        <div className="search-filters" role="group" aria-label="Filters">
          <label htmlFor={ids.room}>Room</label>
          <select id={ids.room} value={roomId ?? ''} onChange={(event) => update({ roomId: event.target.value || undefined })}>
            <option value="">All my rooms</option>
            {joined.map(({ room, label }) => (
              <option key={room.id} value={room.id}>
                {label}
              </option>
            ))}
          </select>
          <label htmlFor={ids.person}>Person</label>
          <select id={ids.person} value={authorId ?? ''} onChange={(event) => update({ authorId: event.target.value || undefined })}>
            <option value="">Anyone</option>
            {(members.data ?? []).map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.userId === me.id ? `${m.displayName} (you)` : m.displayName}
              </option>
            ))}
          </select>
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} type="date" value={from ?? ''} max={to} onChange={(event) => update({ from: event.target.value || undefined })} />
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="date" value={to ?? ''} min={from} onChange={(event) => update({ to: event.target.value || undefined })} />
          {filtered && (
            <button type="button" className="button subtle" onClick={() => update({ roomId: undefined, authorId: undefined, from: undefined, to: undefined })}>
              Clear filters
            </button>
          )}
        </div>
      </div>
      <div className="search-results-area" aria-busy={search.status === 'loading'}>
        <SearchStatus search={search} filtered={filtered} />
        {search.hits.length > 0 && (
          <ol className="search-results" aria-label="Search results">
            {search.hits.map((hit) => (
              <li key={hit.messageId}>
                <a className="search-hit" href={formatRoute({ view: 'room', partitionId, roomId: hit.roomId, messageId: hit.messageId })}>
                  <span className="search-hit-meta">
                    <span className="search-hit-room">
                      {hit.roomKind !== 'dm' && <RoomGlyph kind={hit.roomKind} />}
                      {labelOf(hit).replace(/^#/, '')}
                    </span>
                    <span className="search-hit-author">{hit.authorBlocked ? 'Blocked user' : hit.authorName}</span>
                    <time dateTime={hit.createdAt} title={formatFullTime(hit.createdAt)}>
                      {formatMessageTime(hit.createdAt)}
                    </time>
                  </span>
                  <span className="search-snippet" dir="auto">
                    {hit.authorBlocked ? <em className="muted">Message from a blocked user</em> : <SnippetText snippet={hit.snippet} />}
                  </span>
                </a>
              </li>
            ))}
          </ol>
        )}
        {search.hasMore && (
          <button type="button" className="button search-more" onClick={search.loadMore} disabled={search.loadingMore}>
            {search.loadingMore ? 'Loading…' : 'More results'}
          </button>
        )}
      </div>
    </section>
  );
}

function SearchStatus({ search, filtered }: { search: ReturnType<typeof useSearch>; filtered: boolean }) {
  if (search.status === 'idle') {
    return <p className="muted search-status">Search the messages of the rooms and direct messages you are in.</p>;
  }
  if (search.status === 'loading') {
    return (
      <p className="muted search-status" role="status">
        Searching…
      </p>
    );
  }
  if (search.status === 'error' || (search.error && search.hits.length === 0)) {
    return (
      <div className="search-status">
        <p className="error-text" role="alert">
          {search.error}
        </p>
        {search.query && (
          <button type="button" className="button subtle" onClick={search.retry}>
            Try again
          </button>
        )}
      </div>
    );
  }
  const n = search.hits.length;
  return (
    <>
      <p className="muted search-status" role="status">
        {n === 0
          ? `No messages match “${search.query}”${filtered ? ' with these filters' : ''}.`
          : `${n} ${n === 1 ? 'message' : 'messages'}${search.hasMore ? ' so far' : ''}, newest first`}
      </p>
      {search.error && (
        <p className="error-text" role="alert">
          {search.error}
        </p>
      )}
    </>
  );
}
