/**
 * @module The model card: task, classes, features with types, categories, ranges and training
 * distributions (from a bundle's statistics), what the metadata says, then the try-it form.
 */

import { label, num, pct, when } from "./format.ts";
import { TryIt } from "./tryit.tsx";
import type { Feature, FeatureStats, ModelEntry, Version } from "./types.ts";

/** A tiny histogram of training fractions (bins or category shares). */
function Histogram(props: { fractions: readonly number[]; title: string }) {
  const max = Math.max(...props.fractions, 1e-9);
  return (
    <span class="histogram" role="img" aria-label={props.title} title={props.title}>
      {props.fractions.map((f, i) => (
        <span key={i} style={{ height: `${Math.max(2, (f / max) * 100)}%` }} />
      ))}
    </span>
  );
}

function StatsCell(props: { s: FeatureStats | undefined }) {
  const s = props.s;
  if (!s) return <span class="muted">–</span>;
  const parts: string[] = [];
  if (s.mean !== undefined) parts.push(`mean ${num(s.mean)}${s.std !== undefined ? ` ± ${num(s.std)}` : ""}`);
  if (s.min !== undefined || s.max !== undefined) parts.push(`${num(s.min)} … ${num(s.max)}`);
  const cats = s.categories ? Object.entries(s.categories).sort((a, b) => b[1] - a[1]) : [];
  return (
    <span class="stats">
      {s.bins ? (
        <Histogram
          fractions={s.bins.fractions}
          title={`training distribution over ${s.bins.fractions.length} bins`}
        />
      ) : null}
      {cats.length > 0 ? (
        <Histogram
          fractions={cats.map((c) => c[1])}
          title={cats.map(([k, v]) => `${k}: ${pct(v)}`).join(", ")}
        />
      ) : null}
      <span>{parts.join(" · ")}</span>
    </span>
  );
}

function typeOf(f: Feature): string {
  if (f.dtype === "tensor") return `tensor [${(f.shape ?? []).join(" × ")}]`;
  return f.dtype;
}

function allowed(f: Feature) {
  if (f.categories && f.categories.length > 0)
    return (
      <span class="cats">
        {f.categories.slice(0, 30).map((c) => (
          <span class="chip" key={String(c)}>
            {label(c)}
          </span>
        ))}
        {f.categories.length > 30 ? <span class="muted">+{f.categories.length - 30} more</span> : null}
        {f.allowUnknownCategories ? <span class="muted">others accepted</span> : null}
      </span>
    );
  if (f.range && (f.range.min !== undefined || f.range.max !== undefined))
    return `${f.range.min !== undefined ? num(f.range.min) : "−∞"} … ${f.range.max !== undefined ? num(f.range.max) : "∞"}`;
  return <span class="muted">any</span>;
}

/** Renders a metadata value: numbers rounded, objects as key: value lists. */
function MetaValue(props: { value: unknown }) {
  const v = props.value;
  if (typeof v === "number") return <>{num(v, 4)}</>;
  if (v === null || typeof v !== "object") return <>{String(v)}</>;
  if (Array.isArray(v))
    return <>{v.map((x) => (typeof x === "number" ? num(x, 4) : String(x))).join(", ")}</>;
  return (
    <dl class="meta-inner">
      {Object.entries(v as Record<string, unknown>).map(([k, x]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <MetaValue value={x} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Metadata(props: { v: Version }) {
  const entries: [string, unknown][] = [];
  const b = props.v.meta?.bundle;
  if (b?.createdAt) entries.push(["bundled", when(b.createdAt)]);
  for (const [k, x] of Object.entries(b?.metadata ?? {})) entries.push([k, x]);
  for (const [k, x] of Object.entries(props.v.info?.metadata ?? {})) entries.push([k, x]);
  if (entries.length === 0) return <p class="muted">No metadata recorded with this model.</p>;
  return (
    <dl class="meta">
      {entries.map(([k, x]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <MetaValue value={x} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The card and try-it form of one model, for the chosen version (default: the default version). */
export function ModelCard(props: { model: ModelEntry; version?: string }) {
  const m = props.model;
  const v =
    m.versions.find((x) => x.version === props.version) ?? m.versions.find((x) => x.default) ?? m.versions[0];
  if (!v) return <p class="muted">This model has no version.</p>;
  const sig = v.signature;
  const stats = v.meta?.trainingStats;
  return (
    <div class="card" data-model={m.name} data-version={v.version}>
      <header class="card-head">
        <h2>
          {m.name} <span class="muted">version {v.version}</span>
        </h2>
        <nav class="versions" aria-label="versions">
          {m.versions.map((x) => (
            <a
              key={x.version}
              href={`#/models/${encodeURIComponent(m.name)}/${encodeURIComponent(x.version)}`}
              class={x.version === v.version ? "active" : undefined}
            >
              {x.version}
              {x.default ? " (default)" : ""}
            </a>
          ))}
        </nav>
      </header>
      <div class="facts">
        <span>
          <b>task</b> {sig?.output.task ?? v.task ?? "–"}
        </span>
        <span>
          <b>model</b>{" "}
          {v.info
            ? `${v.info.modelType} (${v.info.framework}${v.info.frameworkVersion ? ` ${v.info.frameworkVersion}` : ""})`
            : "–"}
        </span>
        <span>
          <b>format</b> {v.info?.format ?? "–"}
        </span>
        {sig?.output.classes ? (
          <span class="cats">
            <b>classes</b>
            {sig.output.classes.map((c) => (
              <span class="chip" key={String(c)}>
                {label(c)}
              </span>
            ))}
          </span>
        ) : null}
      </div>
      <section>
        <h3>Features</h3>
        {sig ? (
          <div class="table-wrap">
            <table class="features">
              <thead>
                <tr>
                  <th>name</th>
                  <th>type</th>
                  <th>allowed values</th>
                  <th>missing</th>
                  <th>training data</th>
                </tr>
              </thead>
              <tbody>
                {sig.inputs.map((f) => (
                  <tr key={f.name}>
                    <td>
                      <code>{f.name}</code>
                      {f.description ? <div class="muted">{f.description}</div> : null}
                    </td>
                    <td>{typeOf(f)}</td>
                    <td>{allowed(f)}</td>
                    <td>{f.nullable ? "accepted" : "no"}</td>
                    <td>
                      <StatsCell s={stats?.[f.name]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">Not loaded ({v.state}): the signature is known once it loads.</p>
        )}
      </section>
      <section>
        <h3>Metadata</h3>
        <Metadata v={v} />
      </section>
      <section id="try">
        <h3>Try it</h3>
        <TryIt version={v} pinned={props.version !== undefined} />
      </section>
    </div>
  );
}
