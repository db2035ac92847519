import { kerr } from '../base/errors.js';
import type { StringTable } from './tracing.js';

const MAX_DEPTH = 256;

/**
 * Which emulated kernel functions are running, innermost last, as interned
 * name ids. Tracers read it to name the caller and its caller (what the
 * kernel gets from _THIS_IP_ and _RET_IP_). Push and pop allocate nothing.
 */
export class CallStack {
  private readonly ids = new Int32Array(MAX_DEPTH);
  private d = 0;
  readonly unknownId: number;

  constructor(readonly strings: StringTable) {
    this.unknownId = strings.intern('<unknown>');
  }

  /** The id of a function name, to push later. Intern once, at setup. */
  intern(name: string): number {
    if (!/^[A-Za-z_][\w.$<>-]*$/.test(name)) throw kerr('EINVAL', `function name '${name}' is not an identifier`);
    return this.strings.intern(name);
  }

  /** Enter function `id`; returns the depth to pass back to `pop`. */
  push(id: number): number {
    const depth = this.d;
    if (depth < MAX_DEPTH) this.ids[depth] = id;
    this.d = depth + 1;
    return depth;
  }

  /** Leave back to `depth` (robust to throws in between). */
  pop(depth: number): void {
    this.d = depth;
  }

  get depth(): number {
    return this.d;
  }

  /** The innermost function, or the unknown id. */
  current(): number {
    const d = this.d;
    return d > 0 && d <= MAX_DEPTH ? this.ids[d - 1]! : this.unknownId;
  }

  /** The caller of the innermost function, or the unknown id. */
  parent(): number {
    const d = this.d;
    return d > 1 && d <= MAX_DEPTH ? this.ids[d - 2]! : this.unknownId;
  }

  /** Names from outermost to innermost (for diagnostics). */
  names(): string[] {
    const out: string[] = [];
    for (let i = 0; i < Math.min(this.d, MAX_DEPTH); i++) out.push(this.strings.get(this.ids[i]!));
    return out;
  }

  /** Run `fn` as the function `name` (called from `parent`, if given). Sync code only; hot paths push/pop an interned id. */
  run<T>(name: string, fn: () => T, parent?: string): T {
    const depth = this.d;
    if (parent !== undefined) this.push(this.intern(parent));
    this.push(this.intern(name));
    try {
      return fn();
    } finally {
      this.pop(depth);
    }
  }
}
