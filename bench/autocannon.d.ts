// Types for the part of autocannon 9 the hand-over benchmark uses (the package ships none).
// Only what bench/handover.ts reads: a wrong field here would be a silent zero there.
declare module 'autocannon' {
  export interface Percentiles {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
  }

  export interface Options {
    url: string;
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    timeout?: number;
    /**
     * Milliseconds between samples (1000 by default). A run stops at the first sample after its
     * duration: quick mode's half-second runs need a shorter one.
     */
    sampleInt?: number;
    warmup?: { connections?: number; duration?: number };
  }

  export interface Result {
    /** Seconds actually run. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    /** Milliseconds. */
    latency: Percentiles;
    /** Requests per second, sampled each second. */
    requests: Percentiles & { total: number; sent: number };
  }

  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
