// The emulated call stack: which kernel functions a task is in, kept across awaits, for tracers and KASAN/WARN backtraces.
import { runWithFrames, taskFrames } from '../base/task-context.js';
import { kernelFunction } from './kfunc.js';
import type { StringTable } from './tracing.js';

const MAX_DEPTH = 256;
const NO_NAMES: readonly string[] = Object.freeze([]);

/** A call chain seen in this process: its frozen names once asked for, and the chains one function deeper, by name. */
interface ChainNode {
  chain: readonly string[] | undefined;
  deeper: Map<string, ChainNode> | undefined;
}

/** Every chain sharedChain() was asked for, shared by all machines (its names are the same everywhere), as a trie from the outermost function. */
const chains: ChainNode = { chain: undefined, deeper: undefined };
let chainNodes = 0;
/** Past this many, chains are no longer kept (recursion could make ever deeper ones): each is then made afresh. */
const MAX_CHAIN_NODES = 1 << 16;

/** The node one function deeper than `node`, made if new; undefined once the trie is full. */
function deeper(node: ChainNode, name: string): ChainNode | undefined {
  const next = node.deeper?.get(name);
  if (next !== undefined || chainNodes >= MAX_CHAIN_NODES) return next;
  const made: ChainNode = { chain: undefined, deeper: undefined };
  (node.deeper ??= new Map()).set(name, made);
  chainNodes++;
  return made;
}

/** The kernel functions an async task is inside, outermost first, captured when it entered the innermost one. */
interface AsyncFrames {
  readonly owner: CallStack;
  readonly names: readonly string[];
}

/**
 * Which emulated kernel functions are running, innermost last, as their
 * string ids (KernelFunction.id, which every machine's StringTable resolves). Tracers read it to name the caller and its caller (what the
 * kernel gets from _THIS_IP_ and _RET_IP_). Push and pop allocate nothing.
 * Lifecycle paths that sleep (await) enter their functions with `runAsync`,
 * so a chain survives the await: `chain()` gives the whole backtrace, as a
 * KASAN or WARN report prints it.
 */
export class CallStack {
  private readonly ids = new Int32Array(MAX_DEPTH);
  private d = 0;
  /** The synchronous stacks runAsync set aside, one above the other. */
  private readonly saved: number[] = [];
  /** The unknown id, as the one element of an int32 array: then current() and parent() are int32 on both branches, which V8 stores into a trace record as they are. */
  private readonly unknown = new Int32Array(1);

  constructor(readonly strings: StringTable) {
    this.unknown[0] = strings.intern('<unknown>');
  }

  get unknownId(): number {
    return this.unknown[0]!;
  }

  /** The id of a function name, to push later (the same on every machine). Look it up once, at setup. */
  intern(name: string): number {
    return kernelFunction(name).id;
  }

  /** Enter function `id`; returns the depth to pass back to `pop`. */
  push(id: number): number {
    // Past MAX_DEPTH the id is dropped (a typed array ignores a store beyond its end) and the depth still counts.
    // With no branch, the depth read and bumped in one expression, and a var (a let is first set to undefined),
    // push is 26 bytes of bytecode: under V8's small-function size (27), which every caller inlines whatever
    // inlining budget it has left.
    var depth: number;
    this.d = (depth = this.d) + 1;
    this.ids[depth] = id;
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
    return d > 0 && d <= MAX_DEPTH ? this.ids[d - 1]! : this.unknown[0]!;
  }

  /** The caller of the innermost function, or the unknown id. */
  parent(): number {
    const d = this.d;
    return d > 1 && d <= MAX_DEPTH ? this.ids[d - 2]! : this.unknown[0]!;
  }

  /** Names from outermost to innermost on the synchronous stack (for diagnostics). */
  names(): string[] {
    const out: string[] = [];
    for (let i = 0; i < Math.min(this.d, MAX_DEPTH); i++) out.push(this.strings.get(this.ids[i]!));
    return out;
  }

  /** The whole backtrace, outermost first: the sleeping task's functions, then the synchronous stack. */
  chain(): string[] {
    const f = taskFrames<AsyncFrames>();
    const outer = f !== undefined && f.owner === this ? f.names : [];
    return [...outer, ...this.names()];
  }

  /**
   * chain() as a frozen array, the same one for the same names in every machine of the
   * process: KASAN keeps one per allocation and free, lockdep one per lock taken, so once a
   * chain has been seen this allocates nothing (chain() builds it and a copy each time).
   */
  sharedChain(): readonly string[] {
    return this.sharedChainThen(NO_NAMES);
  }

  /** sharedChain() followed by `more` (a name or names, outermost first). */
  private sharedChainThen(more: string | readonly string[]): readonly string[] {
    let node: ChainNode | undefined = chains;
    const f = taskFrames<AsyncFrames>();
    if (f !== undefined && f.owner === this) for (let i = 0; node !== undefined && i < f.names.length; i++) node = deeper(node, f.names[i]!);
    const n = Math.min(this.d, MAX_DEPTH);
    for (let i = 0; node !== undefined && i < n; i++) node = deeper(node, this.strings.get(this.ids[i]!));
    if (typeof more === 'string') node = node && deeper(node, more);
    else for (let i = 0; node !== undefined && i < more.length; i++) node = deeper(node, more[i]!);
    if (node === undefined) return Object.freeze(this.chain().concat(more));
    return (node.chain ??= Object.freeze(this.chain().concat(more)));
  }

  /** Run `fn` as a fresh task (a kworker, a modprobe): it inherits no call chain from whoever queued it. */
  runDetached<T>(fn: () => T): T {
    return runWithFrames({ owner: this, names: NO_NAMES } satisfies AsyncFrames, fn);
  }

  /**
   * Run the sleeping function `name` (and its callers `parents`, outermost
   * first): the chain so far plus these names follows every await inside.
   * The synchronous stack is emptied while `fn` starts, since its frames now
   * live in the task's chain, and put back (from `saved`, a stack, as these nest) once it waits.
   */
  runAsync<T>(name: string | readonly string[], fn: () => Promise<T>): Promise<T> {
    const names = this.sharedChainThen(name);
    const depth = this.d;
    const n = Math.min(depth, MAX_DEPTH);
    const base = this.saved.length;
    for (let i = 0; i < n; i++) this.saved.push(this.ids[i]!);
    this.d = 0;
    try {
      return runWithFrames({ owner: this, names } satisfies AsyncFrames, fn);
    } finally {
      if (n > 0) {
        for (let i = 0; i < n; i++) this.ids[i] = this.saved[base + i]!;
        this.saved.length = base;
      }
      this.d = depth;
    }
  }

  /** Run `fn` as the function `name` (called from `parent`, if given). Sync code only; hot paths push/pop an interned id. */
  run<T>(name: string, fn: () => T, parent?: string | readonly string[]): T {
    const depth = this.d;
    if (typeof parent === 'string') this.push(this.intern(parent));
    else if (parent !== undefined) for (const p of parent) this.push(this.intern(p));
    this.push(this.intern(name));
    try {
      return fn();
    } finally {
      this.pop(depth);
    }
  }
}
