import type { Kernel } from '../kernel.js';

/** What a plugin's package.json declares under `"cspmu"`, readable without importing it (modules.alias). */
export interface ModuleManifest {
  /** The module name (`nvidia_cspmu`). */
  readonly module: string;
  readonly apiVersion: number;
  /** What the module serves, e.g. `{ subsystem: 'arm-cspmu', implementer: '0x36b' }`. */
  readonly claims?: readonly ModuleClaim[];
}

export interface ModuleClaim {
  readonly subsystem: string;
  readonly [key: string]: unknown;
}

/** What a module gets at init and exit. */
export interface ModuleContext {
  readonly kernel: Kernel;
  readonly module: ModuleHandle;
  /** A machine service by its token (e.g. a driver's backend registry). */
  get<T>(token: symbol): T;
  /** Register an undo action: run in reverse order if init fails, and after exit. */
  onCleanup(fn: () => void | Promise<void>): void;
}

/** The default export of a plugin's entry point. */
export interface ModuleDescriptor {
  readonly name: string;
  readonly version: string;
  readonly apiVersion: number;
  /** Modules that must be live first; they cannot be unloaded while this one is. */
  readonly depends?: readonly string[];
  init(ctx: ModuleContext): void | Promise<void>;
  exit(ctx: ModuleContext): void | Promise<void>;
}

export type ModuleState = 'loading' | 'live' | 'going';

/** A loaded module: its state and reference count, as lsmod shows them. */
export interface ModuleHandle {
  readonly name: string;
  readonly version: string;
  readonly packageName: string | undefined;
  readonly state: ModuleState;
  /** References held (by events, probes...). */
  readonly refs: number;
  /** Modules that depend on this one. */
  readonly users: readonly string[];
}

/** A plugin package found in the module roots. */
export interface InstalledModule {
  readonly packageName: string;
  readonly dir: string;
  readonly version: string;
  readonly manifest: ModuleManifest;
}
