/**
 * @module One Prometheus exposition out of several worker processes' expositions, so one scrape
 * counts every request whichever worker answered it. Counters and histograms are summed series by
 * series (same name, same labels); gauges and summaries — values of one process (memory, event-loop
 * lag, in-flight requests, drift scores) that a sum would make meaningless — keep one series per
 * worker with a `worker` label.
 */

interface Family {
  help?: string;
  type: string;
  /** Sample key (name + labels) → value, in first-seen order. */
  readonly samples: Map<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\d+)?$/;

/** The family a sample name belongs to (histogram and summary parts share their family's name). */
function familyOf(name: string, families: Map<string, Family>): string {
  if (families.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count", "_created"]) {
    if (name.endsWith(suffix) && families.has(name.slice(0, -suffix.length)))
      return name.slice(0, -suffix.length);
  }
  return name;
}

const withWorker = (labels: string | undefined, worker: number): string =>
  labels === undefined || labels === "{}"
    ? `{worker="${worker}"}`
    : `${labels.slice(0, -1)},worker="${worker}"}`;

/** Prometheus sample value text (integers stay integers; `+Inf`, `NaN` spelled as Prometheus does). */
function valueText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/**
 * Merges the text expositions of workers (`worker` is each one's index) into one. Families keep the
 * order in which they first appear; a sample whose value cannot be parsed is dropped, not guessed.
 */
export function mergeExpositions(
  parts: readonly { readonly worker: number; readonly text: string }[],
): string {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { type: "untyped", samples: new Map() };
      families.set(name, f);
    }
    return f;
  };
  for (const { worker, text } of parts) {
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (line.startsWith("#")) {
        const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
        if (!m) continue;
        const f = family(m[2]!);
        if (m[1] === "HELP") f.help ??= m[3];
        else f.type = m[3]!;
        continue;
      }
      const m = SAMPLE.exec(line);
      if (!m) continue;
      const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
      if (Number.isNaN(value) && m[3] !== "NaN") continue;
      const f = family(familyOf(m[1]!, families));
      const summed = f.type === "counter" || f.type === "histogram";
      const key = summed ? `${m[1]}${m[2] ?? ""}` : `${m[1]}${withWorker(m[2], worker)}`;
      f.samples.set(key, summed ? (f.samples.get(key) ?? 0) + value : value);
    }
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== undefined) out.push(`# HELP ${name} ${f.help}`);
    out.push(`# TYPE ${name} ${f.type}`);
    for (const [key, v] of f.samples) out.push(`${key} ${valueText(v)}`);
  }
  return `${out.join("\n")}\n`;
}
