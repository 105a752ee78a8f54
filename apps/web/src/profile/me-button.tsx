import { useState } from 'react';
import type { Me } from '../lib/trpc.ts';
import { PersonAvatar, PersonStatus, useDisplayName } from './person.tsx';
import { ProfileDialog } from './profile-dialog.tsx';

/** Who is signed in (picture, name, status, username) in the sidebar's footer: opens "Your profile". */
export function MeButton({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const name = useDisplayName(me.id, me.displayName);
  return (
    <>
      <button type="button" className="me-button" aria-label={`Edit your profile (${name})`} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        <PersonAvatar userId={me.id} name={name} size="small" />
        <span className="me">
          <span className="me-name" title={name}>
            {name}
          </span>
          <PersonStatus userId={me.id} />
          <span className="me-username" title={`@${me.username}`}>
            @{me.username}
          </span>
        </span>
      </button>
      {open && <ProfileDialog me={me} onClose={() => setOpen(false)} />}
    </>
  );
}
