import { useParleyClient, useProfile } from '@parley/client/react';
import { Avatar } from '../chat/avatar.tsx';
import './profile.css';

/** A person's name as they call themselves now (their profile), else the name we had (`fallback`). */
export function useDisplayName(userId: string, fallback: string): string {
  return useProfile(userId)?.displayName ?? fallback;
}

/** A person's avatar, live: their uploaded picture, else their initial (or nothing: `imageOnly`, for lists that name them anyway). */
export function PersonAvatar({ userId, name, size, imageOnly }: { userId: string; name: string; size?: 'small' | undefined; imageOnly?: boolean }) {
  const client = useParleyClient();
  const profile = useProfile(userId);
  const imageUrl = profile?.avatarId ? client.profiles.avatarUrl(profile.avatarId) : null;
  if (imageOnly && !imageUrl) return null;
  return <Avatar id={userId} name={profile?.displayName ?? name} imageUrl={imageUrl} size={size} />;
}

/** A person's name, live (`fallback` until their profile is known). */
export function PersonName({ userId, fallback, className }: { userId: string; fallback: string; className?: string | undefined }) {
  return <span className={className}>{useDisplayName(userId, fallback)}</span>;
}

/** A person's status line, if they set one (nothing otherwise). */
export function PersonStatus({ userId, className = 'person-status' }: { userId: string; className?: string }) {
  const status = useProfile(userId)?.status;
  if (!status) return null;
  return (
    <span className={className} title={status}>
      {status}
    </span>
  );
}
