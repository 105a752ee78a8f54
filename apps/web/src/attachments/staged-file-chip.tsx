import { formatBytes } from '@parley/client';

/** The file that goes with the next message, above the composer's field: its name, size and ×. */
export function StagedFileChip({ file, onRemove }: { file: File; onRemove: () => void }) {
  return (
    <div className="staged-file" role="group" aria-label="Attachment">
      <span className="attachment-icon" aria-hidden="true">
        📎
      </span>
      <span className="staged-file-name" dir="auto">
        {file.name}
      </span>
      <span className="attachment-meta">{formatBytes(file.size)}</span>
      <button type="button" className="icon-button" aria-label={`Remove ${file.name}`} title="Remove the attachment" onClick={onRemove}>
        ×
      </button>
    </div>
  );
}
