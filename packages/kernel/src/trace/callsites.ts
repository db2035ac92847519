// Patchable call sites (the kernel's CALL_OPS): an untraced call goes straight through; attached tracers see each call.
import { KernelError, kerr } from '../base/errors.js';
import type { Srcu } from '../rcu/srcu.js';
import type { CallStack } from './calls.js';
import { type KernelFunction, kernelFunction } from './kfunc.js';

/** A function tracer for call sites: told about every call at the sites it is attached to. */
export interface SiteTracer {
  readonly name: string;
  /** After each call: the target's name and argument id (from the site's describer), duration, result or error. */
  onCall(site: CallSite, target: string, argId: number, durationNs: number, result: unknown, error: KernelError | undefined): void;
  /** Called once the tracer is detached and a grace period has passed: its state may be freed. */
  release?(): void;
}

export type SiteDescriber = (self: unknown, a: unknown, b: unknown) => [target: string, argId: number];

/**
 * One patchable call site (as the kernel's CALL_OPS): `ops` is the slot the
 * call site reads. Null means untraced: the caller calls straight through
 * after one branch. One tracer is stored directly; several fall back to a
 * list. Attaching or detaching replaces the slot with one reference store;
 * no other site is touched.
 */
export class CallSite {
  ops: SiteTracer | readonly SiteTracer[] | null = null;
  calls = 0;
  private readonly stack: CallStack;
  /** The caller's frame id, or -1 for a site that pushes no frame. */
  private readonly callerId: number;

  constructor(
    readonly name: string,
    readonly describe: SiteDescriber,
    private readonly owner: CallSites,
    /** The kernel function the call is made from: a frame on the call stack while the call runs. */
    readonly caller?: KernelFunction,
  ) {
    this.stack = owner.calls;
    this.callerId = caller === undefined ? -1 : caller.id;
    const stack = this.stack;
    const id = this.callerId;
    this.enter = id < 0 ? () => stack.depth : () => stack.push(id);
  }

  /**
   * For a caller that makes an untraced call itself (when `ops` is null),
   * so that V8's feedback for that call is the caller's alone and its
   * callee may be inlined (invoke's call is shared by every site and sees
   * all their callees): enter the caller's frame, if the site has one, and
   * return the depth to give `leave` in a finally, as invoke does. One of
   * two small functions chosen when the site is made, not a branch, so that
   * every caller inlines it.
   */
  readonly enter: () => number;

  /**
   * Call `fn` on `self` from this site: inside the caller's frame, straight
   * through when no tracer is attached (one branch, no allocation), through
   * the attached tracers otherwise. One body for both kinds of site: the
   * read path inlines it whole, and a second copy of the dispatch would use
   * up the inlining budget that the callee's frames need. The caller's
   * frame is popped on return, and on a throw in a catch that rethrows:
   * what a finally does, without the bookkeeping V8 runs on every normal
   * exit from a finally (the pending message and the completion kind).
   */
  invoke<S, A, B, R>(self: S, fn: (this: S, a: A, b: B) => R, a: A, b: B): R {
    const calls = this.stack;
    const depth = this.callerId < 0 ? calls.depth : calls.push(this.callerId);
    let r: R;
    try {
      r = this.ops === null ? fn.call(self, a, b) : this.owner.call(this, self, fn as never, a, b);
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
    return r;
  }

  leave(depth: number): void {
    this.stack.pop(depth);
  }
}

/** A call site to declare: its name, and the kernel function it sits in (if that should be a frame). */
export interface CallSiteSpec {
  readonly site: string;
  readonly caller?: string;
}

const hostNow = () => performance.now() * 1e6;

const asError = (e: unknown): KernelError => (e instanceof KernelError ? e : new KernelError('EIO', String((e as Error)?.message ?? e)));

/** A machine's call sites, and the attach/detach protocol with a grace period before a tracer is freed. */
export class CallSites {
  private readonly sites = new Map<string, CallSite>();

  constructor(
    private readonly srcu: Srcu,
    readonly calls: CallStack,
  ) {}

  /** The site of this name, made on first use. */
  site(name: string, describe: SiteDescriber, caller?: string): CallSite {
    let s = this.sites.get(name);
    if (!s) {
      s = new CallSite(name, describe, this, caller === undefined ? undefined : kernelFunction(caller));
      this.sites.set(name, s);
    }
    return s;
  }

  /** Declare a set of sites at once, with one describer: `{ key: { site, caller? } }` to `{ key: CallSite }`. */
  define<K extends string>(specs: Readonly<Record<K, CallSiteSpec>>, describe: SiteDescriber): Readonly<Record<K, CallSite>> {
    const out = {} as Record<K, CallSite>;
    for (const key of Object.keys(specs) as K[]) out[key] = this.site(specs[key].site, describe, specs[key].caller);
    return out;
  }

  list(): CallSite[] {
    return [...this.sites.values()];
  }

  /** True if a tracer is attached to any site. */
  anyAttached(): boolean {
    for (const s of this.sites.values()) if (s.ops !== null) return true;
    return false;
  }

  get(name: string): CallSite {
    const s = this.sites.get(name);
    if (!s) throw kerr('ENOENT', `no call site '${name}'; sites: ${[...this.sites.keys()].join(', ')}`);
    return s;
  }

  /** Patch a site: one store into its slot. */
  attach(siteName: string, tracer: SiteTracer): void {
    const s = this.get(siteName);
    const cur = s.ops;
    const list = cur === null ? [] : Array.isArray(cur) ? cur : [cur as SiteTracer];
    if (list.includes(tracer)) throw kerr('EEXIST', `tracer '${tracer.name}' is already attached to '${siteName}'`);
    s.ops = list.length === 0 ? tracer : [...list, tracer];
  }

  /** Unpatch a site, then wait a grace period before releasing the tracer. */
  async detach(siteName: string, tracer: SiteTracer): Promise<void> {
    const s = this.get(siteName);
    const cur = s.ops;
    const list = cur === null ? [] : Array.isArray(cur) ? cur : [cur as SiteTracer];
    if (!list.includes(tracer)) throw kerr('ENOENT', `tracer '${tracer.name}' is not attached to '${siteName}'`);
    const rest = list.filter((t) => t !== tracer);
    s.ops = rest.length === 0 ? null : rest.length === 1 ? rest[0]! : rest;
    await this.srcu.synchronize();
    tracer.release?.();
  }

  /**
   * A traced call of `fn` on `self` with one or two arguments (only when `site.ops` is not null).
   * A call that returns a promise (a callee that sleeps) stays inside the read section, and is
   * reported to the tracers it began with, until the promise settles.
   */
  call<R>(site: CallSite, self: unknown, fn: (a: never, b: never) => R, a: unknown, b?: unknown): R {
    const token = this.srcu.readLock();
    // The tracers are loaded once, on entry, as a patched call site's trampoline does: a detach
    // during the call does not stop this call from using them, which is what the grace period is for.
    const ops = site.ops;
    const t0 = hostNow();
    let result: R | undefined;
    let error: KernelError | undefined;
    let sleeping = false;
    try {
      result = (fn as (this: unknown, a: unknown, b: unknown) => R).call(self, a, b);
      if (result instanceof Promise) {
        sleeping = true;
        return result.then(
          (v: unknown) => {
            this.finish(site, ops, token, t0, self, a, b, v, undefined);
            return v;
          },
          (e: unknown) => {
            this.finish(site, ops, token, t0, self, a, b, undefined, asError(e));
            throw e;
          },
        ) as R;
      }
      return result;
    } catch (e) {
      error = asError(e);
      throw e;
    } finally {
      if (!sleeping) this.finish(site, ops, token, t0, self, a, b, result, error);
    }
  }

  private finish(
    site: CallSite,
    ops: SiteTracer | readonly SiteTracer[] | null,
    token: number,
    t0: number,
    self: unknown,
    a: unknown,
    b: unknown,
    result: unknown,
    error: KernelError | undefined,
  ): void {
    try {
      site.calls++;
      const dt = hostNow() - t0;
      if (ops !== null) {
        const [target, argId] = site.describe(self, a, b);
        if (Array.isArray(ops)) for (const t of ops as SiteTracer[]) t.onCall(site, target, argId, dt, result, error);
        else (ops as SiteTracer).onCall(site, target, argId, dt, result, error);
      }
    } finally {
      this.srcu.readUnlock(token);
    }
  }
}
