import { useEffect, useId, useState, type FormEvent } from 'react';
import { DISPLAY_NAME_MAX_CHARS, PASSWORD_MAX_CHARS, USERNAME_MAX_CHARS } from '@parley/client';
import { FieldError } from '../lib/field-error.tsx';
import { describedBy, formErrors } from '../lib/form-errors.ts';
import { trpc } from '../lib/trpc.ts';

type Mode = 'sign-in' | 'register';

/**
 * The one-time setup token a node prints while the server has no administrator, opened as
 * `/?setup=<token>`: the account created from that page administers the server.
 */
function setupTokenInUrl(): string | undefined {
  return new URLSearchParams(window.location.search).get('setup')?.trim() || undefined;
}

/** Drops `?setup=` from the address once used: it stays in no history entry or bookmark. */
function forgetSetupToken() {
  const url = new URL(window.location.href);
  url.searchParams.delete('setup');
  window.history.replaceState(window.history.state, '', url);
}

/** Sign in or create an account; the server answers with an HttpOnly session cookie. */
export function AuthScreen({ onSignedIn }: { onSignedIn: () => void }) {
  const [setupToken] = useState(setupTokenInUrl);
  const [mode, setMode] = useState<Mode>(setupToken ? 'register' : 'sign-in');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const ids = {
    username: useId(),
    password: useId(),
    displayName: useId(),
    passwordHint: useId(),
    usernameError: useId(),
    passwordError: useId(),
    displayNameError: useId(),
  };
  const login = trpc.auth.login.useMutation({ onSuccess: onSignedIn });
  const register = trpc.auth.register.useMutation({
    onSuccess: () => {
      if (setupToken) forgetSetupToken();
      onSignedIn();
    },
  });
  const current = mode === 'sign-in' ? login : register;
  const errors = formErrors(current.error, ['username', 'password', 'displayName']);
  const { username: usernameError, password: passwordError, displayName: displayNameError } = errors.fields;

  // The first field the server refused gets the focus: its error is read out with it.
  const firstInvalid = usernameError ? ids.username : displayNameError ? ids.displayName : passwordError ? ids.password : null;
  useEffect(() => {
    if (firstInvalid) document.getElementById(firstInvalid)?.focus();
  }, [firstInvalid, current.error]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'sign-in') login.mutate({ username, password });
    else {
      register.mutate({
        username,
        password,
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
        ...(setupToken ? { setupToken } : {}),
      });
    }
  };

  const switchMode = () => {
    login.reset();
    register.reset();
    setMode(mode === 'sign-in' ? 'register' : 'sign-in');
  };

  return (
    <div className="auth-page">
      <main className="card auth-card">
        <p className="brand">Parley</p>
        <h1>{mode === 'sign-in' ? 'Sign in' : 'Create your account'}</h1>
        {setupToken && mode === 'register' && <p className="hint">This account will administer this Parley server (you opened the setup link from its log).</p>}
        <form onSubmit={onSubmit} className="stack">
          <div className="field">
            <label htmlFor={ids.username}>Username</label>
            <input
              id={ids.username}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={USERNAME_MAX_CHARS}
              required
              {...describedBy(ids.usernameError, usernameError)}
            />
            <FieldError id={ids.usernameError} message={usernameError} />
          </div>
          {mode === 'register' && (
            <div className="field">
              <label htmlFor={ids.displayName}>
                Display name <span className="muted">(optional)</span>
              </label>
              <input
                id={ids.displayName}
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
                autoComplete="nickname"
                maxLength={DISPLAY_NAME_MAX_CHARS}
                {...describedBy(ids.displayNameError, displayNameError)}
              />
              <FieldError id={ids.displayNameError} message={displayNameError} />
            </div>
          )}
          <div className="field">
            <label htmlFor={ids.password}>Password</label>
            <input
              id={ids.password}
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
              maxLength={PASSWORD_MAX_CHARS}
              required
              {...describedBy(ids.passwordError, passwordError, mode === 'register' ? ids.passwordHint : undefined)}
            />
            <FieldError id={ids.passwordError} message={passwordError} />
            {mode === 'register' && (
              <p id={ids.passwordHint} className="hint">
                At least 8 characters and hard to guess: a few uncommon words work well.
              </p>
            )}
          </div>
          {errors.general && (
            <p className="error-text" role="alert">
              {errors.general}
            </p>
          )}
          <button type="submit" className="button primary wide" disabled={current.isPending}>
            {current.isPending ? 'One moment…' : mode === 'sign-in' ? 'Sign in' : 'Create account'}
          </button>
        </form>
        <p className="auth-switch">
          {mode === 'sign-in' ? 'New to Parley?' : 'Already have an account?'}{' '}
          <button type="button" className="link-button" onClick={switchMode}>
            {mode === 'sign-in' ? 'Create an account' : 'Sign in'}
          </button>
        </p>
      </main>
    </div>
  );
}
