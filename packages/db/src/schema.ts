import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Timestamps come back as ISO-8601 strings from both drivers (see create-db.ts parsers). */
export type Timestamp = ColumnType<string, string, string>;
/** A timestamp column with a database default (`now()`): optional on insert. */
export type DefaultTimestamp = ColumnType<string, string | undefined, string>;
/** bigint columns come back as JS numbers (ids stay far below 2^53). */
export type BigId = number;

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface UserTable {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  is_admin: Generated<boolean>;
  created_at: DefaultTimestamp;
}

export interface SessionTable {
  id: string;
  user_id: string;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  absolute_expires_at: Timestamp;
}

export interface PartitionTable {
  id: string;
  name: string;
  created_by: string;
  invite_code_hash: string;
  last_event_id: Generated<number>;
  template_version: Generated<number>;
  created_at: DefaultTimestamp;
}

export interface MembershipTable {
  partition_id: string;
  user_id: string;
  role: Role;
  joined_at: DefaultTimestamp;
}

export type NodeStatus = 'active' | 'draining' | 'inactive';

/** One row per node that ever started; every time in it comes from the database clock. */
export interface NodeTable {
  id: string;
  status: NodeStatus;
  started_at: DefaultTimestamp;
  heartbeat_at: DefaultTimestamp;
  stopped_at: ColumnType<string | null, string | null | undefined, string | null>;
  connections: Generated<number>;
  leases_held: Generated<number>;
  pid: number | null;
  version: string | null;
  url: string | null;
}

/**
 * The lease of one singleton job in one scope (a partition id, or `global`). Kept after release
 * (`holder` null) so that `generation`, the fencing counter, only grows.
 */
export interface LeaseTable {
  job: string;
  scope: string;
  holder: string | null;
  /** Who held it before the last acquisition (null: nobody, or released). */
  previous_holder: ColumnType<string | null, string | null | undefined, string | null>;
  generation: Generated<number>;
  acquired_at: DefaultTimestamp;
  renewed_at: DefaultTimestamp;
  expires_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<BigId>;
  at: DefaultTimestamp;
  /** A node id, a user id, or `system`. */
  actor: string;
  /** `node.registered`, `lease.taken_over`, `admin.granted`, … */
  action: string;
  /** What it was done to: a node id, `job/scope`, a user id. */
  subject: string;
  details: ColumnType<unknown, string | undefined, string>;
}

export type RoomKind = 'public' | 'private' | 'dm';
export type RoomRole = 'admin' | 'member';

/** A nullable column that may be left out on insert. */
export type Nullable<T = string> = ColumnType<T | null, T | null | undefined, T | null>;

export interface RoomTable {
  id: string;
  /** A direct message's name is empty: its members name it. */
  name: string;
  created_by: string;
  created_at: DefaultTimestamp;
  kind: ColumnType<RoomKind, RoomKind | undefined, RoomKind>;
  topic: ColumnType<string, string | undefined, string>;
  /** Direct messages only: the members' ids, sorted, joined by commas. */
  dm_key: Nullable;
}

export interface RoomMemberTable {
  room_id: string;
  user_id: string;
  joined_at: DefaultTimestamp;
  role: ColumnType<RoomRole, RoomRole | undefined, RoomRole>;
}

export interface MessageTable {
  id: string;
  room_id: string;
  author_id: string;
  client_id: string;
  body: string;
  event_id: BigId;
  media_id: Nullable;
  created_at: DefaultTimestamp;
  reply_to: Nullable;
  edited_at: Nullable;
  deleted_at: Nullable;
  deleted_by: Nullable;
  pinned_at: Nullable;
  pinned_by: Nullable;
}

export interface MessageEditTable {
  message_id: string;
  event_id: BigId;
  editor_id: string;
  previous_body: string;
  edited_at: DefaultTimestamp;
}

export interface MessageHideTable {
  message_id: string;
  user_id: string;
  hidden_at: DefaultTimestamp;
}

export interface ReactionTable {
  message_id: string;
  user_id: string;
  emoji: string;
  created_at: DefaultTimestamp;
}

export interface AnnouncementTable {
  id: string;
  author_id: string;
  body: string;
  event_id: BigId;
  created_at: DefaultTimestamp;
}

export interface AnnouncementDismissalTable {
  announcement_id: string;
  user_id: string;
  dismissed_at: DefaultTimestamp;
}

/**
 * A shared note (seed 001). Its edit lock lives in the row: `locked_by`, `lock_session_id`,
 * `locked_at` and `lock_expires_at` are all set (held, until the database clock passes the
 * expiry or the session ends) or all null (free); `lock_token` is the fencing token, one more
 * at every acquisition and never lowered.
 */
export interface NoteTable {
  id: string;
  title: string;
  body: ColumnType<string, string | undefined, string>;
  created_by: string;
  created_at: DefaultTimestamp;
  updated_by: string;
  updated_at: DefaultTimestamp;
  version: ColumnType<number, number | undefined, number>;
  deleted_at: Nullable;
  deleted_by: Nullable;
  locked_by: Nullable;
  lock_session_id: Nullable;
  locked_at: Nullable;
  lock_expires_at: Nullable;
  lock_token: ColumnType<number, number | undefined, number>;
}

/** One saved state of a note: version 1 is its creation, each save (or restore) the next. */
export interface NoteVersionTable {
  note_id: string;
  version: number;
  title: string;
  body: string;
  saved_by: string;
  saved_at: DefaultTimestamp;
}

/** A client-made operation id and the answer it got: a repeat gets the same answer. */
export interface OpTable {
  op_id: string;
  user_id: string;
  kind: string;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
}

export interface BlockTable {
  blocker_id: string;
  blocked_id: string;
  created_at: DefaultTimestamp;
}

export interface MediaTable {
  id: string;
  uploader_id: string;
  filename: string;
  mime_type: string;
  size_bytes: number;
  data: Uint8Array;
  created_at: DefaultTimestamp;
}

export interface EventTable {
  id: BigId;
  type: string;
  room_id: string | null;
  actor_id: string | null;
  data: ColumnType<unknown, string, string>;
  created_at: DefaultTimestamp;
}

/** The last membership of someone who left or was removed (what an invite code may give back). */
export interface PastMembershipTable {
  partition_id: string;
  user_id: string;
  role: Role;
  /** Who removed them; null when they left. */
  removed_by: string | null;
  /** The invite code's hash at their removal: that code does not let them rejoin. */
  invite_code_hash: string | null;
  ended_at: DefaultTimestamp;
}

/** One-time setup tokens (SHA-256 hashes), printed by a node while no administrator exists. */
export interface AdminSetupTokenTable {
  token_hash: string;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
}

export interface GlobalTables {
  users: UserTable;
  sessions: SessionTable;
  partitions: PartitionTable;
  memberships: MembershipTable;
  nodes: NodeTable;
  leases: LeaseTable;
  audit_log: AuditLogTable;
  blocks: BlockTable;
  past_memberships: PastMembershipTable;
  admin_setup_tokens: AdminSetupTokenTable;
}

/** The per-partition tables: each exists once per partition as `<name>_<partitionId>`. */
export interface PartitionTables {
  rooms: RoomTable;
  room_members: RoomMemberTable;
  messages: MessageTable;
  events: EventTable;
  media: MediaTable;
  message_edits: MessageEditTable;
  message_hides: MessageHideTable;
  reactions: ReactionTable;
  announcements: AnnouncementTable;
  announcement_dismissals: AnnouncementDismissalTable;
  ops: OpTable;
  notes: NoteTable;
  note_versions: NoteVersionTable;
}

export type PartitionTableName = keyof PartitionTables;

type PartitionTableKeys = {
  [K in PartitionTableName as `${K}_${string}`]: PartitionTables[K];
};

export type Database = GlobalTables & PartitionTableKeys;

export type User = Selectable<UserTable>;
export type Session = Selectable<SessionTable>;
export type Partition = Selectable<PartitionTable>;
export type Membership = Selectable<MembershipTable>;
export type Room = Selectable<RoomTable>;
export type MessageRow = Selectable<MessageTable>;
export type EventRow = Selectable<EventTable>;
export type NewUser = Insertable<UserTable>;
export type NodeRow = Selectable<NodeTable>;
export type LeaseRow = Selectable<LeaseTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type NoteRow = Selectable<NoteTable>;
export type NoteVersionRow = Selectable<NoteVersionTable>;
