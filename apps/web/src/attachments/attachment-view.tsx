import { useState } from 'react';
import { formatBytes, type ChatAttachment } from '@parley/client';
import { useParleyClient, useUpload } from '@parley/client/react';
import { describeType, thumbBox } from './file-kind.ts';
import { ImageLightbox } from './image-lightbox.tsx';
import './attachments.css';

export interface AttachmentViewProps {
  attachment: ChatAttachment & { readonly partitionId: string };
  /** The message's state: a file of mine on its way shows its upload. */
  status: 'sent' | 'sending' | 'queued' | 'failed';
  /** Stops the upload and takes the message back. */
  onCancel?: (() => void) | undefined;
}

/**
 * A message's file: an image as a thumbnail (its box reserved from the image's size) that opens
 * full size, anything else as a chip with its name, size and type and a download link. While the
 * message is mine and still in the outbox, this device's copy is shown, with the upload's progress
 * and Cancel.
 */
export function AttachmentView({ attachment: a, status, onCancel }: AttachmentViewProps) {
  const { uploads } = useParleyClient();
  const upload = useUpload(a.local ? a.id : null, a.mimeType);
  const [open, setOpen] = useState(false);
  const fullUrl = uploads.url(a.partitionId, a.id);
  const box = thumbBox(a.width, a.height);
  const imageSrc = a.local ? upload.previewUrl : a.hasThumb ? uploads.thumbUrl(a.partitionId, a.id) : null;
  const meta = `${formatBytes(a.sizeBytes)} · ${describeType(a.mimeType, a.filename)}`;

  let picture = null;
  if (imageSrc) {
    const img = (
      <img
        className="attachment-thumb"
        src={imageSrc}
        alt={a.filename}
        width={box?.width}
        height={box?.height}
        style={box ? { aspectRatio: `${box.width} / ${box.height}` } : undefined}
        loading="lazy"
        decoding="async"
      />
    );
    picture = a.local ? (
      <div className="attachment-image">{img}</div>
    ) : (
      <button type="button" className="attachment-image" aria-label={`Open ${a.filename} full size`} onClick={() => setOpen(true)}>
        {img}
      </button>
    );
  }

  const progress = a.local && status === 'sending' ? upload.progress : null;
  const percent = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;

  return (
    <div className={`attachment${a.local ? ' local' : ''}`} data-media-id={a.id}>
      {picture ?? (
        <div className="attachment-file">
          <span className="attachment-icon" aria-hidden="true">
            📄
          </span>
          <span className="attachment-file-text">
            {a.local ? (
              <span className="attachment-name" dir="auto">
                {a.filename}
              </span>
            ) : (
              <a className="attachment-name" dir="auto" href={fullUrl} download={a.filename}>
                {a.filename}
              </a>
            )}
            <span className="attachment-meta">{meta}</span>
          </span>
        </div>
      )}
      {picture && <span className="attachment-meta visually-hidden">{meta}</span>}
      {progress && (
        <div className="attachment-progress">
          <progress max={progress.total || 1} value={progress.loaded} aria-label={`Uploading ${a.filename}`} />
          <span className="attachment-progress-text" aria-live="polite">
            Uploading {percent}%
          </span>
          {onCancel && (
            <button type="button" className="link-button" onClick={onCancel}>
              Cancel upload
            </button>
          )}
        </div>
      )}
      {open && <ImageLightbox src={fullUrl} filename={a.filename} width={a.width} height={a.height} onClose={() => setOpen(false)} />}
    </div>
  );
}
