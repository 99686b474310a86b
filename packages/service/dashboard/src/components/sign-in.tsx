/** The sign-in page: an API key, checked against the API before it is kept (in sessionStorage, for this tab only). */
import { useState } from 'preact/hooks';
import { Api, ApiError } from '../api.js';

export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [checking, setChecking] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (trimmed === '') return setError('Enter an API key.');
    setChecking(true);
    setError(undefined);
    try {
      await new Api(trimmed).get('/v1/usage');
      onSignedIn(trimmed);
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 401 ? 'That API key is unknown or revoked.' : failure instanceof Error ? failure.message : String(failure));
    } finally {
      setChecking(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>sleeptime</h1>
      <p>Sign in with an API key of your tenant. It stays in this tab and is sent only to this server.</p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck={false} value={key} onInput={(event) => setKey(event.currentTarget.value)} autofocus />
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
        {error === undefined ? null : (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p class="hint">
        <code>sleeptime serve</code> prints a key on its first start; <code>sleeptime keys create --tenant NAME</code> makes more.
      </p>
    </main>
  );
}
