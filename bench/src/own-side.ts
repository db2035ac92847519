// Our side of a figure, one round per process: spawns own-side-main.js as the C program is spawned per round, and checks what it reports.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoopCounts } from './kernel-ref.js';

/**
 * The figures each of whose rounds is a fresh process: those whose other side is the C program, and mmio_off, whose
 * round measures both of its sides in its process (which of them V8 compiles better is the process's, as in C).
 */
export const OWN_SIDE_FIGURES = ['mmio_on', 'read_path', 'open_close', 'mmio_off'] as const;
export type OwnSideFigure = (typeof OWN_SIDE_FIGURES)[number];

/** What one round's process prints, as one JSON line. */
export interface OwnSideRound {
  readonly id: OwnSideFigure;
  /** ns per operation over the timed loops (see perOp). */
  readonly ns: number;
  /** read_path only: ns per 32-bit hi-lo-hi read, timed in the same process after the readq loops. */
  readonly hilohiNs?: number;
  /** mmio_off only: ns per raw DataView read (ns is readl's), each the median of the round's alternating pairs, and the median of their ratios. */
  readonly rawNs?: number;
  readonly ratio?: number;
  /** The process that measured it (each round's is new). */
  readonly pid: number;
}

export const OWN_SIDE_MAIN = join(dirname(fileURLToPath(import.meta.url)), 'own-side-main.js');

/**
 * One round of our side of `id` in a new node process with the same flags
 * every time (--expose-gc, and no NODE_OPTIONS from the environment): it sets up,
 * runs the same untimed warm-up and the timed loops, and nothing else ran
 * in it before. A figure measured after others in one process depended on
 * what they left alive (see perOp).
 */
export function ownSideRound(id: OwnSideFigure, counts: LoopCounts): OwnSideRound {
  const args = ['--expose-gc', OWN_SIDE_MAIN, id, String(counts.n), String(counts.loops), String(counts.warmLoops)];
  // NODE_OPTIONS would add flags to every round the bench's own command line does not show.
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000, env });
  if (r.status !== 0) {
    // A child that could not start at all has no output (null), only r.error.
    const why = (r.stderr ?? '').trim() || String(r.error ?? r.signal);
    throw new Error(`our side of ${id}, measured in a process of its own, failed (exit ${r.status ?? r.signal}): ${why}`);
  }
  return parseOwnSideRound(id, r.stdout);
}

/** The round a process printed for `id` (its last line), refused unless it is one whole, positive measurement of that figure. */
export function parseOwnSideRound(id: OwnSideFigure, stdout: string): OwnSideRound {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  let v: Partial<Record<keyof OwnSideRound, unknown>>;
  try {
    v = JSON.parse(last) as typeof v;
  } catch {
    throw new Error(`our side of ${id} printed no result line: ${JSON.stringify(stdout.slice(-200))}`);
  }
  const positive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (v.id !== id) throw new Error(`our side of ${id} reported a round of ${JSON.stringify(v.id)}`);
  if (!positive(v.ns)) throw new Error(`our side of ${id} reported ${JSON.stringify(v.ns)} ns per operation, not a positive number`);
  if (id === 'read_path' && !positive(v.hilohiNs)) throw new Error(`our side of read_path reported no hi-lo-hi read time (${JSON.stringify(v.hilohiNs)})`);
  if (id === 'mmio_off' && !(positive(v.rawNs) && positive(v.ratio))) {
    throw new Error(`our side of mmio_off reported no raw read time or ratio (${JSON.stringify(v.rawNs)}, ${JSON.stringify(v.ratio)})`);
  }
  if (!Number.isSafeInteger(v.pid)) throw new Error(`our side of ${id} did not say which process measured it`);
  const raw = positive(v.rawNs) && positive(v.ratio) ? { rawNs: v.rawNs, ratio: v.ratio } : {};
  return { id, ns: v.ns, ...(positive(v.hilohiNs) ? { hilohiNs: v.hilohiNs } : {}), ...raw, pid: v.pid as number };
}
