/** The page: sign-in, or the signed-in dashboard with its navigation, live-update indicator and the routed view. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from '../api.js';
import { createLiveHub, LiveContext, type LiveState } from '../live.js';
import { href, useRoute } from '../router.js';
import { ContextPage } from './context-page.js';
import { ContextsPage } from './contexts-page.js';
import { SavingsPage } from './savings-view.js';
import { SignIn } from './sign-in.js';

const keyStorage = 'sleeptime.apiKey';

const liveLabels: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', stopped: 'Not live' };

function Dashboard({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const api = useMemo(() => new Api(apiKey), [apiKey]);
  const hub = useMemo(() => createLiveHub(), []);
  const [live, setLive] = useState<LiveState>('connecting');
  const route = useRoute();

  useEffect(() => {
    const controller = new AbortController();
    let wasLive = false;
    void api.followEvents(
      (event) => hub.publish(event),
      (state) => {
        setLive(state);
        // Events may have been missed while disconnected: every view reads afresh.
        if (state === 'live' && wasLive) hub.publish('reconnected');
        if (state === 'live') wasLive = true;
        if (state === 'stopped') onSignOut();
      },
      controller.signal,
    );
    return () => controller.abort();
  }, [api, hub, onSignOut]);

  const current = route.page === 'context' ? 'contexts' : route.page;
  return (
    <LiveContext.Provider value={hub}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href({ page: 'contexts' })}>
          sleeptime
        </a>
        <nav aria-label="Main">
          <a href={href({ page: 'contexts' })} aria-current={current === 'contexts' ? 'page' : undefined}>
            Contexts
          </a>
          <a href={href({ page: 'savings' })} aria-current={current === 'savings' ? 'page' : undefined}>
            Savings
          </a>
        </nav>
        <span class={`live live-${live}`} role="status" aria-live="polite" data-live={live}>
          {liveLabels[live]}
        </span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'context' ? <ContextPage key={route.id} api={api} id={route.id} tab={route.tab} /> : route.page === 'savings' ? <SavingsPage api={api} /> : <ContextsPage api={api} />}
      </main>
    </LiveContext.Provider>
  );
}

export function App() {
  const [apiKey, setApiKey] = useState<string | null>(() => sessionStorage.getItem(keyStorage));
  const signOut = useMemo(
    () => () => {
      sessionStorage.removeItem(keyStorage);
      setApiKey(null);
    },
    [],
  );
  if (apiKey === null) {
    return (
      <SignIn
        onSignedIn={(key) => {
          sessionStorage.setItem(keyStorage, key);
          setApiKey(key);
        }}
      />
    );
  }
  return <Dashboard apiKey={apiKey} onSignOut={signOut} />;
}
