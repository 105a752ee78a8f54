import { createContext } from 'react';

/** Unread messages in rooms other than the open one; the pane header's menu button shows it. */
export const UnreadElsewhereContext = createContext(0);
