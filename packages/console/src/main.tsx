import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describe, onUnauthenticated } from './api.js';
import {
  ALL_SCOPES,
  type Capabilities,
  probeCapabilities,
  probeRoutes,
  type Scope,
} from './capabilities.js';
import { JobsPage } from './pages/jobs.js';
import { KeysPage } from './pages/keys.js';
import { ModelsPage } from './pages/models.js';
import { SignInPage } from './pages/sign-in.js';
import { TrafficPage } from './pages/traffic.js';
import { TryItPage } from './pages/try-it.js';
import { go, type HeadingRef, type PageId, usePage } from './router.js';
import { forgetKey, storedKey, storeKey } from './session.js';

interface NavItem {
  id: PageId;
  label: string;
  /** Why the page is not offered, or null when it is. */
  hidden: (caps: Capabilities) => string | null;
}

function needs(caps: Capabilities, scope: Scope): string | null {
  if (caps.scopes.has(scope)) return null;
  return caps.signedIn
    ? `Your key does not have the "${scope}" scope.`
    : `Sign in with a key that has the "${scope}" scope.`;
}

const NAV: readonly NavItem[] = [
  { id: 'models', label: 'Models', hidden: () => null },
  { id: 'try', label: 'Try it', hidden: (caps) => needs(caps, 'predict') },
  {
    id: 'traffic',
    label: 'Traffic',
    hidden: (caps) =>
      caps.routes.traffic
        ? needs(caps, 'admin')
        : 'This gateway does not serve traffic policies yet (PUT /admin/models/{m}/traffic).',
  },
  {
    id: 'keys',
    label: 'Keys and usage',
    hidden: (caps) => {
      if (!caps.routes.keys && !caps.routes.usage) {
        return 'This gateway does not serve API keys yet (/admin/keys, /v1/usage).';
      }
      if (caps.routes.keys && caps.scopes.has('admin')) return null;
      // A key without admin still sees its own usage there.
      if (caps.signedIn && caps.routes.usage) return null;
      return needs(caps, 'admin');
    },
  },
  {
    id: 'jobs',
    label: 'Jobs',
    hidden: (caps) =>
      caps.routes.jobs ? needs(caps, 'jobs') : 'This gateway does not serve jobs yet (/v1/jobs).',
  },
];

function App() {
  const page = usePage();
  const [caps, setCaps] = useState<Capabilities | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const refresh = useCallback(async () => {
    try {
      const routes = await probeRoutes();
      const found = await probeCapabilities(routes);
      if (storedKey() !== null && !found.signedIn) {
        forgetKey();
        setNotice('The gateway refused the stored key; sign in again.');
      }
      setCaps(found);
      setFailure(null);
    } catch (err) {
      setFailure(`Cannot reach the gateway: ${describe(err)}`);
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onUnauthenticated(() => {
      setCaps((c) =>
        c === null ? c : { ...c, auth: 'keys', signedIn: false, scopes: new Set<Scope>() },
      );
      if (storedKey() !== null) {
        forgetKey();
        setNotice('The gateway refused the key; sign in again.');
      }
    });
  }, [refresh]);

  // Moving to a page moves the focus to its heading, so a screen reader announces it.
  useEffect(() => {
    heading.current?.focus();
  }, [page]);

  const signIn = async (key: string) => {
    storeKey(key);
    setNotice(null);
    await refresh();
  };
  const signOut = () => {
    forgetKey();
    setCaps((c) => (c === null ? c : { ...c, signedIn: false, scopes: ALL_SCOPES, usage: null }));
    void refresh();
    go('models');
  };

  const visible =
    caps === null ? NAV.slice(0, 1) : NAV.filter((item) => item.hidden(caps) === null);
  const current = NAV.find((item) => item.id === page);
  const why = caps !== null && current !== undefined ? current.hidden(caps) : null;
  const offerSignIn = caps?.routes.usage && !caps.signedIn;

  return (
    <>
      {/* A button, not a link: "#main" would be read as a page by the hash router. */}
      <button type="button" class="skip" onClick={() => heading.current?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">mlapi console</span>
        <nav aria-label="Console pages">
          <ul>
            {visible.map((item) => (
              <li key={item.id}>
                <a href={`#/${item.id}`} aria-current={item.id === page ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
            <li>
              <a href="../docs" rel="help">
                API docs
              </a>
            </li>
          </ul>
        </nav>
        <div class="who">
          {caps?.signedIn ? (
            <>
              <span class="muted">Signed in ({[...caps.scopes].join(', ') || 'no scopes'})</span>
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : offerSignIn ? (
            <a class="button" href="#/sign-in">
              Sign in
            </a>
          ) : null}
        </div>
      </header>
      <main id="main">
        {notice !== null && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        {failure !== null && (
          <p class="error" role="alert">
            {failure}{' '}
            <button type="button" onClick={() => void refresh()}>
              Retry
            </button>
          </p>
        )}
        {caps === null ? (
          <h1 tabIndex={-1} ref={heading}>
            Loading…
          </h1>
        ) : page === 'sign-in' ? (
          <SignInPage heading={heading} caps={caps} onSignIn={signIn} />
        ) : why !== null ? (
          <section>
            <h1 tabIndex={-1} ref={heading}>
              {current?.label}
            </h1>
            <p>{why}</p>
            {offerSignIn && <a href="#/sign-in">Sign in</a>}
          </section>
        ) : (
          <Page id={page} caps={caps} heading={heading} />
        )}
      </main>
    </>
  );
}

function Page(props: { id: PageId; caps: Capabilities; heading: HeadingRef }) {
  const { id, caps, heading } = props;
  switch (id) {
    case 'try':
      return <TryItPage heading={heading} caps={caps} />;
    case 'traffic':
      return <TrafficPage heading={heading} />;
    case 'keys':
      return <KeysPage heading={heading} caps={caps} />;
    case 'jobs':
      return <JobsPage heading={heading} caps={caps} />;
    default:
      return <ModelsPage heading={heading} />;
  }
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
