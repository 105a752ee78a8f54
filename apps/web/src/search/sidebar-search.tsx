import { useId, useState } from 'react';
import type { Route } from '../lib/route.ts';

/** The sidebar's search box: Enter opens the search pane with the words typed (its own filters there). */
export function SidebarSearch({ partitionId, navigate, onSearched }: { partitionId: string; navigate: (route: Route) => void; onSearched: () => void }) {
  const [text, setText] = useState('');
  const id = useId();
  return (
    <form
      className="sidebar-search"
      role="search"
      aria-label="Search messages"
      onSubmit={(event) => {
        event.preventDefault();
        navigate({ view: 'search', partitionId, query: text.trim() });
        onSearched();
      }}
    >
      <label htmlFor={id} className="visually-hidden">
        Search messages
      </label>
      <input id={id} type="search" placeholder="Search messages" value={text} onChange={(event) => setText(event.target.value)} enterKeyHint="search" />
    </form>
  );
}
