// One figure of bench/results.json: what was measured, its value (a median), its spread, the target it is held to, and whether it is met.
import type { Spread } from './stats.js';

export interface Figure {
  readonly id: string;
  /** What is measured, against what. */
  readonly figure: string;
  /** The median the target is checked against; null when it cannot be measured here. */
  readonly value: number | null;
  readonly unit: string;
  /** The target, as the project states it. */
  readonly target: string;
  /** The bound the value is held to, and which side of it meets the target. */
  readonly limit: number;
  readonly better: 'lower' | 'higher';
  /** Met, missed, or null (not measurable here). */
  readonly met: boolean | null;
  /** The value's distribution over its runs (ratios: one per alternating pair). */
  readonly spread: Spread | null;
  /** The two sides of a ratio, or the quantities behind the value, as medians: for the README's "measured" column. */
  readonly measured: string;
  readonly detail?: Readonly<Record<string, number | string | null>>;
}

export interface FigureInput {
  readonly id: string;
  readonly figure: string;
  readonly unit: string;
  readonly target: string;
  readonly limit: number;
  readonly better?: 'lower' | 'higher';
  readonly spread: Spread | null;
  readonly measured: string;
  /** A further condition for met beyond the median (e.g. stability); given the spread. */
  readonly alsoRequires?: (s: Spread) => boolean;
  readonly detail?: Readonly<Record<string, number | string | null>>;
}

const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x * 10) / 10 : Math.round(x * 1000) / 1000);

/** Build a figure: value is the spread's median, met compares it (and any further condition) with the limit. */
export function figure(i: FigureInput): Figure {
  const better = i.better ?? 'lower';
  const s =
    i.spread === null
      ? null
      : { ...i.spread, min: round(i.spread.min), q1: round(i.spread.q1), median: round(i.spread.median), q3: round(i.spread.q3), max: round(i.spread.max) };
  const value = s === null ? null : s.median;
  const within = (x: number) => (better === 'lower' ? x <= i.limit : x >= i.limit);
  const met = s === null || value === null ? null : within(value) && (i.alsoRequires ? i.alsoRequires(s) : true);
  return {
    id: i.id,
    figure: i.figure,
    value,
    unit: i.unit,
    target: i.target,
    limit: i.limit,
    better,
    met,
    spread: s,
    measured: i.measured,
    ...(i.detail ? { detail: i.detail } : {}),
  };
}

/** Nanoseconds as the README shows them: ns below 10 µs, then µs or ms. */
export function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns < 10 ? ns.toFixed(2) : ns.toFixed(1)} ns`;
}
