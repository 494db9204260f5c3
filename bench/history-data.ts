/**
 * What bench/fill-runs.ts plants in the history it fills and bench/history.ts looks for:
 * the API key, the search terms (each found in a known share of the runs) and the run
 * with 10,000 events. Constants only.
 */

/** The demo workspace's API key (admin) in a filled database. */
export const BENCH_API_KEY = "fd_bench_history_key_0123456789";
export const BENCH_WORKSPACE = "demo";

/** A word in the inputs of one run in 100,000 (10 runs in a million), spread over time. */
export const RARE_TERM = "xylophone";
export const RARE_EVERY = 100_000;
/** A word in the inputs of about a quarter of the runs. */
export const COMMON_TERM = "invoice";
/** A word only inside large inputs or outputs (one in ten of them), far from the start. */
export const LARGE_ONLY_TERM = "zeppelin";
/** The external id of the run with 10,000 events (the newest run of the fill). */
export const LONG_RUN_EXTERNAL_ID = "bench-long-run-10k-events";
export const LONG_RUN_EVENTS = 10_000;
