// The binding record of a device to a backend: its ops, the instance refcount, the reprobe-pending flag and the KASAN-checked lifetimes.
import type { Kasan, ModuleHandle, Refcount, Shadow } from '@cspmu/kernel';
import { GENERIC_BACKEND_NAME } from './api.js';
import type { BackendOps } from './backend-api.js';
import type { RegisteredBackend } from './registry.js';

/**
 * What binds a device to a backend: the backend entry and its ops, the
 * per-instance refcount (1 for the binding, +1 per event from event_init to
 * destroy), whether a reprobe waits for the last event, and the lifetimes
 * KASAN checks: `struct arm_cspmu` (with the `struct pmu` it embeds) and its
 * backend ops, both freed when devres releases the binding. The reprobe
 * logic in reprobe.ts works on this record.
 */
export class Binding {
  private backend: RegisteredBackend | undefined = undefined;
  /** The backend's module, kept beside it so that pmu->module is one load after the KASAN check. */
  private backendModule: ModuleHandle | undefined = undefined;
  ops!: Required<BackendOps>;
  readonly refs: Refcount;
  reprobePending = false;
  /** A reprobe is under way: new events are refused from then on (a reprobe gives up only on a binding that is gone). */
  reprobing = false;
  /** The instance's memory (struct arm_cspmu, its struct pmu included). */
  readonly shadow: Shadow;
  /** The backend ops the instance holds (impl.ops). */
  readonly opsShadow: Shadow;

  constructor(
    readonly device: string,
    refs: Refcount,
    kasan: Kasan,
  ) {
    this.refs = refs;
    this.shadow = kasan.alloc('struct arm_cspmu', device);
    this.opsShadow = kasan.alloc('struct arm_cspmu_impl_ops', device);
  }

  /** The backend in use (undefined: the core's built-in generic ops). */
  get impl(): RegisteredBackend | undefined {
    return this.backend;
  }

  set impl(entry: RegisteredBackend | undefined) {
    this.backend = entry;
    this.backendModule = entry?.module;
  }

  /**
   * pmu->module: the backend's module, or undefined for the core. The core
   * reads it on every open and free: the report after a free is apart, so
   * that this getter stays under V8's small-function size and is inlined.
   */
  get module(): ModuleHandle | undefined {
    return this.shadow.freedBy === null ? this.backendModule : this.moduleAfterFree();
  }

  private moduleAfterFree(): ModuleHandle | undefined {
    this.shadow.report('pmu->module');
    return this.backendModule;
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

  /** devres frees the binding: the instance and its ops; any later access through them is reported. */
  free(): void {
    this.opsShadow.free();
    this.shadow.free();
  }
}
