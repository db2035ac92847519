import type { ModuleHandle, Refcount } from '@cspmu/kernel';
import { GENERIC_BACKEND_NAME } from './api.js';
import type { BackendOps } from './backend-api.js';
import type { RegisteredBackend } from './registry.js';

/** Reports a use of a released instance (the use-after-free the reprobe design must make impossible). */
export type UafReporter = (device: string, what: string) => void;

/**
 * What binds a device to a backend: the backend entry and its ops, the
 * per-instance refcount (1 for the binding, +1 per event from event_init to
 * destroy), whether a reprobe waits for the last event, and whether the
 * binding was released (any later use is a use-after-free). The reprobe
 * logic in reprobe.ts works on this record.
 */
export class Binding {
  /** The backend in use (undefined: the core's built-in generic ops). */
  impl: RegisteredBackend | undefined;
  ops!: Required<BackendOps>;
  readonly refs: Refcount;
  reprobePending = false;
  /** Set when the binding is released; any later use is a use-after-free. */
  released = false;

  constructor(
    readonly device: string,
    refs: Refcount,
    protected readonly reportUaf: UafReporter,
  ) {
    this.refs = refs;
  }

  /** pmu->module: the backend's module, or undefined for the core. Reading it after release is a use-after-free. */
  get module(): ModuleHandle | undefined {
    if (this.released) this.reportUaf(this.device, 'pmu->module read after the instance was released');
    return this.impl?.module;
  }

  /** The backend's name as bindings report it. */
  get backendName(): string {
    return this.impl?.definition.name ?? GENERIC_BACKEND_NAME;
  }

  /** True while no event holds the instance. */
  get idle(): boolean {
    return this.refs.count <= 1;
  }

  get inUseCount(): number {
    return this.refs.count - 1;
  }

  /** Called by probe's cleanup when the binding goes: any later use is reported. */
  poison(): void {
    this.released = true;
  }
}
