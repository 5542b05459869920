import { useState } from 'preact/hooks';
import type { Capabilities } from '../capabilities.js';
import type { HeadingRef } from '../router.js';
import { go } from '../router.js';

/**
 * Sign in: the key is kept in this tab's sessionStorage and sent in the Authorization header; it
 * never goes in a URL or a cookie, and signing out (or closing the tab) forgets it.
 */
export function SignInPage(props: {
  heading: HeadingRef;
  caps: Capabilities;
  onSignIn: (key: string) => Promise<void>;
}) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    await props.onSignIn(key.trim());
    setBusy(false);
    setKey('');
    go('models');
  };

  return (
    <section aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" tabIndex={-1} ref={props.heading}>
        Sign in
      </h1>
      {props.caps.signedIn ? (
        <p>You are signed in. Sign out first to use another key.</p>
      ) : (
        <form class="stack narrow" onSubmit={submit}>
          <p>
            The console calls the same API as any client, with your key: it can do only what the
            key's scopes allow. The key stays in this tab until you sign out or close it.
          </p>
          <label>
            API key
            <input
              type="password"
              name="api-key"
              autoComplete="off"
              spellcheck={false}
              required
              pattern="\S+"
              value={key}
              onInput={(e) => setKey((e.target as HTMLInputElement).value)}
            />
          </label>
          <div>
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Checking…' : 'Sign in'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
