/**
 * @module The live view: prediction rate, latency percentiles, error rate by code, prediction
 * distribution, drift PSI per feature against its threshold, and shadow disagreement, from short
 * polls of `/stats`, `/metrics` and `/models` over the last five minutes.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api, apiText } from "./api.ts";
import { TimeChart } from "./chart.tsx";
import { ms, num, pct, psi, rate, seconds } from "./format.ts";
import { errorCounts } from "./metrics-text.ts";
import type { ModelList, Stats } from "./types.ts";

/** Seconds between polls. */
export const POLL_SECONDS = 2;
/** Points kept: five minutes. */
const KEEP = (5 * 60) / POLL_SECONDS;

interface Sample {
  readonly t: number;
  readonly stats: Stats;
  readonly errors: ReadonlyMap<string, number> | null;
  readonly models: ModelList | null;
}

// History outlives the view, so switching tabs does not empty the charts.
const history: Sample[] = [];

const total = (s: Stats, k: "requests" | "errors") => s.models.reduce((a, m) => a + m[k], 0);

/** Per-second rates between consecutive samples; the first point has none. */
function rates(samples: readonly Sample[], value: (s: Sample) => number | undefined): (number | null)[] {
  return samples.map((s, i) => {
    if (i === 0) return null;
    const a = value(samples[i - 1]);
    const b = value(s);
    if (a === undefined || b === undefined) return null;
    return Math.max(0, b - a) / Math.max(1e-3, s.t - samples[i - 1].t);
  });
}

function DriftTable(props: { stats: Stats }) {
  const d = props.stats.drift;
  if (!d) return <p class="muted">Drift monitoring is off.</p>;
  const rows = d.models.flatMap((m) =>
    Object.entries(m.features).map(([f, s]) => ({ key: `${m.model}@${m.version}/${f}`, m, f, s })),
  );
  if (rows.length === 0)
    return <p class="muted">No version has training statistics to compare against (bundles carry them).</p>;
  return (
    <div class="table-wrap">
      <table data-testid="drift">
        <thead>
          <tr>
            <th>model</th>
            <th>feature</th>
            <th class="n">PSI</th>
            <th class="n">threshold</th>
            <th class="n">rows in window</th>
            <th>status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ key, m, f, s }) => (
            <tr key={key}>
              <td>
                {m.model}@{m.version}
              </td>
              <td>{f === "$prediction" ? <i>predictions</i> : <code>{f}</code>}</td>
              <td class="n">{psi(s.psi)}</td>
              <td class="n">{num(d.threshold)}</td>
              <td class="n">{s.window}</td>
              <td>
                {s.psi === null ? (
                  <span class="muted">collecting</span>
                ) : s.psi > d.threshold ? (
                  <span class="bad">drifting</span>
                ) : (
                  <span class="ok">stable</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Distribution(props: { counts: Readonly<Record<string, number>> }) {
  const entries = Object.entries(props.counts).sort((a, b) => b[1] - a[1]);
  const sum = entries.reduce((a, e) => a + e[1], 0);
  if (sum === 0) return <p class="muted">No classified prediction yet.</p>;
  return (
    <div class="bars" data-chart="prediction distribution">
      {entries.map(([cls, n]) => (
        <div class="bar-row" key={cls}>
          <span class="bar-label">{cls}</span>
          <span class="bar-track">
            <span class="bar-fill" style={{ width: `${(n / sum) * 100}%` }} />
          </span>
          <span class="bar-value">
            {pct(n / sum)} <span class="muted">({n})</span>
          </span>
        </div>
      ))}
    </div>
  );
}

function ShadowTable(props: { models: ModelList | null }) {
  const rows = (props.models?.models ?? []).filter((m) => m.shadow);
  if (rows.length === 0) return <p class="muted">No shadow version is set.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>model</th>
          <th>shadow</th>
          <th class="n">rows compared</th>
          <th class="n">disagreement</th>
          <th class="n">errors</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m) => {
          const s = m.shadow!;
          return (
            <tr key={m.name}>
              <td>{m.name}</td>
              <td>{s.version}</td>
              <td class="n">{s.rows ?? 0}</td>
              <td class="n">{s.rows ? pct((s.disagreements ?? 0) / s.rows) : "–"}</td>
              <td class="n">{s.errors ?? 0}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The live view. */
export function Live() {
  const [samples, setSamples] = useState<readonly Sample[]>(() => [...history]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string>("");

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const [stats, metrics, models] = await Promise.all([
          api<Stats>("/stats"),
          apiText("/metrics").catch(() => null),
          api<ModelList>("/models").catch(() => null),
        ]);
        history.push({
          t: Date.now() / 1000,
          stats,
          errors: metrics === null ? null : errorCounts(metrics),
          models,
        });
        if (history.length > KEEP) history.splice(0, history.length - KEEP);
        if (!stopped) {
          setSamples([...history]);
          setError(null);
        }
      } catch (err) {
        if (!stopped) setError(err instanceof ApiError ? `${err.message} [${err.code}]` : String(err));
      }
      if (!stopped) timer = setTimeout(poll, POLL_SECONDS * 1000);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const last = samples[samples.length - 1];
  const versions = last ? last.stats.models.map((m) => `${m.model}@${m.version}`) : [];
  const busiest = last ? [...last.stats.models].sort((a, b) => b.requests - a.requests)[0] : undefined;
  const current = versions.includes(selected)
    ? selected
    : busiest
      ? `${busiest.model}@${busiest.version}`
      : "";

  const times = useMemo(() => samples.map((s) => s.t), [samples]);
  const traffic = useMemo(
    () => [
      times,
      rates(samples, (s) => total(s.stats, "requests")),
      rates(samples, (s) => total(s.stats, "errors")),
    ],
    [samples],
  );
  const latency = useMemo(() => {
    const of = (s: Sample) => s.stats.models.find((m) => `${m.model}@${m.version}` === current)?.latencyMs;
    return [
      times,
      samples.map((s) => of(s)?.p50 ?? null),
      samples.map((s) => of(s)?.p95 ?? null),
      samples.map((s) => of(s)?.p99 ?? null),
    ];
  }, [samples, current]);
  const codes = useMemo(() => {
    const set = new Set<string>();
    for (const s of samples) for (const c of s.errors?.keys() ?? []) set.add(c);
    return [...set].sort();
  }, [samples]);
  const errorData = useMemo(
    () => [
      times,
      ...codes.map((c) => rates(samples, (s) => (s.errors ? (s.errors.get(c) ?? 0) : undefined))),
    ],
    [samples, codes],
  );

  if (!last) return <p class="muted">{error ?? "Collecting the first sample…"}</p>;
  const stat = last.stats.models.find((m) => `${m.model}@${m.version}` === current);
  const reqRate = traffic[1][traffic[1].length - 1];
  const errRate = traffic[2][traffic[2].length - 1];

  return (
    <div class="live">
      {error ? (
        <div class="error" role="alert">
          {error}
        </div>
      ) : null}
      <div class="kpis">
        <div class="kpi">
          <span class="muted">predictions</span>
          <b data-kpi="rate">{rate(reqRate)}</b>
        </div>
        <div class="kpi">
          <span class="muted">errors</span>
          <b>{rate(errRate)}</b>
        </div>
        <div class="kpi">
          <span class="muted">p50 / p95 / p99</span>
          <b>
            {ms(stat?.latencyMs.p50)} / {ms(stat?.latencyMs.p95)} / {ms(stat?.latencyMs.p99)}
          </b>
        </div>
        <div class="kpi">
          <span class="muted">uptime</span>
          <b>{seconds(last.stats.uptimeSeconds)}</b>
        </div>
        <label class="kpi">
          <span class="muted">version</span>
          <select value={current} onChange={(e) => setSelected((e.target as HTMLSelectElement).value)}>
            {versions.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="charts">
        <TimeChart
          title="Requests per second"
          series={["predictions", "errors"]}
          data={traffic}
          format={(v) => rate(v)}
        />
        <TimeChart
          title={`Latency of ${current || "–"}`}
          series={["p50", "p95", "p99"]}
          data={latency}
          format={(v) => ms(v)}
        />
        {codes.length > 0 ? (
          <TimeChart
            title="Errors per second by code"
            series={codes}
            data={errorData}
            format={(v) => rate(v)}
          />
        ) : (
          <figure class="chart">
            <figcaption>Errors per second by code</figcaption>
            <p class="muted">No error answered since the server started.</p>
          </figure>
        )}
        <figure class="chart">
          <figcaption>Predictions of {current || "–"} since start</figcaption>
          <Distribution counts={stat?.predictions ?? {}} />
        </figure>
      </div>
      <section>
        <h3>Drift (population stability index per feature)</h3>
        <DriftTable stats={last.stats} />
      </section>
      <section>
        <h3>Shadow traffic</h3>
        <ShadowTable models={last.models} />
      </section>
    </div>
  );
}
