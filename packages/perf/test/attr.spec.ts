// normalizeAttr against the rules it implements, field by field, on seeded random attrs of good and bad values.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import fc from 'fast-check';
import { type FullAttr, normalizeAttr, type PerfEventAttr } from '../src/attr.js';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261123);

const U64_MAX = (1n << 64n) - 1n;
const KNOWN_READ_FORMAT = 0xf;
const U64S = ['config1', 'config2', 'config3'] as const;
const UINTS = ['sample_period', 'sample_freq'] as const;
const BOOLS = [
  'freq',
  'disabled',
  'pinned',
  'exclusive',
  'inherit',
  'exclude_user',
  'exclude_kernel',
  'exclude_hv',
  'exclude_idle',
  'exclude_host',
  'exclude_guest',
] as const;

// Each pool mixes what the field takes with what it refuses (wrong type, out of range, not whole, the edges).
const TYPES = [undefined, 0, 6, 0xffffffff, 2 ** 32, -1, -0, 1.5, Number.NaN, '6', 6n];
const U64_VALUES = [undefined, null, 0n, 1n, 0x1234n, 1n << 32n, U64_MAX, 1n << 64n, -1n, -(1n << 64n), 5, '1'];
const UINT_VALUES = [undefined, null, 0, -0, 7, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -1, 1.5, Number.POSITIVE_INFINITY, '1', 1n];
const READ_FORMATS = [undefined, 0, 1, 0xf, 0x10, 1 << 9, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, -1, 0.5, '1'];
const BOOL_VALUES = [undefined, true, false, 0, 1, 'true', null];

type Outcome = { attr: FullAttr } | { field: string };

/** The rules as the kernel applies them, in its order: the first bad field names the error. */
function expected(a: Record<string, unknown>): Outcome {
  const type = a['type'];
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 0xffffffff) return { field: 'type' };
  const u64 = (v: unknown) => (v === undefined ? 0n : typeof v === 'bigint' && v >= 0n && v <= U64_MAX ? v : undefined);
  const uint = (v: unknown) => (v === undefined ? 0 : Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined);
  // config alone takes null as 0 (the field-by-field path's `?? 0n`).
  const config = u64(a['config'] ?? undefined);
  if (config === undefined) return { field: 'config' };
  const readFormat = uint(a['read_format']);
  if (readFormat === undefined || readFormat - (readFormat & KNOWN_READ_FORMAT) !== 0) return { field: 'read_format' };
  const out: Record<string, unknown> = { type, config };
  for (const f of U64S) {
    const v = u64(a[f]);
    if (v === undefined) return { field: f };
    out[f] = v;
  }
  for (const f of UINTS) {
    const v = uint(a[f]);
    if (v === undefined) return { field: f };
    out[f] = v;
  }
  out['read_format'] = readFormat;
  for (const f of BOOLS) {
    const v = a[f];
    if (v !== undefined && typeof v !== 'boolean') return { field: f };
    out[f] = v === true;
  }
  return { attr: out as unknown as FullAttr };
}

function outcome(a: Record<string, unknown>): Outcome {
  try {
    return { attr: normalizeAttr(a as unknown as PerfEventAttr) };
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    expect((e as KernelError).code).to.equal('EINVAL');
    const m = /\battr\.(\w+) /.exec((e as KernelError).message);
    expect(m, (e as KernelError).message).to.not.equal(null);
    return { field: m![1]! };
  }
}

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const ATTR = fc.record(
  {
    type: pick(TYPES),
    config: pick(U64_VALUES),
    read_format: pick(READ_FORMATS),
    ...Object.fromEntries(U64S.map((f) => [f, pick(U64_VALUES)])),
    ...Object.fromEntries(UINTS.map((f) => [f, pick(UINT_VALUES)])),
    ...Object.fromEntries(BOOLS.map((f) => [f, pick(BOOL_VALUES)])),
  },
  { requiredKeys: [] },
);
/** Mostly well-formed attrs (one field at most is bad), which is where a check that says yes too soon would show. */
const NEARLY_GOOD = fc
  .tuple(
    fc.record({ type: pick([0, 6, 0xffffffff]), config: pick([0n, 1n, U64_MAX, undefined]), read_format: pick([0, 0xf, undefined]) }),
    fc.constantFrom('type', 'config', 'read_format', ...U64S, ...UINTS, ...BOOLS),
    fc.integer({ min: 0, max: 12 }),
  )
  .map(([good, field, i]) => {
    const pool: readonly unknown[] =
      field === 'type'
        ? TYPES
        : field === 'read_format'
          ? READ_FORMATS
          : field === 'config' || (U64S as readonly string[]).includes(field)
            ? U64_VALUES
            : (UINTS as readonly string[]).includes(field)
              ? UINT_VALUES
              : BOOL_VALUES;
    return { ...good, [field]: pool[i % pool.length] } as Record<string, unknown>;
  });

describe('perf_event_attr: normalizeAttr', () => {
  before(() => console.log(`      attr seed ${seed} (CSPMU_SEED=${seed} replays it)`));

  it('accepts exactly the attrs the rules accept, fills the defaults, and otherwise names the first bad field (seeded property)', () => {
    fc.assert(
      fc.property(fc.oneof(ATTR, NEARLY_GOOD), (a) => {
        expect(outcome(a)).to.deep.equal(expected(a));
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('refuses read_format bits above bit 31 as unknown, as the kernel does for its u64 field', () => {
    expect(outcome({ type: 6, config: 1n, read_format: 2 ** 32 })).to.deep.equal({ field: 'read_format' });
    expect(() => normalizeAttr({ type: 6, config: 1n, read_format: 2 ** 32 + 1 })).to.throw(KernelError, 'attr.read_format has unknown bits 0x100000000');
  });

  it('gives a plain attr every field, with its value or default', () => {
    expect(normalizeAttr({ type: 6, config: 0x1234n, config1: 3n, disabled: true, read_format: 0xf })).to.deep.equal({
      type: 6,
      config: 0x1234n,
      config1: 3n,
      config2: 0n,
      config3: 0n,
      sample_period: 0,
      sample_freq: 0,
      read_format: 0xf,
      freq: false,
      disabled: true,
      pinned: false,
      exclusive: false,
      inherit: false,
      exclude_user: false,
      exclude_kernel: false,
      exclude_hv: false,
      exclude_idle: false,
      exclude_host: false,
      exclude_guest: false,
    });
  });
});
