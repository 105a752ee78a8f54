/** A file's type as people name it: "PNG image", "PDF document", else the subtype in capitals, else "File". */
export function describeType(mimeType: string, filename: string): string {
  const known: Record<string, string> = {
    'application/pdf': 'PDF document',
    'application/zip': 'ZIP archive',
    'text/plain': 'Text',
    'text/html': 'HTML file',
    'image/svg+xml': 'SVG image',
    'application/json': 'JSON',
  };
  if (known[mimeType]) return known[mimeType];
  const [type, sub] = mimeType.split('/');
  if (type === 'image' && sub) return `${sub.toUpperCase()} image`;
  if (type === 'video' && sub) return `${sub.toUpperCase()} video`;
  if (type === 'audio' && sub) return `${sub.toUpperCase()} audio`;
  const extension = /\.([a-z0-9]{1,8})$/i.exec(filename)?.[1];
  return extension ? `${extension.toUpperCase()} file` : 'File';
}

/** The box a thumbnail is shown in (at most `max` px a side, the image's proportions), so the row does not jump when it loads. */
export function thumbBox(width: number | null, height: number | null, max = 240): { width: number; height: number } | null {
  if (!width || !height || width <= 0 || height <= 0) return null;
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
