/**
 * @module Try it: a form generated from the model's signature (selects for categories, number inputs
 * with the known ranges, text areas for text and tensors), prefilled with a realistic example. The
 * server validates; its messages are shown on the fields they name. The answer shows class
 * probabilities as bars and, when the server has an `/explain` route, contributions as a waterfall.
 */

import { useEffect, useState } from "preact/hooks";
import { ApiError, api, modelPath } from "./api.ts";
import { exampleRow } from "./example.ts";
import { label, num, pct } from "./format.ts";
import type { Explanation, Feature, FieldIssue, Label, Prediction, Version } from "./types.ts";

type FormState = Record<string, string>;

/** The editable text of an example value. */
function toText(f: Feature, v: unknown): string {
  if (v === null || v === undefined) return "";
  if (f.dtype === "category") {
    const i = (f.categories ?? []).indexOf(v as Label);
    return i >= 0 ? String(i) : "";
  }
  if (f.dtype === "tensor") return JSON.stringify(v);
  return String(v);
}

/**
 * The value sent for a field. Text that is not a number is sent as it is: the server's validation
 * then names the field and the problem, exactly as a client would see it.
 */
function fromText(f: Feature, text: string): unknown {
  switch (f.dtype) {
    case "float":
    case "int": {
      if (text.trim() === "") return null;
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case "bool":
      return text === "true";
    case "category":
      return text === "" ? null : (f.categories ?? [])[Number(text)];
    case "string":
      return text;
    case "tensor":
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
  }
}

/** Issues that belong to a feature: its own path, or a path inside it (`x[2]`). */
const issuesOf = (issues: readonly FieldIssue[], name: string) =>
  issues.filter((i) => i.field === name || i.field.startsWith(`${name}[`) || i.field.startsWith(`${name}.`));

function FieldInput(props: { f: Feature; value: string; onInput: (v: string) => void; invalid: boolean }) {
  const { f, value, onInput, invalid } = props;
  const id = `f-${f.name}`;
  const common = {
    id,
    name: f.name,
    "aria-invalid": invalid ? ("true" as const) : undefined,
    "aria-describedby": invalid ? `${id}-error` : undefined,
  };
  switch (f.dtype) {
    case "category":
      return (
        <select {...common} value={value} onChange={(e) => onInput((e.target as HTMLSelectElement).value)}>
          {f.nullable ? <option value="">(missing)</option> : null}
          {(f.categories ?? []).map((c, i) => (
            <option key={String(c)} value={String(i)}>
              {label(c)}
            </option>
          ))}
        </select>
      );
    case "bool":
      return (
        <input
          {...common}
          type="checkbox"
          checked={value === "true"}
          onChange={(e) => onInput((e.target as HTMLInputElement).checked ? "true" : "false")}
        />
      );
    case "string":
    case "tensor":
      return (
        <textarea
          {...common}
          rows={f.dtype === "tensor" ? 3 : 2}
          value={value}
          onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
        />
      );
    default:
      return (
        <input
          {...common}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          value={value}
          placeholder={f.nullable ? "empty = missing" : undefined}
          onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        />
      );
  }
}

function rangeHint(f: Feature): string {
  const parts: string[] = [f.dtype];
  if (f.range?.min !== undefined || f.range?.max !== undefined)
    parts.push(
      `${f.range?.min !== undefined ? num(f.range.min) : "−∞"} … ${f.range?.max !== undefined ? num(f.range.max) : "∞"}`,
    );
  if (f.nullable) parts.push("may be missing");
  return parts.join(" · ");
}

/** Probabilities as horizontal bars, the predicted class highlighted. */
export function ProbabilityBars(props: {
  probabilities: Readonly<Record<string, number>>;
  predicted: unknown;
}) {
  const entries = Object.entries(props.probabilities);
  return (
    <figure class="bars" aria-label="class probabilities" data-chart="probabilities">
      <figcaption>Class probabilities</figcaption>
      {entries.map(([cls, p]) => (
        <div class={`bar-row${String(props.predicted) === cls ? " predicted" : ""}`} key={cls}>
          <span class="bar-label">{cls}</span>
          <span class="bar-track">
            <span class="bar-fill" style={{ width: `${Math.max(0, Math.min(1, p)) * 100}%` }} />
          </span>
          <span class="bar-value">{pct(p)}</span>
        </div>
      ))}
    </figure>
  );
}

/** Picks one output's contributions: the predicted class's, when the answer is per class. */
function oneOutput(
  e: Explanation,
  predicted: unknown,
): { base: number; contributions: [string, number][] } | null {
  const values = Object.values(e.contributions);
  if (values.length === 0) return null;
  if (typeof values[0] === "number" && typeof e.base_value === "number")
    return { base: e.base_value, contributions: Object.entries(e.contributions as Record<string, number>) };
  const perClass = e.contributions as Record<string, Record<string, number>>;
  const cls = String(predicted) in perClass ? String(predicted) : Object.keys(perClass)[0];
  const base = typeof e.base_value === "number" ? e.base_value : (e.base_value[cls] ?? 0);
  return { base, contributions: Object.entries(perClass[cls] ?? {}) };
}

/** Contributions as a waterfall: from the base value, each feature moves the output up or down. */
export function Waterfall(props: { explanation: Explanation; predicted: unknown }) {
  const o = oneOutput(props.explanation, props.predicted);
  if (!o) return null;
  const sorted = [...o.contributions].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  let cum = o.base;
  const steps = sorted.map(([name, c]) => {
    const from = cum;
    cum += c;
    return { name, c, from, to: cum };
  });
  const all = [o.base, ...steps.map((s) => s.to)];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  const x = (v: number) => ((v - lo) / span) * 100;
  return (
    <figure class="waterfall" aria-label="feature contributions" data-chart="waterfall">
      <figcaption>
        Feature contributions
        {typeof props.explanation.base_value === "number" ? "" : ` to ${label(props.predicted)}`}
        {props.explanation.output_space ? ` (${props.explanation.output_space})` : ""}
      </figcaption>
      <div class="wf-row base">
        <span class="bar-label">base value</span>
        <span class="bar-track">
          <span class="wf-mark" style={{ left: `${x(o.base)}%` }} />
        </span>
        <span class="bar-value">{num(o.base)}</span>
      </div>
      {steps.map((s) => (
        <div class="wf-row" key={s.name}>
          <span class="bar-label">{s.name}</span>
          <span class="bar-track">
            <span
              class={`wf-step ${s.c >= 0 ? "up" : "down"}`}
              style={{
                left: `${x(Math.min(s.from, s.to))}%`,
                width: `${Math.max(0.5, (Math.abs(s.c) / span) * 100)}%`,
              }}
            />
          </span>
          <span class="bar-value">
            {s.c >= 0 ? "+" : "−"}
            {num(Math.abs(s.c))}
          </span>
        </div>
      ))}
      <div class="wf-row total">
        <span class="bar-label">output</span>
        <span class="bar-track">
          <span class="wf-mark" style={{ left: `${x(cum)}%` }} />
        </span>
        <span class="bar-value">{num(cum)}</span>
      </div>
    </figure>
  );
}

/** The try-it panel of one version. */
export function TryIt(props: { version: Version; pinned: boolean }) {
  const v = props.version;
  const sig = v.signature;
  const initial = (): FormState => {
    if (!sig) return {};
    const row = exampleRow(sig.inputs, v.meta?.trainingStats);
    return Object.fromEntries(sig.inputs.map((f) => [f.name, toText(f, row[f.name])]));
  };
  const [form, setForm] = useState<FormState>(initial);
  const [issues, setIssues] = useState<readonly FieldIssue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<Prediction | null>(null);
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setForm(initial());
    setAnswer(null);
    setExplanation(null);
    setIssues([]);
    setError(null);
  }, [v.name, v.version]);
  if (!sig) return <p class="muted">This version is not loaded; its schema is unknown.</p>;
  const base = modelPath(v.name, props.pinned ? v.version : undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    const row = Object.fromEntries(sig.inputs.map((f) => [f.name, fromText(f, form[f.name] ?? "")]));
    setBusy(true);
    setIssues([]);
    setError(null);
    try {
      const res = await api<Prediction>(`${base}/predict`, { method: "POST", body: row });
      setAnswer(res);
      setExplanation(null);
      try {
        setExplanation(await api<Explanation>(`${base}/explain`, { method: "POST", body: row }));
      } catch {
        // No explanation route on this server, or none for this model: the panel is simply not shown.
      }
    } catch (err) {
      setAnswer(null);
      setExplanation(null);
      if (err instanceof ApiError) {
        const list = (err.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
        setIssues(list);
        const unplaced = list.filter((i) => !sig.inputs.some((f) => issuesOf([i], f.name).length > 0));
        setError(list.length === 0 || unplaced.length > 0 ? `${err.message} [${err.code}]` : null);
      } else setError(String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="tryit">
      <form class="tryit-form" onSubmit={submit} noValidate aria-label="prediction input">
        {sig.inputs.map((f) => {
          const mine = issuesOf(issues, f.name);
          return (
            <div class={`field${mine.length > 0 ? " has-error" : ""}`} key={f.name} data-field={f.name}>
              <label for={`f-${f.name}`}>
                {f.name}
                <small class="muted">{rangeHint(f)}</small>
              </label>
              <FieldInput
                f={f}
                value={form[f.name] ?? ""}
                invalid={mine.length > 0}
                onInput={(val) => setForm({ ...form, [f.name]: val })}
              />
              {mine.length > 0 ? (
                <div class="field-error" id={`f-${f.name}-error`} role="alert">
                  {mine.map((i) => i.message).join("; ")}
                </div>
              ) : null}
            </div>
          );
        })}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Predicting…" : "Predict"}
          </button>
          <button type="button" class="secondary" onClick={() => setForm(initial())}>
            Reset to example
          </button>
        </div>
        {error ? (
          <div class="error" role="alert">
            {error}
          </div>
        ) : null}
      </form>
      <div class="tryit-answer" aria-live="polite">
        {answer ? (
          <>
            <div class="answer">
              <span class="muted">
                {answer.model}@{answer.version} answers
              </span>
              <output class="prediction" data-testid="prediction">
                {label(answer.prediction)}
              </output>
            </div>
            {answer.probabilities ? (
              <ProbabilityBars probabilities={answer.probabilities} predicted={answer.prediction} />
            ) : null}
            {explanation ? <Waterfall explanation={explanation} predicted={answer.prediction} /> : null}
          </>
        ) : (
          <p class="muted">Submit the form to see the model's answer.</p>
        )}
      </div>
    </div>
  );
}
