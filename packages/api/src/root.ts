import { router } from './trpc.ts';
import { announcementRouter } from './features/announcement/announcement.router.ts';
import { userRouter } from './features/block/block.router.ts';
import { dmRouter } from './features/dm/dm.router.ts';
import { reactionRouter } from './features/reaction/reaction.router.ts';
import { adminRouter } from './features/admin/admin.router.ts';
import { authRouter } from './features/auth/auth.router.ts';
import { eventRouter } from './features/event/event.router.ts';
import { messageRouter } from './features/message/message.router.ts';
import { noteRouter } from './features/note/note.router.ts';
import { partitionRouter } from './features/partition/partition.router.ts';
import { presenceRouter } from './features/presence/presence.router.ts';
import { profileRouter } from './features/profile/profile.router.ts';
import { readRouter } from './features/read/read.router.ts';
import { roomRouter } from './features/room/room.router.ts';
import { searchRouter } from './features/search/search.router.ts';
import { notifyRouter } from './features/notify/notify.router.ts';
import { pushRouter } from './features/push/push.router.ts';

export const appRouter = router({
  auth: authRouter,
  partition: partitionRouter,
  room: roomRouter,
  message: messageRouter,
  reaction: reactionRouter,
  dm: dmRouter,
  announcement: announcementRouter,
  note: noteRouter,
  search: searchRouter,
  notify: notifyRouter,
  push: pushRouter,
  read: readRouter,
  user: userRouter,
  profile: profileRouter,
  event: eventRouter,
  presence: presenceRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
