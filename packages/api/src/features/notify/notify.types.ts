import type { NotifyLevel } from '@parley/rules';

/** Your notification level for one room you are in (`explicit` false: the default for its kind). */
export interface RoomNotifyDto {
  roomId: string;
  level: NotifyLevel;
  explicit: boolean;
}

/** What `notify.changed` says (seen by that person's streams alone). */
export interface NotifyChange {
  roomId: string;
  userId: string;
  level: NotifyLevel;
}
