/**
 * @module The models view: every model with its versions (state, default, split, shadow, stage,
 * format, library version, size, load time, golden check) and, when the key has the admin scope, the
 * admin actions (set default, roll back, load, unload), each confirmed before it is sent.
 */

import { useState } from "preact/hooks";
import { ApiError, api } from "./api.ts";
import { bytes, ms, num, pct, when } from "./format.ts";
import type { ModelEntry, ModelList, Version } from "./types.ts";

/** An admin action waiting for confirmation. */
interface Pending {
  readonly text: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

const enc = encodeURIComponent;

function Golden(props: { v: Version }) {
  const g = props.v.meta?.bundle?.golden;
  if (!g) return <span class="muted">–</span>;
  return g.differing === 0 ? (
    <span class="ok" title="golden samples from training match">
      ✓ {g.compared} match
    </span>
  ) : (
    <span class="bad">
      ✗ {g.differing}/{g.compared} differ
    </span>
  );
}

function Shadow(props: { m: ModelEntry }) {
  const s = props.m.shadow;
  if (!s) return null;
  const rows = s.rows ?? 0;
  return (
    <span class="chip" title="shadow version: mirrored traffic, answers compared, never returned">
      shadow {s.version}: {rows} rows, {rows > 0 ? pct((s.disagreements ?? 0) / rows) : "–"} disagree
    </span>
  );
}

function Split(props: { m: ModelEntry }) {
  const arms = props.m.split;
  if (!arms || arms.length === 0) return null;
  const total = arms.reduce((a, b) => a + b.weight, 0) || 1;
  return (
    <span class="chip" title="traffic split between versions">
      split {arms.map((a) => `${a.version} ${num((a.weight / total) * 100)} %`).join(" · ")}
    </span>
  );
}

function ModelTable(props: { m: ModelEntry; admin: boolean; ask: (p: Pending) => void }) {
  const { m, admin, ask } = props;
  const [loadLabel, setLoadLabel] = useState("");
  return (
    <section class="model" data-model={m.name}>
      <header>
        <h2>
          <a href={`#/models/${enc(m.name)}`}>{m.name}</a>
        </h2>
        <span class="chip" data-testid="default-version">
          default {m.defaultVersion ?? "–"}
          {m.pinnedVersion ? " (pinned)" : ""}
        </span>
        <Split m={m} />
        <Shadow m={m} />
        {admin ? (
          <span class="admin-actions">
            <button
              type="button"
              class="secondary"
              onClick={() =>
                ask({
                  text: `Roll ${m.name} back to the previous default version?`,
                  method: "POST",
                  path: `/admin/models/${enc(m.name)}/rollback`,
                })
              }
            >
              Roll back
            </button>
            <input
              class="small"
              placeholder="version"
              aria-label={`version of ${m.name} to load`}
              value={loadLabel}
              onInput={(e) => setLoadLabel((e.target as HTMLInputElement).value)}
            />
            <button
              type="button"
              class="secondary"
              disabled={loadLabel.trim() === ""}
              onClick={() =>
                ask({
                  text: `Load version ${loadLabel.trim()} of ${m.name} from the repository?`,
                  method: "POST",
                  path: `/admin/models/${enc(m.name)}/versions/${enc(loadLabel.trim())}/load`,
                })
              }
            >
              Load
            </button>
          </span>
        ) : null}
      </header>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>version</th>
              <th>state</th>
              <th>stage</th>
              <th>format</th>
              <th>library</th>
              <th>type</th>
              <th class="n">size</th>
              <th class="n">load time</th>
              <th>golden check</th>
              <th>loaded</th>
              {admin ? <th>actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {m.versions.map((v) => (
              <tr key={v.version} data-version={v.version} class={v.default ? "is-default" : undefined}>
                <td>
                  <a href={`#/models/${enc(m.name)}/${enc(v.version)}`}>{v.version}</a>
                  {v.default ? <span class="badge">default</span> : null}
                </td>
                <td>
                  <span class={`state state-${v.state}`} title={v.error?.message}>
                    {v.state}
                  </span>
                </td>
                <td>{v.meta?.stage ?? <span class="muted">–</span>}</td>
                <td>{v.info?.format ?? "–"}</td>
                <td>
                  {v.info
                    ? `${v.info.framework}${v.info.frameworkVersion ? ` ${v.info.frameworkVersion}` : ""}`
                    : "–"}
                </td>
                <td>{v.info?.modelType ?? "–"}</td>
                <td class="n">{v.info ? bytes(v.info.sizeBytes) : "–"}</td>
                <td class="n">{v.info ? ms(v.info.loadTimeMs) : "–"}</td>
                <td>
                  <Golden v={v} />
                </td>
                <td>{when(v.info?.loadedAt ?? v.since)}</td>
                {admin ? (
                  <td>
                    <div class="row-actions">
                      {!v.default && v.state === "ready" ? (
                        <button
                          type="button"
                          data-action="set-default"
                          onClick={() =>
                            ask({
                              text: `Make version ${v.version} the default of ${m.name}? Traffic to ${m.name} moves to it at once.`,
                              method: "PUT",
                              path: `/admin/models/${enc(m.name)}/default`,
                              body: { version: v.version },
                            })
                          }
                        >
                          Make default
                        </button>
                      ) : null}
                      <button
                        type="button"
                        class="danger"
                        data-action="unload"
                        onClick={() =>
                          ask({
                            text: `Unload version ${v.version} of ${m.name}? Requests pinned to it will fail.`,
                            method: "DELETE",
                            path: `/admin/models/${enc(m.name)}/versions/${enc(v.version)}`,
                          })
                        }
                      >
                        Unload
                      </button>
                    </div>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The models view. `admin` is whether the key may use the admin API; `reload` refetches the list. */
export function Models(props: { list: ModelList; admin: boolean; reload: () => Promise<void> }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const confirm = async () => {
    const p = pending;
    if (!p) return;
    setPending(null);
    try {
      await api(p.path, { method: p.method, body: p.body ?? (p.method === "POST" ? {} : undefined) });
      setMessage({ ok: true, text: "Done." });
    } catch (err) {
      setMessage({ ok: false, text: err instanceof ApiError ? `${err.message} [${err.code}]` : String(err) });
    }
    await props.reload();
  };
  return (
    <div>
      {pending ? (
        <div class="confirm" role="alertdialog" aria-label="confirm admin action">
          <span>{pending.text}</span>
          <button type="button" class="danger" data-action="confirm" onClick={confirm}>
            Confirm
          </button>
          <button type="button" class="secondary" onClick={() => setPending(null)}>
            Cancel
          </button>
        </div>
      ) : null}
      {message ? (
        <div class={message.ok ? "notice" : "error"} role="status">
          {message.text}
        </div>
      ) : null}
      {props.list.models.length === 0 ? <p class="muted">No model is loaded.</p> : null}
      {props.list.models.map((m) => (
        <ModelTable
          key={m.name}
          m={m}
          admin={props.admin}
          ask={(p) => {
            setMessage(null);
            setPending(p);
          }}
        />
      ))}
    </div>
  );
}
