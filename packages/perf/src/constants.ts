// The perf ABI's numbers: PMU types, add/start/stop flags, hw states, read_format bits, PMU capabilities and event states.
/** Fixed perf types; dynamic PMUs get ids from PERF_TYPE_MAX up. */
export const PERF_TYPE = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;
export const PERF_TYPE_MAX = 6;

/** Flags to add/start/stop. */
export const PERF_EF_START = 0x1;
export const PERF_EF_RELOAD = 0x2;
export const PERF_EF_UPDATE = 0x4;

/** hw.state bits. */
export const PERF_HES_STOPPED = 0x1;
export const PERF_HES_UPTODATE = 0x2;
export const PERF_HES_ARCH = 0x4;

/** read_format bits. */
export const PERF_FORMAT_TOTAL_TIME_ENABLED = 1 << 0;
export const PERF_FORMAT_TOTAL_TIME_RUNNING = 1 << 1;
export const PERF_FORMAT_ID = 1 << 2;
export const PERF_FORMAT_GROUP = 1 << 3;

/** PMU capabilities (this emulation's own bit values; the kernel's vary by version). */
export const PERF_PMU_CAP_NO_INTERRUPT = 1 << 0;
export const PERF_PMU_CAP_NO_EXCLUDE = 1 << 1;
export const PERF_PMU_CAP_EXTENDED_REGS = 1 << 2;
/** One event at a time on the PMU (exclusive-event accounting on open and free). */
export const PERF_PMU_CAP_EXCLUSIVE = 1 << 3;

/** Event states, as in the kernel. */
export const PERF_EVENT_STATE = { DEAD: -5, REVOKED: -4, EXIT: -3, ERROR: -2, OFF: -1, INACTIVE: 0, ACTIVE: 1 } as const;
export type PerfEventState = (typeof PERF_EVENT_STATE)[keyof typeof PERF_EVENT_STATE];

export function stateName(s: number): string {
  for (const [k, v] of Object.entries(PERF_EVENT_STATE)) if (v === s) return k;
  return `state(${s})`;
}

/** Software event configs (PERF_TYPE_SOFTWARE). */
export const PERF_COUNT_SW = { CPU_CLOCK: 0, TASK_CLOCK: 1 } as const;

/** Default rotation interval: 1000/HZ ms at HZ=250. */
export const PERF_DEFAULT_MUX_INTERVAL_MS = 4;
