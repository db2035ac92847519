// The compiled register layouts of a machine's PMU models, shared by every device of one kind.
import { BankLayout } from '@cspmu/mmio';
import type { CounterIndex } from './counter-storage.js';
import type { CspmuModelConfig } from './cspmu-config.js';
import { cspmuRegisterMap, type RegisterGeometry } from './cspmu-register-map.js';

/** The layouts of a model's pages: page 1 only for a dual-page PMU. */
export interface CspmuPageLayouts {
  readonly page0: BankLayout;
  readonly page1: BankLayout | undefined;
  /** Where each counter's value is in the state of the page holding the counters, and its slot. */
  readonly counters: CounterIndex;
}

/** The configuration fields the register map depends on (everything but the label, clock and bus latency). */
const KIND_FIELDS = [
  'counters',
  'counterBits',
  'cycleCounter',
  'dualPage',
  'atomic64',
  'ext64',
  'fzo',
  'implementer',
  'product',
  'variant',
  'revision',
  'pmiidrZero',
] as const satisfies readonly (keyof CspmuModelConfig)[];

/**
 * Register layouts compiled once per kind of device (same geometry and
 * identity registers) and shared: a layout holds no state, and its hooks
 * reach the device through the bank's context, so a device's own register
 * memory is its state words alone. With a `limit`, the kind used least
 * recently is dropped past it (its devices keep their layout).
 */
export class CspmuLayouts {
  private readonly byKind = new Map<string, CspmuPageLayouts>();

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  of(c: CspmuModelConfig, g: RegisterGeometry): CspmuPageLayouts {
    // Array.from, not map(): V8 11.3's map() result changes hidden class when this is optimised, deoptimising join().
    const key = Array.from(KIND_FIELDS, (f) => String(c[f])).join(',');
    let l = this.byKind.get(key);
    if (l) {
      // Moved to the back: the front is the kind used least recently.
      this.byKind.delete(key);
      this.byKind.set(key, l);
      return l;
    }
    const map = cspmuRegisterMap(c, g);
    const page0 = new BankLayout(`${c.label}.page0`, 0x1000, c.dualPage ? map.config : [...map.counters, ...map.config, ...map.overflow]);
    const page1 = c.dualPage ? new BankLayout(`${c.label}.page1`, 0x1000, [...map.counters, ...map.overflow]) : undefined;
    l = { page0, page1, counters: counterIndex(g.implemented, page1 ?? page0) };
    this.byKind.set(key, l);
    if (this.byKind.size > this.limit) this.byKind.delete(this.byKind.keys().next().value!);
    return l;
  }

  /** Kinds compiled so far. */
  get size(): number {
    return this.byKind.size;
  }
}

/** Each implemented counter's state word (from its PMEVCNTR register in `bank`) and dense slot. */
function counterIndex(implemented: readonly number[], bank: BankLayout): CounterIndex {
  const top = implemented.at(-1)! + 1;
  const wordOf = new Int32Array(top).fill(-1);
  const slotOf = new Uint8Array(top);
  implemented.forEach((p, s) => {
    wordOf[p] = bank.byName.get(`PMEVCNTR${p}`)!.stateWord;
    slotOf[p] = s;
  });
  return { wordOf, slotOf, slots: implemented.length };
}
