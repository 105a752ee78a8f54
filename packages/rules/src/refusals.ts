import { DEFAULT_ROOM_NAME, DM_MAX_MEMBERS, ROOM_NAME_MAX_CHARS, ROOM_TOPIC_MAX_CHARS } from './rooms.ts';
import { EMOJIS_PER_MESSAGE, MESSAGE_MAX_CHARS, PINS_PER_ROOM } from './messages.ts';
import { NOTE_BODY_MAX_CHARS, NOTE_TITLE_MAX_CHARS } from './notes.ts';
import { SEARCH_QUERY_MAX_CHARS } from './search.ts';

/**
 * The server's words for refusals a client may show as they are, in one place: the server
 * throws them and the test fakes answer them (a zod message reaches the client prefixed with
 * its field, e.g. `body: A message has at most 4000 characters.`). Role refusals are in
 * `ROLE_NEEDED` and `memberManagementRefusal`.
 * @example `throw new AppError('NOT_FOUND', REFUSAL.noSuchRoom)`
 */
export const REFUSAL = {
  signIn: 'Please sign in.',
  notParleyAdmin: 'Only Parley administrators can open the admin view.',
  notAMember: 'That person is not a member of this workspace.',
  noLongerMember: 'You are no longer a member of this workspace.',
  ownerCannotLeave: 'The owner cannot leave the workspace.',
  noSuchRoom: 'No such room in this workspace.',
  joinRoomFirst: 'Join the room first.',
  notRoomAdmin: 'Only the room’s admins (and workspace owners and admins) can do that.',
  dmFixed: 'The people in a direct message are fixed; open another one instead.',
  dmUnreachable: 'You cannot start a conversation with everyone you chose. Check that they are members of this workspace.',
  dmSelf: 'Choose someone other than yourself.',
  dmNone: 'Choose at least one person.',
  dmTooMany: `A direct message has at most ${DM_MAX_MEMBERS} people, you included.`,
  stayInGeneral: `Everyone stays in #${DEFAULT_ROOM_NAME}.`,
  generalKeepsName: `#${DEFAULT_ROOM_NAME} keeps its name.`,
  notInRoom: 'That person is not in this room.',
  lastRoomAdmin: 'A room keeps at least one admin: make someone else an admin first.',
  roomNameMissing: 'Give the room a name.',
  roomNameTooLong: `A room name has at most ${ROOM_NAME_MAX_CHARS} characters.`,
  topicTooLong: `A topic has at most ${ROOM_TOPIC_MAX_CHARS} characters.`,
  noSuchAnnouncement: 'No such announcement.',
  messageEmpty: 'A message cannot be empty.',
  messageTooLong: `A message has at most ${MESSAGE_MAX_CHARS} characters.`,
  noSuchMessage: 'No such message in this workspace.',
  messageDeleted: 'That message was deleted.',
  notYourMessage: 'You can only edit your own messages.',
  notMessageModerator: 'Only the author, the room’s admins and workspace admins can delete this message for everyone.',
  notInThisRoom: 'That message is not in this room.',
  replyElsewhere: 'The message you reply to is not in this room.',
  replyDeleted: 'The message you reply to was deleted.',
  notEmoji: 'A reaction is one emoji, such as 👍.',
  tooManyEmojis: `A message can have at most ${EMOJIS_PER_MESSAGE} different reactions.`,
  tooManyPins: `A room has at most ${PINS_PER_ROOM} pinned messages; unpin one first.`,
  blockSelf: 'You cannot block yourself.',
  noSuchPerson: 'No such person.',
  noSuchNote: 'No such note in this workspace.',
  noteTitleMissing: 'Give the note a title.',
  noteTitleTooLong: `A note title has at most ${NOTE_TITLE_MAX_CHARS} characters.`,
  noteBodyTooLong: `A note has at most ${NOTE_BODY_MAX_CHARS} characters.`,
  noSuchNoteVersion: 'This note has no such version.',
  notNoteDeleter: 'Only the note’s creator and workspace admins can delete it.',
  searchEmpty: 'Type something to search for.',
  searchTooLong: `A search has at most ${SEARCH_QUERY_MAX_CHARS} characters.`,
  searchNoWords: 'Search for at least one word (letters or digits).',
  searchOnlyExcluded: 'Search for at least one word that is not excluded with “-”.',
  searchDateRange: 'The start of the date range must be before its end.',
} as const;

/** A room name already taken in the workspace (CONFLICT). @example `roomExists('design')` */
export function roomExists(name: string): string {
  return `A room named "${name}" already exists.`;
}

/**
 * An edit past `EDIT_WINDOW_MS` (PRECONDITION_FAILED), naming when the window closed (an
 * ISO-8601 string or epoch milliseconds), written `2025-01-02 03:04:05 UTC`.
 * @example `editWindowClosed(Date.parse(message.createdAt) + EDIT_WINDOW_MS)`
 */
export function editWindowClosed(closedAt: string | number): string {
  const at = `${new Date(closedAt).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return `Messages can be edited for 5 minutes after sending; the time to edit this one ended at ${at}.`;
}
