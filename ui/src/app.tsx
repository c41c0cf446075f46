/**
 * @module The dashboard shell: navigation by URL fragment (`#/`, `#/models/NAME[/VERSION]`, `#/live`),
 * the API key prompt shown when the server answers 401, and the admin scope check.
 */

import { useCallback, useEffect, useLayoutEffect, useState } from "preact/hooks";
import { ApiError, api, currentKey, KEYS_ON, modelPath, onAuthRequired, setKey, TITLE } from "./api.ts";
import { ModelCard } from "./card.tsx";
import { Models } from "./models.tsx";
import type { ModelEntry, ModelList } from "./types.ts";

/**
 * The live view, loaded when first opened: it brings the chart library, which the models table (the
 * first screen) does not need, so the first screen loads without it.
 */
function LazyLive() {
  const [Live, setLive] = useState<(() => preact.JSX.Element) | null>(null);
  useEffect(() => {
    void import("./live.tsx").then((m) => setLive(() => m.Live));
  }, []);
  return Live ? <Live /> : <p class="muted">Loading the live view…</p>;
}

type Route = { view: "models" } | { view: "model"; name: string; version?: string } | { view: "live" };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "live") return { view: "live" };
  if (parts[0] === "models" && parts[1]) return { view: "model", name: parts[1], version: parts[2] };
  return { view: "models" };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** Asks for an API key; it is kept in this tab's session storage only. */
function KeyPrompt(props: { onKey: () => void; rejected: boolean }) {
  const [value, setValue] = useState("");
  return (
    <form
      class="key-prompt"
      aria-label="API key"
      onSubmit={(e) => {
        e.preventDefault();
        setKey(value);
        props.onKey();
      }}
    >
      <h2>This server needs an API key</h2>
      <p class="muted">
        The key is kept in this tab only (session storage) and sent as <code>Authorization: Bearer</code>.
      </p>
      {props.rejected ? (
        <div class="error" role="alert">
          The server did not accept that key.
        </div>
      ) : null}
      <input
        type="password"
        name="api-key"
        autoComplete="off"
        placeholder="API key"
        aria-label="API key"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled={value.trim() === ""}>
        Use key
      </button>
    </form>
  );
}

/** The whole page. */
export function App() {
  const route = useRoute();
  const [needKey, setNeedKey] = useState(false);
  const [rejected, setRejected] = useState(false);
  const [list, setList] = useState<ModelList | null>(null);
  const [detail, setDetail] = useState<ModelEntry | null>(null);
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [epoch, setEpoch] = useState(0);

  // Layout effects run right after the first render, not after the first paint like useEffect: the
  // models request (sent ahead by early.ts) is taken, and its answer rendered, as soon as it arrives.
  // The 401 listener is declared first, so it is in place before that request can fail.
  useLayoutEffect(
    () =>
      onAuthRequired(() => {
        setRejected(currentKey() !== undefined);
        setNeedKey(true);
      }),
    [],
  );

  const reload = useCallback(async () => {
    try {
      const models = await api<ModelList>("/models");
      setList(models);
      setError(null);
      setNeedKey(false);
      // The admin API answers 404 when off and 403 without the scope: either way, no actions shown.
      try {
        await api("/admin/models");
        setAdmin(true);
      } catch {
        setAdmin(false);
      }
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        setError(err instanceof ApiError ? `${err.message} [${err.code}]` : String(err));
    }
  }, []);

  useLayoutEffect(() => {
    void reload();
  }, [epoch]);

  useEffect(() => {
    if (route.view !== "model" || needKey) return;
    setDetail(null);
    api<ModelEntry>(modelPath(route.name))
      .then(setDetail)
      .catch((err) => setError(err instanceof ApiError ? `${err.message} [${err.code}]` : String(err)));
  }, [route.view === "model" ? route.name : "", epoch, list]);

  const tab = (href: string, text: string, active: boolean) => (
    <a href={href} class={active ? "active" : undefined} aria-current={active ? "page" : undefined}>
      {text}
    </a>
  );

  return (
    <>
      <header class="top">
        <h1>{TITLE}</h1>
        <nav aria-label="views">
          {tab("#/", "Models", route.view === "models")}
          {route.view === "model"
            ? tab(`#/models/${encodeURIComponent(route.name)}`, route.name, true)
            : null}
          {tab("#/live", "Live", route.view === "live")}
        </nav>
        <span class="spacer" />
        {KEYS_ON || currentKey() ? (
          <span class="key-state">
            {currentKey() ? "key set" : "no key"}
            {admin ? " · admin" : ""}
            {currentKey() ? (
              <button
                type="button"
                class="link"
                onClick={() => {
                  setKey(undefined);
                  setAdmin(false);
                  setList(null);
                  setNeedKey(KEYS_ON);
                }}
              >
                forget
              </button>
            ) : null}
          </span>
        ) : null}
      </header>
      <main>
        {needKey ? (
          <KeyPrompt
            rejected={rejected}
            onKey={() => {
              setNeedKey(false);
              setEpoch((e) => e + 1);
            }}
          />
        ) : (
          <>
            {error ? (
              <div class="error" role="alert">
                {error}
              </div>
            ) : null}
            {route.view === "live" ? <LazyLive /> : null}
            {route.view === "models" && list ? <Models list={list} admin={admin} reload={reload} /> : null}
            {route.view === "model" && detail && detail.name === route.name ? (
              <ModelCard model={detail} version={route.version} />
            ) : null}
          </>
        )}
      </main>
    </>
  );
}
