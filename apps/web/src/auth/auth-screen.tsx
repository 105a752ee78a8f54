import { useEffect, useId, useState, type FormEvent } from 'react';
import { FieldError } from '../lib/field-error.tsx';
import { describedBy, formErrors } from '../lib/form-errors.ts';
import { trpc } from '../lib/trpc.ts';

type Mode = 'sign-in' | 'register';

/** Sign in or create an account; the server answers with an HttpOnly session cookie. */
export function AuthScreen({ onSignedIn }: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<Mode>('sign-in');
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
  const register = trpc.auth.register.useMutation({ onSuccess: onSignedIn });
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
    else register.mutate({ username, password, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) });
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
              maxLength={32}
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
                maxLength={64}
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
              maxLength={256}
              required
              {...describedBy(ids.passwordError, passwordError, mode === 'register' ? ids.passwordHint : undefined)}
            />
            <FieldError id={ids.passwordError} message={passwordError} />
            {mode === 'register' && (
              <p id={ids.passwordHint} className="hint">
                At least 8 characters.
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
