import { useEffect, useSyncExternalStore } from 'react';
import type { Profile, ProfilesStore } from './profiles-store.ts';

type WithProfiles = { profiles: ProfilesStore };

/**
 * Everyone's profile by user id, loading the workspace's (and following its `profile.updated`
 * events) while mounted. Re-renders when any profile changes.
 * @example
 * ```tsx
 * const profiles = useProfilesWith(client, partitionId);
 * <span>{profiles[m.authorId]?.displayName ?? m.authorName}</span>
 * ```
 */
export function useProfilesWith(client: WithProfiles, partitionId: string | null): Readonly<Record<string, Profile>> {
  const { profiles } = client;
  useEffect(() => (partitionId ? profiles.watch(partitionId) : undefined), [profiles, partitionId]);
  return useSyncExternalStore(profiles.subscribe, profiles.getSnapshot, profiles.getSnapshot);
}

/**
 * One person's profile as known now (undefined until loaded, or for someone no longer in any
 * watched workspace: show the name you have). Re-renders only when theirs changes.
 * @example `const profile = useProfileWith(client, message.authorId);`
 */
export function useProfileWith(client: WithProfiles, userId: string): Profile | undefined {
  const { profiles } = client;
  const get = () => profiles.getSnapshot()[userId];
  return useSyncExternalStore(profiles.subscribe, get, get);
}
