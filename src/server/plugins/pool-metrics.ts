/**
 * @module Prometheus series of the inference pool: its threads, how many are running a call, the calls
 * waiting for one, the model versions bound on them, calls run, threads replaced after a crash and
 * times the threads were stopped for want of calls.
 */

import type { InferencePool } from "../../inference/pool/inference-pool.ts";
import type { MetricsCollector } from "../../observability/metrics.ts";

/** The collector of an inference pool. */
export function poolCollector(pool: InferencePool): MetricsCollector {
  return (out, p) => {
    const s = pool.stats();
    const series: [string, "gauge" | "counter", string, number][] = [
      [
        "inference_pool_threads",
        "gauge",
        "Threads of the inference pool (0 until a first call, or a model forced onto it, starts them)",
        s.threads,
      ],
      ["inference_pool_busy_threads", "gauge", "Pool threads running a model call", s.busy],
      ["inference_pool_queue_depth", "gauge", "Model calls waiting for a free pool thread", s.queued],
      ["inference_pool_models", "gauge", "Model versions bound on the pool's threads", s.models],
      ["inference_pool_calls_total", "counter", "Model calls answered by the pool's threads", s.calls],
      [
        "inference_pool_threads_replaced_total",
        "counter",
        "Pool threads replaced after they stopped (crash, out of memory)",
        s.replaced,
      ],
      [
        "inference_pool_threads_retired_total",
        "counter",
        "Times the pool's threads were stopped after inferenceThreadIdleMs without a call",
        s.retired,
      ],
    ];
    for (const [name, type, help, value] of series)
      out.push(`# HELP ${p}${name} ${help}`, `# TYPE ${p}${name} ${type}`, `${p}${name} ${value}`);
  };
}
