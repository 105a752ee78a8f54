import { useEffect, useRef } from 'react';
import { createPortal } from 'react-dom';

export interface ImageLightboxProps {
  src: string;
  filename: string;
  width: number | null;
  height: number | null;
  onClose: () => void;
}

/** An image at full size over the app. Escape, the backdrop and Close shut it; the focus starts on Close and comes back where it was. */
export function ImageLightbox({ src, filename, width, height, onClose }: ImageLightboxProps) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closeRef.current?.focus();
    return () => before?.focus();
  }, []);
  return createPortal(
    <div className="dialog-backdrop lightbox-backdrop" onClick={onClose}>
      <div
        className="lightbox"
        role="dialog"
        aria-modal="true"
        aria-label={filename}
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            onClose();
          } else if (event.key === 'Tab') {
            // Download and Close: Tab and Shift+Tab stay between them while it is up.
            event.preventDefault();
            const download = event.currentTarget.querySelector<HTMLElement>('a[download]');
            (document.activeElement === closeRef.current ? download : closeRef.current)?.focus();
          }
        }}
      >
        <div className="lightbox-bar">
          <span className="lightbox-name" dir="auto">
            {filename}
          </span>
          <a className="button subtle" href={src} download={filename}>
            Download
          </a>
          <button ref={closeRef} type="button" className="button subtle" onClick={onClose}>
            Close
          </button>
        </div>
        <img className="lightbox-image" src={src} alt={filename} width={width ?? undefined} height={height ?? undefined} />
      </div>
    </div>,
    document.body,
  );
}
