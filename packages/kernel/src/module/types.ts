// What a plugin module is to the kernel: its manifest, descriptor, context, handle, and the catalog plugins come from.
import { kerr } from '../base/errors.js';
import type { Kernel } from '../kernel.js';

/** A module name (`nvidia_cspmu`) as opposed to a package name (`@cspmu/nvidia`). */
export const MODULE_NAME = /^[a-z][a-z0-9_]*$/;

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
  /**
   * Work the module started and did not await (a registration, say): init
   * is not finished until it settles, and its failure is the module's load
   * failure, never an unhandled rejection.
   */
  track(work: Promise<unknown>): void;
  /** Unload is refused with EWOULDBLOCK (as a module in use), before exit runs, while `check` returns a reason. */
  refuseUnloadWhile(check: () => string | undefined): void;
}

/** The default export of a plugin's entry point. */
export interface ModuleDescriptor {
  readonly name: string;
  /** Required unless `versionFromPackage` is set for a plugin package. */
  readonly version?: string;
  /** Take the version from the plugin's package.json instead of repeating it here. */
  readonly versionFromPackage?: boolean;
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

/**
 * Where plugin packages come from (a scan of module roots, in
 * @cspmu/plugin-discovery). Warnings are for entries it skipped.
 */
export interface PluginCatalog {
  /** Every installed plugin package, read from manifests only. */
  installed(warn: (message: string) => void): readonly InstalledModule[];
  /** Check a user-given name and find its package by module or package name: EINVAL for a bad name, ENOENT for none. */
  find(name: unknown, warn: (message: string) => void): InstalledModule;
  /** The file to import for a package, checked to stay inside the roots. */
  entryOf(pkg: InstalledModule): string;
  /** Forget what was scanned (after installing or removing packages). */
  rescan(): void;
}

/** No plugins at all: a kernel without module roots. */
export const NO_PLUGINS: PluginCatalog = {
  installed: () => [],
  find: (name) => {
    throw kerr('ENOENT', `no installed module '${typeof name === 'string' ? name.slice(0, 214) : typeof name}': this kernel has no module roots`);
  },
  entryOf: (pkg) => {
    throw kerr('ENOENT', `module ${pkg.packageName}: this kernel has no module roots`);
  },
  rescan: () => undefined,
};
