// Lock-order validation by lock class, as lockdep does it: reports with both chains, before a deadlock can happen.
import { kerr } from '../base/errors.js';
import { runWithHeld, taskHeld } from '../base/task-context.js';

/**
 * A lock class: every lock initialised from one key shares it, as every
 * `struct device`'s mutex shares one class in the kernel. Order is
 * checked between classes, so an inversion between two different devices
 * (or between the registry and any device) is seen.
 */
export interface LockClass {
  readonly name: string;
}

/** A lock lockdep tracks: its own name, and the class it was initialised in. */
export interface TrackedLock {
  readonly name: string;
  readonly lockClass: LockClass;
}

/** The chain of locks an async task holds, innermost last. */
export interface HeldChain {
  readonly lock: TrackedLock;
  readonly task: string;
  readonly outer: HeldChain | undefined;
  /** The lockdep (machine) the lock belongs to. */
  readonly owner: Lockdep;
  /** Where the lock was taken: the emulated backtrace, outermost first. */
  readonly at: readonly string[];
}

/** One recorded dependency: class `to` was taken while class `from` was held, first seen here. */
export interface LockDependency {
  readonly from: string;
  readonly to: string;
  readonly task: string;
  /** Classes the task held, outermost first. */
  readonly held: readonly string[];
  readonly backtrace: readonly string[];
}

/** A lockdep splat. */
export interface LockOrderReport {
  /** `circular`: the new lock was taken before a held one elsewhere; `recursive`: a second lock of a held class. */
  readonly kind: 'circular' | 'recursive';
  readonly task: string;
  /** Class names. */
  readonly acquiring: string;
  readonly holding: string;
  /** Lock (instance) names. */
  readonly acquiringLock: string;
  readonly holdingLock: string;
  /** The earlier path of classes that took `acquiring` before `holding`. */
  readonly earlierPath: readonly string[];
  /** The dependencies along that path, each with the chain that first made it. */
  readonly dependencies: readonly LockDependency[];
  /** This task's chain: the classes it holds, and where it is taking the new lock. */
  readonly held: readonly string[];
  readonly backtrace: readonly string[];
  /** The splat as the kernel log shows it. */
  readonly text: string;
}

const at = (bt: readonly string[]) => (bt.length ? bt.slice().reverse().join(' <- ') : '<unknown>');

/**
 * Lock-order checking in the spirit of lockdep: every time a task takes a
 * lock of class B while holding one of class A, the dependency A → B is
 * recorded with the chain that made it. Taking A while holding B after
 * some task already went A → … → B is a possible deadlock: reported with
 * both chains, and refused as EDEADLK before the lock is taken. Taking a
 * second lock of a class already held is reported as recursive locking.
 *
 * Which locks a task holds is tracked through async continuations by the
 * task context (it follows promises), so a chain survives awaits inside the
 * critical section.
 */
export class Lockdep {
  private readonly classes = new Map<string, LockClass>();
  private readonly edges = new Map<LockClass, Map<LockClass, LockDependency>>();
  readonly reports: LockOrderReport[] = [];
  enabled = true;
  /** The emulated backtrace of the running task (the kernel sets it to its call chain). */
  backtrace: () => readonly string[] = () => [];

  /** The class for a lock key: one object per key, shared by every lock initialised with it. */
  classFor(key: string): LockClass {
    let c = this.classes.get(key);
    if (!c) this.classes.set(key, (c = { name: key }));
    return c;
  }

  currentChain(): HeldChain | undefined {
    return taskHeld<HeldChain>();
  }

  holds(lock: TrackedLock): boolean {
    for (let c = taskHeld<HeldChain>(); c; c = c.outer) if (c.lock === lock) return true;
    return false;
  }

  heldNames(): string[] {
    const names: string[] = [];
    for (let c = taskHeld<HeldChain>(); c; c = c.outer) if (c.owner === this) names.unshift(c.lock.name);
    return names;
  }

  /** Check and record the order for taking `lock` now. Throws EDEADLK on an inversion or recursion. */
  checkAcquire(lock: TrackedLock, task = 'anonymous'): void {
    if (!this.enabled) return;
    const cls = lock.lockClass;
    for (let c = taskHeld<HeldChain>(); c; c = c.outer) {
      if (c.lock === lock || c.owner !== this) continue;
      if (c.lock.lockClass === cls) this.splat('recursive', lock, c, task, [cls], []);
      const path = this.path(cls, c.lock.lockClass);
      if (path) {
        const deps = path.slice(1).map((to, i) => this.edges.get(path[i]!)!.get(to)!);
        this.splat('circular', lock, c, task, path, deps);
      }
    }
    for (let c = taskHeld<HeldChain>(); c; c = c.outer) {
      if (c.lock === lock || c.owner !== this) continue;
      let out = this.edges.get(c.lock.lockClass);
      if (!out) this.edges.set(c.lock.lockClass, (out = new Map()));
      if (!out.has(cls)) out.set(cls, { from: c.lock.lockClass.name, to: cls.name, task, held: this.heldClasses(), backtrace: this.where(task) });
    }
  }

  /** Run `fn` with `lock` pushed on the current task's held chain. */
  runHolding<T>(lock: TrackedLock, task: string, fn: () => T): T {
    return runWithHeld({ lock, task, outer: taskHeld<HeldChain>(), owner: this, at: this.enabled ? this.where(task) : [] } satisfies HeldChain, fn);
  }

  /** Run `fn` as a fresh task holding nothing (used for independent work items). */
  runDetached<T>(fn: () => T): T {
    return runWithHeld(undefined, fn);
  }

  /**
   * Where `task` takes a lock: the emulated backtrace, or, on paths that
   * keep no call chain, the functions that took the locks held, outermost
   * first; then `task` itself (the function taking the lock).
   */
  private where(task: string): readonly string[] {
    let bt = this.backtrace();
    if (bt.length === 0) {
      const tasks: string[] = [];
      for (let c = taskHeld<HeldChain>(); c; c = c.outer) if (c.owner === this) tasks.unshift(c.task);
      bt = tasks;
    }
    return bt.at(-1) === task ? bt : [...bt, task];
  }

  private heldClasses(): string[] {
    const names: string[] = [];
    for (let c = taskHeld<HeldChain>(); c; c = c.outer) if (c.owner === this) names.unshift(c.lock.lockClass.name);
    return names;
  }

  private splat(
    kind: LockOrderReport['kind'],
    lock: TrackedLock,
    holding: HeldChain,
    task: string,
    path: readonly LockClass[],
    deps: readonly LockDependency[],
  ): never {
    const bt = this.where(task);
    const heldNow = this.heldClasses();
    const a = lock.lockClass.name;
    const h = holding.lock.lockClass.name;
    const lines =
      kind === 'circular'
        ? [
            'WARNING: possible circular locking dependency detected',
            `${task} is trying to acquire lock:`,
            `  (${a}){${lock.name}}, at: ${at(bt)}`,
            'but task is already holding lock:',
            `  (${h}){${holding.lock.name}}, at: ${at(holding.at)}`,
            'which lock already depends on the new lock.',
            'the existing dependency chain (in reverse order) is:',
            ...deps
              .slice()
              .reverse()
              .map((d, i) => `-> #${deps.length - 1 - i} (${d.to}) taken holding (${d.from}) by ${d.task}, at: ${at(d.backtrace)}`),
            `-> #${deps.length} (${h}) held by ${holding.task}, at: ${at(holding.at)}`,
            `locks held by ${task}: ${heldNow.join(', ')}`,
          ]
        : [
            'WARNING: possible recursive locking detected',
            `${task} is trying to acquire lock:`,
            `  (${a}){${lock.name}}, at: ${at(bt)}`,
            'but task is already holding lock:',
            `  (${h}){${holding.lock.name}}, at: ${at(holding.at)}`,
            `locks held by ${task}: ${heldNow.join(', ')}`,
          ];
    const report: LockOrderReport = {
      kind,
      task,
      acquiring: a,
      holding: h,
      acquiringLock: lock.name,
      holdingLock: holding.lock.name,
      earlierPath: path.map((l) => l.name),
      dependencies: deps,
      held: heldNow,
      backtrace: bt,
      text: lines.join('\n'),
    };
    this.reports.push(report);
    throw kerr(
      'EDEADLK',
      kind === 'circular'
        ? `possible deadlock: taking '${a}' while holding '${h}', but '${a}' was taken before '${h}' elsewhere (${report.earlierPath.join(' -> ')}); take these locks in one consistent order`
        : `possible recursive locking: taking '${lock.name}' while holding '${holding.lock.name}' of the same class '${a}'; take one lock of a class at a time`,
    );
  }

  private path(from: LockClass, to: LockClass): LockClass[] | undefined {
    // A class never taken while holding another one leads nowhere: the usual case for the lock being taken, so no walk (and no Set) per acquire.
    if (from !== to && !this.edges.has(from)) return undefined;
    const seen = new Set<LockClass>();
    const walk = (at: LockClass): LockClass[] | undefined => {
      if (at === to) return [at];
      if (seen.has(at)) return undefined;
      seen.add(at);
      for (const next of this.edges.get(at)?.keys() ?? []) {
        const rest = walk(next);
        if (rest) return [at, ...rest];
      }
      return undefined;
    };
    return walk(from);
  }
}
