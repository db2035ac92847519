// Workload descriptions: phases of event streams per PMU, compiled into rate functions by device, event code and filter.
import { compileGlob, type GlobMatcher, kerr } from '@cspmu/kernel';
import { ConstantRate, PhasedRate, type RateFunction, ZERO_RATE } from './rate-function.js';
import { compileSchema, NUMBERISH, toNumber, validateOrThrow } from './schema.js';

/** One source of events in a phase. */
export interface StreamSpec {
  /** Device label or glob (`scf*`, `pcie1`). */
  readonly pmu: string;
  /** Event code as programmed in PMEVTYPER (number or "0x…"). */
  readonly event: number | string;
  /** Events per second, whatever the filter. */
  readonly rate?: number;
  /** Events per second per port: filter bit i (PMEVFILTR) selects ports[i]. */
  readonly ports?: readonly number[];
}

export interface PhaseSpec {
  readonly name?: string;
  readonly durationNs: number;
  readonly streams: readonly StreamSpec[];
}

export interface WorkloadSpec {
  readonly name: string;
  readonly description?: string;
  /** Repeat the phases forever (default); otherwise the last phase goes on. */
  readonly repeat?: boolean;
  readonly phases: readonly PhaseSpec[];
}

const RATE = { type: 'number', minimum: 0, maximum: 1e13 } as const;

const validateWorkload = compileSchema({
  type: 'object',
  additionalProperties: false,
  required: ['name', 'phases'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    repeat: { type: 'boolean' },
    phases: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['durationNs', 'streams'],
        properties: {
          name: { type: 'string' },
          durationNs: { type: 'integer', minimum: 1, maximum: 1e15 },
          streams: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['pmu', 'event'],
              properties: {
                pmu: { type: 'string', minLength: 1 },
                event: NUMBERISH,
                rate: RATE,
                ports: { type: 'array', maxItems: 32, items: RATE },
              },
            },
          },
        },
      },
    },
  },
});

/** What a counter is programmed with, as the workload needs it. */
export interface CounterSelection {
  readonly label: string;
  readonly event: number;
  readonly filter: number;
  readonly filter2: number;
}

interface CompiledStream {
  readonly pmu: GlobMatcher;
  readonly event: number;
  readonly rate: number;
  readonly ports: readonly number[] | undefined;
}

/**
 * A deterministic workload: phases of fixed length, each with event rates
 * per PMU (by label), event code and filter value. A counter's events are a
 * RateFunction of virtual time, so counting is lazy and exact.
 */
export class Workload {
  private readonly phases: { durationNs: number; streams: CompiledStream[] }[];
  readonly name: string;
  readonly repeat: boolean;

  constructor(readonly spec: WorkloadSpec) {
    validateOrThrow(validateWorkload, spec, `workload '${(spec as { name?: string })?.name ?? '?'}'`);
    this.name = spec.name;
    this.repeat = spec.repeat ?? true;
    this.phases = spec.phases.map((p, i) => ({
      durationNs: p.durationNs,
      streams: p.streams.map((s, j) => {
        if ((s.rate === undefined) === (s.ports === undefined)) {
          throw kerr('EINVAL', `workload '${spec.name}': phases.${i}.streams.${j}: give exactly one of 'rate' or 'ports'`);
        }
        return { pmu: compileGlob(s.pmu), event: toNumber(s.event, `phases.${i}.streams.${j}.event`), rate: s.rate ?? 0, ports: s.ports };
      }),
    }));
  }

  /** Events per second in phase `i` for a counter so programmed. */
  rateIn(i: number, sel: CounterSelection): number {
    let r = 0;
    for (const s of this.phases[i]!.streams) {
      if (s.event !== sel.event || !s.pmu.test(sel.label)) continue;
      if (s.ports === undefined) {
        r += s.rate;
      } else {
        for (let bit = 0; bit < s.ports.length; bit++) if ((sel.filter >>> bit) & 1) r += s.ports[bit]!;
      }
    }
    return r;
  }

  /** The cumulative event count function for a counter so programmed. */
  resolve(sel: CounterSelection): RateFunction {
    const rates = this.phases.map((_, i) => this.rateIn(i, sel));
    if (rates.every((r) => r === 0)) return ZERO_RATE;
    if (rates.every((r) => r === rates[0])) return new ConstantRate(rates[0]!);
    return new PhasedRate(
      this.phases.map((p) => p.durationNs),
      rates,
      this.repeat,
    );
  }

  /** Exact expected count for a counter enabled over [t0, t1) with this selection. */
  expected(sel: CounterSelection, t0: number, t1: number): number {
    const f = this.resolve(sel);
    return f.at(t1) - f.at(t0);
  }
}

/** A workload with no traffic: only cycle counters move. */
export const IDLE_WORKLOAD: WorkloadSpec = { name: 'idle', phases: [{ durationNs: 1_000_000_000, streams: [] }] };
