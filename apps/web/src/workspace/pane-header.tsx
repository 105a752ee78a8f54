import { useContext, type ReactNode } from 'react';
import { UnreadElsewhereContext } from './unread-context.ts';

export interface PaneHeaderProps {
  title: string;
  subtitle?: string | undefined;
  /** Opens the sidebar; the button shows only at phone widths. */
  onOpenSidebar: () => void;
  children?: ReactNode;
}

/**
 * The pane's title (long names are cut with an ellipsis; `title` has them whole) and, at phone
 * widths, the menu button, which shows how many messages wait in the other rooms.
 */
export function PaneHeader({ title, subtitle, onOpenSidebar, children }: PaneHeaderProps) {
  const unread = useContext(UnreadElsewhereContext);
  return (
    <header className="pane-header">
      <button
        type="button"
        className="icon-button menu-button"
        aria-label={unread > 0 ? `Open sidebar, ${unread} unread ${unread === 1 ? 'message' : 'messages'} in other rooms` : 'Open sidebar'}
        aria-controls="sidebar"
        onClick={onOpenSidebar}
      >
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <path d="M3 6h18M3 12h18M3 18h18" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
        {unread > 0 && (
          <span className="menu-unread" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      <div className="pane-title">
        <h1 title={title}>{title}</h1>
        {subtitle && <p title={subtitle}>{subtitle}</p>}
      </div>
      {children && <div className="pane-actions">{children}</div>}
    </header>
  );
}
