/** One room or direct message of the caller, as the sidebar counts it. */
export interface ReadStateDto {
  roomId: string;
  /** The event id of the last message the caller has read (0: none). */
  lastReadEventId: number;
  /** The event id of the room's last message (0: none): reading up to it reads everything. */
  lastMessageEventId: number;
  /** Messages by others after it, not deleted (nor hidden for the caller); at most `UNREAD_COUNT_MAX`. */
  unread: number;
  /** Those of them that mention the caller, or `@room`. */
  mentions: number;
}

/** How far one other member has read a room, for receipts. */
export interface ReaderDto {
  userId: string;
  displayName: string;
  /** They have read every message with an event id up to this one. */
  eventId: number;
  /** When their position last moved there. */
  at: string;
}

/** `read.receipts`: the other members' positions, or why there are none. */
export interface ReadReceiptsDto {
  roomId: string;
  /**
   * `shown`: `readers` lists every other member who shares receipts and has read something;
   * `off`: the caller turned receipts off (they see none); `too-big`: the room has more than
   * `RECEIPTS_MAX_MEMBERS` members.
   */
  status: 'shown' | 'off' | 'too-big';
  readers: ReaderDto[];
}

/** What `read.updated` says: `userId` has read `roomId` up to `eventId`. */
export interface ReadUpdatedData {
  roomId: string;
  userId: string;
  eventId: number;
  /**
   * Whether the room's other members may see it (a receipt): a direct message or a room of at
   * most `RECEIPTS_MAX_MEMBERS` members, and the reader shares receipts. Otherwise only the
   * reader's own streams get it (their other devices' unread counts).
   */
  receipts: boolean;
}
