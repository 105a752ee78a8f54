import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { createPortal } from 'react-dom';
import { DISPLAY_NAME_MAX_CHARS, profileFieldRefusal, STATUS_MAX_CHARS, type ProfileChange } from '@parley/client';
import { useParleyClient, useProfile } from '@parley/client/react';
import { Avatar } from '../chat/avatar.tsx';
import { errorMessage } from '../lib/errors.ts';
import { FieldError } from '../lib/field-error.tsx';
import { describedBy, formErrors } from '../lib/form-errors.ts';
import { trpc, type Me } from '../lib/trpc.ts';
import './profile.css';

/** What `POST /avatar` takes (the server decides from the bytes; this only saves a pointless upload). */
export const AVATAR_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
const AVATAR_TYPE_REFUSAL = 'Choose a JPEG, PNG, GIF or WebP image.';

type AvatarChoice = { kind: 'keep' } | { kind: 'remove' } | { kind: 'file'; file: File; previewUrl: string | null };

type Errors = Partial<Record<'displayName' | 'status' | 'avatar', string>>;

/** An object URL for the chosen image, revoked when it is replaced or the dialog closes. */
function previewOf(file: File): string | null {
  return typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null;
}

/**
 * "Your profile": display name, status and avatar (upload with a preview, or remove). Saving
 * uploads the image first (`POST /avatar`), then changes only what changed (`profile.update`);
 * every workspace sees it live. Refusals show at their field, in the server's words; the same
 * rules are checked here first.
 */
export function ProfileDialog({ me, onClose }: { me: Me; onClose: () => void }) {
  const client = useParleyClient();
  const utils = trpc.useUtils();
  const known = useProfile(me.id);
  const [loaded, setLoaded] = useState(known ?? null);
  const [displayName, setDisplayName] = useState(known?.displayName ?? me.displayName);
  const [status, setStatus] = useState(known?.status ?? '');
  const [touched, setTouched] = useState(false);
  const [avatar, setAvatar] = useState<AvatarChoice>({ kind: 'keep' });
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const ids = {
    title: useId(),
    displayName: useId(),
    displayNameError: useId(),
    status: useId(),
    statusError: useId(),
    statusHint: useId(),
    avatar: useId(),
    avatarError: useId(),
  };
  const nameRef = useRef<HTMLInputElement>(null);
  const statusRef = useRef<HTMLInputElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  useEffect(() => nameRef.current?.focus(), []);
  // The server's word on my profile (the store may not have it yet, e.g. in no workspace).
  useEffect(() => {
    let live = true;
    client.profiles.mine().then(
      (profile) => {
        if (!live) return;
        setLoaded(profile);
        if (!touched) {
          setDisplayName(profile.displayName);
          setStatus(profile.status);
        }
      },
      () => {},
    );
    return () => {
      live = false;
    };
    // Once, when the dialog opens: a later answer must not overwrite what the person typed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client]);
  useEffect(() => {
    const url = avatar.kind === 'file' ? avatar.previewUrl : null;
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [avatar]);

  const current = loaded ?? known ?? { userId: me.id, displayName: me.displayName, status: '', avatarId: null };
  const currentImage = current.avatarId ? client.profiles.avatarUrl(current.avatarId) : null;
  const shownImage = avatar.kind === 'file' ? avatar.previewUrl : avatar.kind === 'remove' ? null : currentImage;
  const hasImage = avatar.kind === 'file' || (avatar.kind === 'keep' && currentImage !== null);

  const chooseFile = (file: File | undefined) => {
    if (!file) return;
    setGeneral(null);
    if (!(AVATAR_TYPES as readonly string[]).includes(file.type)) {
      setErrors((e) => ({ ...e, avatar: AVATAR_TYPE_REFUSAL }));
      return;
    }
    setErrors((e) => ({ ...e, avatar: undefined }));
    setAvatar({ kind: 'file', file, previewUrl: previewOf(file) });
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving) return;
    const found: Errors = {};
    const nameRefusal = profileFieldRefusal('displayName', displayName);
    const statusRefusal = profileFieldRefusal('status', status);
    if (nameRefusal) found.displayName = nameRefusal;
    if (statusRefusal) found.status = statusRefusal;
    setErrors(found);
    setGeneral(null);
    if (nameRefusal) return nameRef.current?.focus();
    if (statusRefusal) return statusRef.current?.focus();

    const change: ProfileChange = {};
    if (displayName.trim() !== current.displayName) change.displayName = displayName.trim();
    if (status.trim() !== current.status) change.status = status.trim();
    setSaving(true);
    try {
      if (avatar.kind === 'file') {
        try {
          change.avatarId = (await client.profiles.uploadAvatar(avatar.file)).id;
        } catch (error) {
          setErrors({ avatar: errorMessage(error) });
          return;
        }
      } else if (avatar.kind === 'remove' && current.avatarId !== null) {
        change.avatarId = null;
      }
      if (Object.keys(change).length === 0) return onClose();
      await client.profiles.update(change);
      void utils.auth.me.invalidate();
      void utils.partition.members.invalidate();
      onClose();
    } catch (error) {
      const { fields, general: other } = formErrors(error, ['displayName', 'status', 'avatarId']);
      setErrors({ displayName: fields.displayName, status: fields.status, avatar: fields.avatarId });
      setGeneral(other);
    } finally {
      setSaving(false);
    }
  };

  return createPortal(
    <div className="dialog-backdrop" onClick={onClose}>
      <div
        className="profile-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={ids.title}
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            onClose();
          }
        }}
      >
        <form onSubmit={(event) => void onSubmit(event)} noValidate>
          <h2 id={ids.title}>Your profile</h2>
          <div className="profile-avatar-field">
            <Avatar id={me.id} name={displayName || me.displayName} imageUrl={shownImage} />
            <div className="profile-avatar-actions">
              <label htmlFor={ids.avatar} className="button subtle small">
                {hasImage ? 'Change picture…' : 'Upload picture…'}
              </label>
              <input
                ref={fileRef}
                id={ids.avatar}
                className="visually-hidden"
                type="file"
                accept={AVATAR_TYPES.join(',')}
                aria-label="Profile picture"
                {...describedBy(ids.avatarError, errors.avatar)}
                onChange={(event) => {
                  chooseFile(event.target.files?.[0]);
                  event.target.value = '';
                }}
              />
              {hasImage && (
                <button
                  type="button"
                  className="button subtle small"
                  onClick={() => {
                    setErrors((e) => ({ ...e, avatar: undefined }));
                    setAvatar(current.avatarId ? { kind: 'remove' } : { kind: 'keep' });
                  }}
                >
                  Remove picture
                </button>
              )}
              {avatar.kind === 'file' && <span className="hint">New picture: saved with the profile.</span>}
              {avatar.kind === 'remove' && <span className="hint">The picture goes when you save.</span>}
            </div>
          </div>
          <FieldError id={ids.avatarError} message={errors.avatar} />

          <label htmlFor={ids.displayName}>Display name</label>
          <input
            ref={nameRef}
            id={ids.displayName}
            value={displayName}
            maxLength={DISPLAY_NAME_MAX_CHARS + 20}
            autoComplete="nickname"
            onChange={(event) => {
              setTouched(true);
              setDisplayName(event.target.value);
            }}
            {...describedBy(ids.displayNameError, errors.displayName)}
          />
          <FieldError id={ids.displayNameError} message={errors.displayName} />

          <label htmlFor={ids.status}>Status</label>
          <input
            ref={statusRef}
            id={ids.status}
            value={status}
            placeholder="What are you up to?"
            onChange={(event) => {
              setTouched(true);
              setStatus(event.target.value);
            }}
            {...describedBy(ids.statusError, errors.status, ids.statusHint)}
          />
          <p id={ids.statusHint} className="hint">
            {status.trim().length}/{STATUS_MAX_CHARS} characters, one line. Everyone in your workspaces sees it.
          </p>
          <FieldError id={ids.statusError} message={errors.status} />

          {general && (
            <p className="error-text" role="alert">
              {general}
            </p>
          )}
          <div className="inline-form-row">
            <button type="submit" className="button primary" disabled={saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
            <button type="button" className="button subtle" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>,
    document.body,
  );
}
