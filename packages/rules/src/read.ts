/**
 * Read positions and receipts (issue 13): the numbers the server enforces and the client and
 * the SPA follow, in one place.
 */

/** Rooms of at most this many members (and every direct message) show who read a message. */
export const RECEIPTS_MAX_MEMBERS = 20;

/**
 * How often a client sends a room's read position at most (ms): scrolling through a busy room
 * moves it many times a second, and each mark that moves it is an event in the log.
 */
export const READ_MARK_COALESCE_MS = 3_000;

/** Unread and mention counts stop at this (the sidebar shows "999+"): counting further costs a scan of the room. */
export const UNREAD_COUNT_MAX = 1_000;

/** A mark past the room's last message (BAD_REQUEST). */
export const READ_PAST_END = 'You cannot mark as read past the last message of the room.';
