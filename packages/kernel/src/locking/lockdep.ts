import { AsyncLocalStorage } from 'node:async_hooks';
import { kerr } from '../base/errors.js';

/** What a lock needs to be known to lockdep. */
export interface LockClass {
  readonly name: string;
}

/** The chain of locks an async task holds, innermost last. */
export interface HeldChain {
  readonly lock: LockClass;
  readonly task: string;
  readonly outer: HeldChain | undefined;
  /** The lockdep (machine) the lock belongs to. */
  readonly owner: Lockdep;
}

/**
 * One AsyncLocalStorage for the whole process. Node walks every enabled
 * storage on each promise it creates, and never forgets one, so a storage
 * per machine made every promise slower with each machine booted. Entries
 * carry their owner, so machines still see only their own locks.
 */
const held = new AsyncLocalStorage<HeldChain>();

export interface LockOrderReport {
  readonly acquiring: string;
  readonly holding: string;
  /** The earlier path that took `acquiring` before `holding`. */
  readonly earlierPath: readonly string[];
}

/**
 * Lock-order checking in the spirit of lockdep: every time a task takes B
 * while holding A, the edge A → B is recorded. Taking A while holding B
 * after some task already went A → … → B is an inversion, reported as
 * EDEADLK naming both locks, before the lock is taken.
 *
 * Which locks a task holds is tracked through async continuations with
 * AsyncLocalStorage, so a chain survives awaits inside the critical section.
 */
export class Lockdep {
  private readonly edges = new Map<LockClass, Set<LockClass>>();
  readonly reports: LockOrderReport[] = [];
  enabled = true;

  currentChain(): HeldChain | undefined {
    return held.getStore();
  }

  holds(lock: LockClass): boolean {
    for (let c = held.getStore(); c; c = c.outer) if (c.lock === lock) return true;
    return false;
  }

  heldNames(): string[] {
    const names: string[] = [];
    for (let c = held.getStore(); c; c = c.outer) if (c.owner === this) names.unshift(c.lock.name);
    return names;
  }

  /** Check and record the order for taking `lock` now. Throws EDEADLK on inversion. */
  checkAcquire(lock: LockClass): void {
    if (!this.enabled) return;
    for (let c = held.getStore(); c; c = c.outer) {
      if (c.lock === lock || c.owner !== this) continue;
      const path = this.path(lock, c.lock);
      if (path) {
        const report = { acquiring: lock.name, holding: c.lock.name, earlierPath: path.map((l) => l.name) };
        this.reports.push(report);
        throw kerr(
          'EDEADLK',
          `possible deadlock: taking '${lock.name}' while holding '${c.lock.name}', ` +
            `but '${lock.name}' was taken before '${c.lock.name}' elsewhere (${report.earlierPath.join(' -> ')}); ` +
            'take these locks in one consistent order',
        );
      }
    }
    for (let c = held.getStore(); c; c = c.outer) {
      if (c.lock === lock || c.owner !== this) continue;
      let out = this.edges.get(c.lock);
      if (!out) this.edges.set(c.lock, (out = new Set()));
      out.add(lock);
    }
  }

  /** Run `fn` with `lock` pushed on the current task's held chain. */
  runHolding<T>(lock: LockClass, task: string, fn: () => T): T {
    return held.run({ lock, task, outer: held.getStore(), owner: this }, fn);
  }

  /** Run `fn` as a fresh task holding nothing (used for independent work items). */
  runDetached<T>(fn: () => T): T {
    return held.exit(fn);
  }

  private path(from: LockClass, to: LockClass): LockClass[] | undefined {
    const seen = new Set<LockClass>();
    const walk = (at: LockClass): LockClass[] | undefined => {
      if (at === to) return [at];
      if (seen.has(at)) return undefined;
      seen.add(at);
      for (const next of this.edges.get(at) ?? []) {
        const rest = walk(next);
        if (rest) return [at, ...rest];
      }
      return undefined;
    };
    return walk(from);
  }
}
