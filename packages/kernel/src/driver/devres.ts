// Managed resources (devres): what a probe acquires, released in reverse order on unbind or failed probe.
import { asKernelError, type KernelError } from '../base/errors.js';

interface Entry {
  readonly name: string;
  readonly release: () => void | Promise<void>;
}

/**
 * Managed resources of one binding (devres): whatever a probe acquires is
 * recorded here with its release, and released in reverse order when the
 * device is unbound or its probe fails.
 */
export class Devres {
  private entries: Entry[] = [];

  add(name: string, release: () => void | Promise<void>): void {
    this.entries.push({ name, release });
  }

  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Release everything, newest first. Every release runs; failures are returned, not thrown. */
  async releaseAll(): Promise<KernelError[]> {
    const failures: KernelError[] = [];
    const entries = this.entries;
    this.entries = [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      try {
        const r = e.release();
        if (r instanceof Promise) await r;
      } catch (err) {
        failures.push(asKernelError(err, 'EIO', `releasing ${e.name}`));
      }
    }
    return failures;
  }
}
