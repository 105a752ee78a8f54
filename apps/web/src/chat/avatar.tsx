import { useState, type CSSProperties } from 'react';

const HUES = [210, 160, 25, 280, 340, 190, 45, 120, 0, 255];

function hueFor(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return HUES[hash % HUES.length]!;
}

/**
 * The person's picture (`imageUrl`, their uploaded avatar), else a colored initial: the same
 * person always gets the same color. An image that fails to load falls back to the initial.
 */
export function Avatar({ id, name, imageUrl, size }: { id: string; name: string; imageUrl?: string | null | undefined; size?: 'small' | undefined }) {
  const [failedUrl, setFailedUrl] = useState<string | null>(null);
  const className = size === 'small' ? 'avatar avatar-small' : 'avatar';
  if (imageUrl && failedUrl !== imageUrl) {
    return <img className={`${className} avatar-image`} src={imageUrl} alt="" aria-hidden="true" draggable={false} onError={() => setFailedUrl(imageUrl)} />;
  }
  const initial = Array.from(name.trim())[0]?.toUpperCase() ?? '?';
  return (
    <span className={className} aria-hidden="true" style={{ '--avatar-hue': hueFor(id) } as CSSProperties}>
      {initial}
    </span>
  );
}
