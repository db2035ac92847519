// The module loader: load by dynamic import, init and exit under a watchdog, references (try_module_get/module_put), dependencies, EBUSY unload.
import { pathToFileURL } from 'node:url';
import { asKernelError, describeThrown, describeValue, KernelError, kerr } from '../base/errors.js';
import type { Kernel } from '../kernel.js';
import { snapshotDescriptor } from './descriptor.js';
import { DEFAULT_MODULE_TIMEOUT_MS, Handle, trackedFailure, underWatchdog } from './handle.js';
import { type InstalledModule, type ModuleClaim, type ModuleDescriptor, type ModuleHandle, NO_PLUGINS, type PluginCatalog } from './types.js';

export interface ModuleLoaderOptions {
  /** Where plugin packages are found (default: none). */
  readonly catalog?: PluginCatalog;
  /** The plugin API version this host speaks. */
  readonly apiVersion: number;
  /** Machine services modules may look up by token. */
  readonly services: (token: symbol) => unknown;
  /** Host milliseconds a module's init, exit or one cleanup may take (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * Why the import of a module's entry failed, with the errno the kernel's
 * loader gives: ENOENT when a file it needs is not there (as for a module
 * file or a symbol that cannot be found), ENOEXEC when the file is there but
 * cannot be made a module (its code does not parse, or throws while it loads).
 */
function importFailure(what: string, entry: string, e: unknown): KernelError {
  if ((e as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND')
    return kerr('ENOENT', `${what}: import of ${entry} failed: ${describeThrown(e)}; install what it imports, or rebuild its package`, e);
  return kerr(
    'ENOEXEC',
    `${what}: ${entry} threw while being imported, so it is not a module: ${describeThrown(e)}; fix the module's code or rebuild its package, then load it again`,
    e,
  );
}

/** The rejection value for work that rejected with `undefined`. */
const REJECTED_EMPTY = new Error('rejected without a reason');

/**
 * Plugin modules: installed packages with a `"cspmu"` manifest, loaded by
 * dynamic import, with module references, dependencies, and unload refused
 * as delete_module refuses it: EWOULDBLOCK while depended on, referenced or
 * while the module says it is busy, EBUSY while it is not live. A load by
 * module name and by package name is one load. Init, exit and cleanups run
 * under a watchdog: one that hangs ends in ETIMEDOUT and the module is
 * cleaned up and forgotten. Whatever a module throws becomes a KernelError.
 */
export class ModuleLoader {
  private readonly modules = new Map<string, Handle>();
  private readonly loading = new Map<string, Promise<ModuleHandle>>();
  private readonly catalog: PluginCatalog;
  private readonly timeoutMs: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly options: ModuleLoaderOptions,
  ) {
    this.catalog = options.catalog ?? NO_PLUGINS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MODULE_TIMEOUT_MS;
    if (!Number.isSafeInteger(this.timeoutMs) || this.timeoutMs < 1)
      throw kerr('EINVAL', `module timeout must be a positive integer of milliseconds, got ${describeValue(this.timeoutMs)}`);
  }

  get apiVersion(): number {
    return this.options.apiVersion;
  }

  private readonly warn = (msg: string): void => void this.kernel.log.warn('module', msg);

  /** Every installed plugin package (read from package.json only). */
  installed(): readonly InstalledModule[] {
    return this.catalog.installed(this.warn);
  }

  /** Forget the scan (after installing or removing packages). */
  rescan(): void {
    this.catalog.rescan();
  }

  /** Installed modules whose manifest has a claim for `subsystem` that `match` accepts. */
  claimants(subsystem: string, match: (claim: ModuleClaim) => boolean): InstalledModule[] {
    return this.installed().filter((m) => m.manifest.claims?.some((c) => c.subsystem === subsystem && match(c)));
  }

  /** A module built into the host (no package), live once its init has run. */
  async registerBuiltin(descriptor: ModuleDescriptor): Promise<ModuleHandle> {
    const d = snapshotDescriptor(descriptor, undefined, undefined, this.options.apiVersion);
    if (this.modules.has(d.name)) throw kerr('EEXIST', `module ${d.name} is already loaded`);
    return this.start(this.handle(d, undefined));
  }

  /** A loaded module by module or package name. */
  get(name: string): ModuleHandle | undefined {
    if (typeof name !== 'string') return undefined;
    return this.modules.get(name) ?? [...this.modules.values()].find((m) => m.packageName === name);
  }

  list(): ModuleHandle[] {
    return [...this.modules.values()];
  }

  /** request_module_nowait: start loading and return at once; failures are logged and fired. */
  requestModule(name: string): void {
    this.kernel.lifecycle.fire('module:requested', { module: describeThrown(name) });
    // modprobe runs in a task of its own: nothing the requester holds is held by the load.
    this.kernel.lockdep.runDetached(() => this.kernel.calls.runDetached(() => void this.load(name).catch(() => undefined)));
  }

  /** Load a module by package name or module name; resolves when its init has finished. */
  load(name: string): Promise<ModuleHandle> {
    const existing = this.get(name);
    if (existing?.state === 'live') return Promise.resolve(existing);
    let pkg: InstalledModule;
    try {
      pkg = this.catalog.find(name, this.warn);
    } catch (e) {
      const err = asKernelError(e, 'EINVAL', 'module name');
      this.kernel.lifecycle.fire('module:load-failed', { module: describeThrown(name).slice(0, 214), errno: err.code, message: err.detail });
      return Promise.reject(err);
    }
    // One load per module, whichever name asked for it.
    const key = pkg.manifest.module;
    const inflight = this.loading.get(key);
    if (inflight) return inflight;
    const p = this.doLoad(pkg).finally(() => this.loading.delete(key));
    this.loading.set(key, p);
    return p;
  }

  /** Resolves once no load is in flight (including loads started meanwhile). */
  async whenIdle(): Promise<void> {
    while (this.loading.size > 0) await Promise.allSettled([...this.loading.values()]);
  }

  private async doLoad(pkg: InstalledModule): Promise<ModuleHandle> {
    const name = pkg.manifest.module;
    try {
      const y = this.kernel.yieldPoint?.(`request_module ${name}`);
      if (y !== undefined) await y;
      // Like add_unformed_module: a module still going away, or still in its init from another path, is waited for.
      for (let old = this.modules.get(name); old && old.state !== 'live'; old = this.modules.get(name)) {
        if (old.state === 'going') await old.gone;
        else await old.ready.catch(() => undefined);
      }
      const live = this.modules.get(name);
      if (live) return live;
      const entry = this.catalog.entryOf(pkg);
      let ns: { default?: unknown };
      try {
        ns = await import(pathToFileURL(entry).href);
      } catch (e) {
        throw importFailure(`module ${name} (${pkg.packageName})`, entry, e);
      }
      const descriptor = snapshotDescriptor(ns.default, name, pkg, this.options.apiVersion);
      if (this.modules.has(name)) throw kerr('EEXIST', `module ${name} is already loaded (state ${this.modules.get(name)!.state})`);
      return await this.start(this.handle(descriptor, pkg.packageName));
    } catch (e) {
      const err = asKernelError(e, 'EIO', `loading ${name}`);
      this.kernel.log.err('module', `loading ${name} failed: ${err.detail}`);
      this.kernel.lifecycle.fire('module:load-failed', { module: name, errno: err.code, message: err.detail });
      throw err;
    }
  }

  private async start(h: Handle): Promise<ModuleHandle> {
    const deps = h.descriptor.depends ?? [];
    for (const d of deps) {
      const dep = this.modules.get(d);
      if (!dep || dep.state === 'going') throw kerr('ENOENT', `module ${h.name} needs module ${d}, which is not loaded; load ${d} first`);
      // Like resolve_symbol_wait: a dependency still in its init is waited for.
      if (dep.state === 'loading') {
        try {
          await dep.ready;
        } catch {
          throw kerr('ENOENT', `module ${h.name} needs module ${d}, whose init failed`);
        }
      }
    }
    if (this.modules.has(h.name)) throw kerr('EEXIST', `module ${h.name} is already loaded (state ${this.modules.get(h.name)!.state})`);
    this.modules.set(h.name, h);
    h.listed = true;
    for (const d of deps) this.modules.get(d)!.userSet.add(h.name);
    h.ctx = {
      kernel: this.kernel,
      module: h,
      get: <T>(token: symbol) => {
        if (h.failed) throw kerr('ENODEV', `module ${h.name} failed to load; it can no longer use machine services`);
        const s = this.options.services(token);
        if (s === undefined) throw kerr('ENOENT', `module ${h.name}: no service ${String(token)} on this machine`);
        return s as T;
      },
      onCleanup: (fn) => {
        if (typeof fn !== 'function') throw kerr('EINVAL', `module ${h.name}: onCleanup needs a function`);
        // A late registration of a module that already failed is undone at once.
        if (h.failed) void this.runCleanup(h, fn);
        else h.cleanups.push(fn);
      },
      track: (work) => {
        const settled = Promise.resolve(work).then(
          () => undefined,
          (e: unknown) => e ?? REJECTED_EMPTY,
        );
        if (h.state === 'loading') h.tracked.push(settled);
        else void settled.then((e) => e !== undefined && this.kernel.log.err('module', `${h.name}: background work failed: ${describeThrown(e)}`));
      },
      refuseUnloadWhile: (check) => {
        if (typeof check !== 'function') throw kerr('EINVAL', `module ${h.name}: refuseUnloadWhile needs a function`);
        h.busyChecks.push(check);
      },
    };
    try {
      await underWatchdog(
        async () => {
          await h.descriptor.init(h.ctx);
          const failure = await trackedFailure(h);
          if (failure !== undefined) throw failure;
        },
        this.timeoutMs,
        `module ${h.name} init`,
      );
    } catch (e) {
      h.failed = true;
      await this.runCleanups(h);
      this.forget(h);
      const code = e instanceof KernelError ? e.code : 'EIO';
      const why = e instanceof KernelError ? e.detail : describeThrown(e);
      const err = kerr(code, `module ${h.name} init failed: ${why}`, e);
      h.settle(err);
      throw err;
    }
    h.state = 'live';
    h.settle();
    this.kernel.log.info('module', `loaded ${h.name} ${h.version}`);
    this.kernel.lifecycle.fire('module:loaded', { module: h.name, version: h.version });
    return h;
  }

  private handle(descriptor: ModuleDescriptor & { readonly version: string }, packageName: string | undefined): Handle {
    return new Handle(descriptor.name, descriptor.version, packageName, descriptor);
  }

  /**
   * try_module_get: false if the module is going away or gone (a module still in its init may be got), or if its
   * count is 0 (a put too many took the base: the kernel's increment-unless-zero fails, silently). The core is undefined.
   */
  tryModuleGet(m: ModuleHandle | undefined): boolean {
    if (m === undefined) return true;
    const h = m as Handle;
    const v = h.refcnt;
    if (v === 0 || h.state === 'going' || !h.listed) return false;
    h.refcnt = v + 1;
    return true;
  }

  /**
   * module_put, as the kernel's decrement-if-positive: a put with no reference held takes the base (1 to 0) without
   * a word, as the kernel does; it shows as -1 references, no get succeeds after it, and rmmod then hits a BUG. Only
   * a put at 0 is a WARNING, and it changes nothing.
   */
  modulePut(m: ModuleHandle | undefined): void {
    if (m === undefined) return;
    const h = m as Handle;
    const v = h.refcnt;
    if (v > 0) h.refcnt = v - 1;
    else this.kernel.warnRefcount(`module_put of ${h.name}: Failed to put refcount (it is 0: the module holds no reference and no base)`);
  }

  /**
   * rmmod (delete_module), its refusals in the kernel's order: dependents (EWOULDBLOCK), a module coming or going
   * (EBUSY), a count a put too many took below its base (the BUG), references held (EWOULDBLOCK). delete_module's
   * flags would change nothing: O_NONBLOCK has been ignored since Linux 3.13, and O_TRUNC forces only in a kernel
   * built with CONFIG_MODULE_FORCE_UNLOAD, which this one is not. Otherwise exit and cleanups (ETIMEDOUT if exit hangs).
   */
  async unload(name: string): Promise<void> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 214)
      throw kerr('EINVAL', 'module name must be a non-empty string of at most 214 characters');
    const h = this.get(name) as Handle | undefined;
    if (!h) throw kerr('ENOENT', `module ${name} is not loaded`);
    if (h.userSet.size > 0) throw kerr('EWOULDBLOCK', `module ${h.name} is in use by ${[...h.userSet].join(', ')}; unload those first`);
    if (h.state !== 'live') throw kerr('EBUSY', `module ${h.name} is ${h.state}`);
    if (h.refcnt === 0) throw this.releaseBelowBase(h);
    if (h.refs > 0) throw kerr('EWOULDBLOCK', `module ${h.name} is in use (${h.refs} reference(s), e.g. open perf events); close them first`);
    for (const check of h.busyChecks) {
      let reason: string | undefined;
      try {
        reason = check();
      } catch (e) {
        reason = `its busy check failed: ${describeThrown(e)}`;
      }
      if (reason !== undefined) throw kerr('EWOULDBLOCK', `module ${h.name} is busy: ${reason}`);
    }
    h.state = 'going';
    let exitError: KernelError | undefined;
    try {
      await underWatchdog(() => h.descriptor.exit(h.ctx), this.timeoutMs, `module ${h.name} exit`);
    } catch (e) {
      exitError = asKernelError(e, 'EIO', `exit of ${h.name}`);
      this.kernel.log.err('module', `exit of ${h.name} failed: ${exitError.detail}`);
    }
    await this.runCleanups(h);
    this.forget(h);
    this.kernel.log.info('module', `unloaded ${h.name}`);
    this.kernel.lifecycle.fire('module:unloaded', { module: h.name });
    if (exitError?.code === 'ETIMEDOUT') throw exitError;
  }

  /**
   * rmmod of a module whose count a put too many took to 0: the kernel's release of the base reference finds it below
   * the base and hits a BUG, which kills the rmmod task (with the module mutex held). Here the oops is logged and the
   * unload fails with EIO, changing nothing: the module stays loaded, its count at 0.
   */
  private releaseBelowBase(h: Handle): KernelError {
    const what = `module ${h.name}'s reference count is below its base: a module_put was made without a reference`;
    this.kernel.log.err(
      'module',
      `kernel BUG at kernel/module/main.c: try_release_module_ref: ${what}\nCall Trace:\n try_release_module_ref\n try_stop_module\n __arm64_sys_delete_module`,
    );
    return kerr('EIO', `rmmod ${h.name}: kernel BUG (${what}); the kernel kills the rmmod task here, and the module stays loaded`);
  }

  private forget(h: Handle): void {
    if (this.modules.get(h.name) === h) this.modules.delete(h.name);
    h.listed = false;
    h.markGone();
    for (const d of h.descriptor.depends ?? []) this.modules.get(d)?.userSet.delete(h.name);
  }

  private async runCleanup(h: Handle, fn: () => void | Promise<void>): Promise<void> {
    try {
      await underWatchdog(fn, this.timeoutMs, `a cleanup of module ${h.name}`);
    } catch (e) {
      this.kernel.log.err('module', `cleanup of ${h.name} failed: ${asKernelError(e, 'EIO', 'cleanup').detail}`);
    }
  }

  private async runCleanups(h: Handle): Promise<void> {
    for (let fn = h.cleanups.pop(); fn; fn = h.cleanups.pop()) await this.runCleanup(h, fn);
  }
}
