import type { ReactNode } from 'react';

export interface PaneHeaderProps {
  title: string;
  subtitle?: string | undefined;
  /** Opens the sidebar; the button shows only at phone widths. */
  onOpenSidebar: () => void;
  children?: ReactNode;
}

export function PaneHeader({ title, subtitle, onOpenSidebar, children }: PaneHeaderProps) {
  return (
    <header className="pane-header">
      <button type="button" className="icon-button menu-button" aria-label="Open sidebar" aria-controls="sidebar" onClick={onOpenSidebar}>
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <path d="M3 6h18M3 12h18M3 18h18" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
      </button>
      <div className="pane-title">
        <h1>{title}</h1>
        {subtitle && <p>{subtitle}</p>}
      </div>
      {children && <div className="pane-actions">{children}</div>}
    </header>
  );
}
