// The KASAN-style lifetime checker: shadows of tracked objects, and the report of any use after free with its backtraces.
import type { KernelLog } from '../base/log.js';
import type { CallStack } from '../trace/calls.js';
import type { Lifecycle } from '../trace/lifecycle.js';

/** One use of freed memory, as a KASAN report gives it. */
export interface KasanReport {
  readonly kind: 'slab-use-after-free' | 'double-free';
  /** The object's type and instance, e.g. `struct arm_cspmu` and `arm-cs-arch-pmu.0`. */
  readonly type: string;
  readonly object: string;
  /** What was touched, e.g. `pmu->module`. */
  readonly access: string;
  /** Backtraces, innermost first, as the kernel prints them. */
  readonly accessChain: readonly string[];
  readonly allocChain: readonly string[];
  readonly freeChain: readonly string[];
  /** The report as printed to the kernel log. */
  readonly text: string;
}

/**
 * The shadow of one tracked allocation. Code that uses the object checks
 * `freedBy !== null` before touching it (one predictable branch, the only
 * cost with KASAN off, since then nothing is ever marked freed).
 */
export class Shadow {
  /** The freeing backtrace (outermost first) once freed with KASAN on; null while live. */
  freedBy: readonly string[] | null = null;

  constructor(
    private readonly kasan: Kasan,
    readonly type: string,
    readonly object: string,
    readonly allocBy: readonly string[],
  ) {}

  /** Report a use of this object after its free (call only when `freedBy !== null`). */
  report(access: string): void {
    this.kasan.report(this, access);
  }

  /** Mark the object freed (kfree / devres release): every later use is reported. */
  free(): void {
    this.kasan.free(this);
  }
}

const RULE = '==================================================================';
const NO_BACKTRACE: readonly string[] = Object.freeze([]);

/**
 * A KASAN-style lifetime checker, per machine (as CONFIG_KASAN is per
 * kernel build). Objects that devres or a reprobe releases are marked freed
 * with the call chain that freed them; a later access through a stale
 * reference is reported with the accessing chain, the allocating chain and
 * the freeing chain, and goes on (KASAN reports and continues).
 */
export class Kasan {
  readonly reports: KasanReport[] = [];

  constructor(
    readonly enabled: boolean,
    private readonly calls: CallStack,
    private readonly log: KernelLog,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** Track a new object (kmalloc / devm_kzalloc). */
  alloc(type: string, object: string): Shadow {
    return new Shadow(this, type, object, this.enabled ? this.backtrace() : NO_BACKTRACE);
  }

  /** Mark `s` freed; freeing it twice is itself reported. */
  free(s: Shadow): void {
    if (!this.enabled) return;
    if (s.freedBy !== null) {
      this.report(s, 'kfree', 'double-free');
      return;
    }
    s.freedBy = this.backtrace();
  }

  /** The call chain now, as stored in a shadow: one frozen array per distinct chain, shared by every object allocated or freed along it. */
  private backtrace(): readonly string[] {
    return this.calls.sharedChain();
  }

  /** Check an access to `s` (lifecycle paths; hot paths test `freedBy` inline). */
  check(s: Shadow, access: string): void {
    if (s.freedBy !== null) this.report(s, access);
  }

  report(s: Shadow, access: string, kind: KasanReport['kind'] = 'slab-use-after-free'): void {
    const accessChain = this.calls.chain().reverse();
    const freeChain = [...(s.freedBy ?? [])].reverse();
    const allocChain = [...s.allocBy].reverse();
    const where = accessChain[0] ?? '<unknown>';
    const trace = (chain: readonly string[]) => (chain.length ? chain.map((f) => ` ${f}`) : [' <unknown>']);
    const lines = [
      RULE,
      `BUG: KASAN: ${kind} in ${where}`,
      `${kind === 'double-free' ? 'Free' : 'Read'} of ${access} in ${s.type} ${s.object}`,
      'Call Trace:',
      ...trace(accessChain),
      '',
      'Allocated by task:',
      ...trace(allocChain),
      '',
      'Freed by task:',
      ...trace(freeChain),
      '',
      `The buggy address belongs to the object ${s.type} (${s.object}), freed before this access`,
      RULE,
    ];
    const text = lines.join('\n');
    this.reports.push({ kind, type: s.type, object: s.object, access, accessChain, allocChain, freeChain, text });
    for (const l of lines) this.log.err('kasan', l);
    this.lifecycle.fire('kasan:report', { kind, object: `${s.type} ${s.object}`, access, accessedIn: where, freedIn: freeChain[0] ?? '<unknown>' });
  }
}
