import type { CSSProperties } from 'react';

const HUES = [210, 160, 25, 280, 340, 190, 45, 120, 0, 255];

function hueFor(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return HUES[hash % HUES.length]!;
}

/** A colored initial: the same person always gets the same color. */
export function Avatar({ id, name }: { id: string; name: string }) {
  const initial = Array.from(name.trim())[0]?.toUpperCase() ?? '?';
  return (
    <span className="avatar" aria-hidden="true" style={{ '--avatar-hue': hueFor(id) } as CSSProperties}>
      {initial}
    </span>
  );
}
