import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { asKernelError, kerr, KernelError } from '../base/errors.js';
import type { Kernel } from '../kernel.js';
import type { Refcount } from '../locking/refcount.js';
import { checkModuleName, MODULE_NAME } from './names.js';
import type { InstalledModule, ModuleClaim, ModuleContext, ModuleDescriptor, ModuleHandle, ModuleManifest, ModuleState } from './types.js';

export interface ModuleLoaderOptions {
  /** Directories whose node_modules hold plugins (the workspace root, usually). Nothing outside is loaded. */
  readonly roots: readonly string[];
  /** The plugin API version this host speaks. */
  readonly apiVersion: number;
  /** Machine services modules may look up by token. */
  readonly services: (token: symbol) => unknown;
  /** Which plugin packages count as installed (default: every one found in the roots). */
  readonly installed?: (packageName: string) => boolean;
}

class Handle implements ModuleHandle {
  state: ModuleState = 'loading';
  /** refcount_t biased by one (MODULE_REF_BASE): 1 means no references. */
  refcnt!: Refcount;
  readonly userSet = new Set<string>();
  readonly cleanups: (() => void | Promise<void>)[] = [];
  ctx!: ModuleContext;
  /** Settles when init has finished (resolved) or failed (rejected). */
  readonly ready: Promise<void>;
  settle!: (error?: unknown) => void;
  /** Resolves when the module has been forgotten (unloaded or failed). */
  readonly gone: Promise<void>;
  markGone!: () => void;
  constructor(
    readonly name: string,
    readonly version: string,
    readonly packageName: string | undefined,
    readonly descriptor: ModuleDescriptor,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.ready.catch(() => undefined);
    this.gone = new Promise<void>((resolve) => (this.markGone = resolve));
  }
  get users(): string[] {
    return [...this.userSet];
  }
  get refs(): number {
    return this.refcnt.count - 1;
  }
}

/** What a module root's node_modules holds, by root (a cache of the filesystem, like a dentry cache; rescan() drops it). */
const scanCache = new Map<string, InstalledModule[]>();

function scanRoot(root: string, warn: (msg: string) => void): InstalledModule[] {
  const cached = scanCache.get(root);
  if (cached) return cached;
  const found: InstalledModule[] = [];
  const nm = join(root, 'node_modules');
  if (existsSync(nm)) {
    const candidates: string[] = [];
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const sub of readdirSync(join(nm, entry))) candidates.push(`${entry}/${sub}`);
      } else candidates.push(entry);
    }
    for (const packageName of candidates) {
      const pj = join(nm, packageName, 'package.json');
      let json: { name?: string; version?: string; cspmu?: unknown };
      try {
        json = JSON.parse(readFileSync(pj, 'utf8'));
      } catch {
        continue;
      }
      if (json.cspmu === undefined) continue;
      try {
        const manifest = checkManifest(json.cspmu, packageName);
        found.push({ packageName, dir: join(nm, packageName), version: json.version ?? '0.0.0', manifest });
      } catch (e) {
        warn(`ignoring ${packageName}: ${asKernelError(e, 'EINVAL', 'manifest').detail}`);
      }
    }
  }
  scanCache.set(root, found);
  return found;
}

function inside(child: string, parent: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

function checkManifest(m: unknown, pkg: string): ModuleManifest {
  const o = m as Partial<ModuleManifest>;
  if (typeof o !== 'object' || o === null) throw kerr('EINVAL', `${pkg}: "cspmu" in package.json must be an object`);
  if (typeof o.module !== 'string' || !MODULE_NAME.test(o.module)) throw kerr('EINVAL', `${pkg}: cspmu.module must be a module name like nvidia_cspmu`);
  if (!Number.isInteger(o.apiVersion)) throw kerr('EINVAL', `${pkg}: cspmu.apiVersion must be an integer`);
  if (o.claims !== undefined && (!Array.isArray(o.claims) || o.claims.some((c) => typeof c?.subsystem !== 'string'))) {
    throw kerr('EINVAL', `${pkg}: cspmu.claims must be a list of objects with a 'subsystem'`);
  }
  return o as ModuleManifest;
}

/**
 * Plugin modules: installed packages with a `"cspmu"` manifest, loaded by
 * dynamic import, with module references (try_module_get/module_put),
 * dependencies, and unload refused with EBUSY while referenced. Names are
 * checked before anything is resolved and resolution stays inside the roots.
 */
export class ModuleLoader {
  private readonly modules = new Map<string, Handle>();
  private readonly loading = new Map<string, Promise<ModuleHandle>>();
  private scanned: InstalledModule[] | undefined;
  private readonly realRoots: string[];

  constructor(
    private readonly kernel: Kernel,
    private readonly options: ModuleLoaderOptions,
  ) {
    this.realRoots = options.roots.map((r) => {
      if (!isAbsolute(r)) throw kerr('EINVAL', `module root '${r}' must be an absolute path`);
      return existsSync(r) ? realpathSync(r) : r;
    });
  }

  get apiVersion(): number {
    return this.options.apiVersion;
  }

  /** Every installed plugin package in the roots (read from package.json only). */
  installed(): readonly InstalledModule[] {
    if (this.scanned) return this.scanned;
    const found = new Map<string, InstalledModule>();
    for (const root of this.realRoots) {
      for (const m of scanRoot(root, (msg) => this.kernel.log.warn('module', msg))) {
        if (found.has(m.packageName)) continue;
        if (this.options.installed && !this.options.installed(m.packageName)) continue;
        found.set(m.packageName, m);
      }
    }
    this.scanned = [...found.values()];
    return this.scanned;
  }

  /** Forget the scan (after installing or removing packages). */
  rescan(): void {
    this.scanned = undefined;
    for (const r of this.realRoots) scanCache.delete(r);
  }

  /** Installed modules whose manifest has a claim for `subsystem` that `match` accepts. */
  claimants(subsystem: string, match: (claim: ModuleClaim) => boolean): InstalledModule[] {
    return this.installed().filter((m) => m.manifest.claims?.some((c) => c.subsystem === subsystem && match(c)));
  }

  /** A module built into the host (no package), live at once. */
  async registerBuiltin(descriptor: ModuleDescriptor): Promise<ModuleHandle> {
    this.checkDescriptor(descriptor, descriptor?.name, undefined);
    return this.start(this.handle(descriptor, undefined));
  }

  get(name: string): ModuleHandle | undefined {
    return this.modules.get(name) ?? [...this.modules.values()].find((m) => m.packageName === name);
  }

  list(): ModuleHandle[] {
    return [...this.modules.values()];
  }

  /** request_module_nowait: start loading and return at once; failures are logged and fired. */
  requestModule(name: string): void {
    this.kernel.lifecycle.fire('module:requested', { module: String(name) });
    // modprobe runs in a task of its own: nothing the requester holds is held by the load.
    this.kernel.lockdep.runDetached(() => void this.load(name).catch(() => undefined));
  }

  /** Load a module by package name or module name; resolves when its init has finished. */
  load(name: string): Promise<ModuleHandle> {
    let checked: string;
    try {
      checked = checkModuleName(name);
    } catch (e) {
      const err = e as Error;
      this.kernel.lifecycle.fire('module:load-failed', { module: String(name), errno: 'EINVAL', message: err.message });
      return Promise.reject(err);
    }
    const existing = this.get(checked);
    if (existing && existing.state === 'live') return Promise.resolve(existing);
    const inflight = this.loading.get(checked);
    if (inflight) return inflight;
    const p = this.doLoad(checked).finally(() => this.loading.delete(checked));
    this.loading.set(checked, p);
    return p;
  }

  /** Resolves once no load is in flight (including loads started meanwhile). */
  async whenIdle(): Promise<void> {
    while (this.loading.size > 0) await Promise.allSettled([...this.loading.values()]);
  }

  private async doLoad(name: string): Promise<ModuleHandle> {
    try {
      const y = this.kernel.yieldPoint?.();
      if (y !== undefined) await y;
      const pkg = this.findPackage(name);
      const entry = this.resolveEntry(pkg);
      let ns: { default?: unknown };
      try {
        ns = await import(pathToFileURL(entry).href);
      } catch (e) {
        throw kerr('ENOENT', `module ${pkg.manifest.module} (${pkg.packageName}): import of ${entry} failed: ${(e as Error).message}`, e);
      }
      const descriptor = ns.default as ModuleDescriptor;
      this.checkDescriptor(descriptor, pkg.manifest.module, pkg);
      // Like add_unformed_module: a module still going away is waited for, then loaded afresh.
      for (let old = this.modules.get(descriptor.name); old?.state === 'going'; old = this.modules.get(descriptor.name)) await old.gone;
      if (this.modules.has(descriptor.name)) throw kerr('EEXIST', `module ${descriptor.name} is already loaded (state ${this.modules.get(descriptor.name)!.state})`);
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
    this.modules.set(h.name, h);
    for (const d of deps) this.modules.get(d)!.userSet.add(h.name);
    h.ctx = {
      kernel: this.kernel,
      module: h,
      get: <T>(token: symbol) => {
        const s = this.options.services(token);
        if (s === undefined) throw kerr('ENOENT', `module ${h.name}: no service ${String(token)} on this machine`);
        return s as T;
      },
      onCleanup: (fn) => void h.cleanups.push(fn),
    };
    try {
      await h.descriptor.init(h.ctx);
    } catch (e) {
      await this.runCleanups(h);
      this.forget(h);
      h.settle(e ?? new Error('init failed'));
      const code = e instanceof KernelError ? e.code : 'EIO';
      const why = e instanceof KernelError ? e.detail : e instanceof Error ? e.message : String(e);
      throw kerr(code, `module ${h.name} init failed: ${why}`, e);
    }
    h.state = 'live';
    h.settle();
    this.kernel.log.info('module', `loaded ${h.name} ${h.version}`);
    this.kernel.lifecycle.fire('module:loaded', { module: h.name, version: h.version });
    return h;
  }

  private handle(descriptor: ModuleDescriptor, packageName: string | undefined): Handle {
    const h = new Handle(descriptor.name, descriptor.version, packageName, descriptor);
    h.refcnt = this.kernel.refcount(`module ${descriptor.name}`, 1);
    return h;
  }

  /** try_module_get: false if the module is going away or gone (a module still in its init may be got). The core is undefined. */
  tryModuleGet(m: ModuleHandle | undefined): boolean {
    if (m === undefined) return true;
    const h = m as Handle;
    if (h.state === 'going' || this.modules.get(h.name) !== h) return false;
    h.refcnt.inc();
    return true;
  }

  /**
   * module_put. A put with no reference held is a refcount_t underflow: it is
   * reported as a WARNING and the count saturates, so the module can never be
   * unloaded (a leak, instead of freeing code that is still in use).
   */
  modulePut(m: ModuleHandle | undefined): void {
    if (m === undefined) return;
    const h = m as Handle;
    if (h.refcnt.saturated) return;
    if (h.refcnt.count <= 1) h.refcnt.saturate('underflow; use-after-free');
    else h.refcnt.dec();
  }

  /** rmmod: refused with EBUSY while referenced or depended on; otherwise exit and cleanups. */
  async unload(name: string): Promise<void> {
    const h = this.get(checkModuleName(name)) as Handle | undefined;
    if (!h) throw kerr('ENOENT', `module ${name} is not loaded`);
    if (h.state !== 'live') throw kerr('EBUSY', `module ${h.name} is ${h.state}`);
    if (h.userSet.size > 0) throw kerr('EBUSY', `module ${h.name} is in use by ${[...h.userSet].join(', ')}; unload those first`);
    if (h.refs > 0) throw kerr('EBUSY', `module ${h.name} is in use (${h.refs} reference(s), e.g. open perf events); close them first`);
    h.state = 'going';
    try {
      await h.descriptor.exit(h.ctx);
    } catch (e) {
      this.kernel.log.err('module', `exit of ${h.name} failed: ${asKernelError(e, 'EIO', 'exit').detail}`);
    }
    await this.runCleanups(h);
    this.forget(h);
    this.kernel.log.info('module', `unloaded ${h.name}`);
    this.kernel.lifecycle.fire('module:unloaded', { module: h.name });
  }

  private forget(h: Handle): void {
    if (this.modules.get(h.name) === h) this.modules.delete(h.name);
    h.markGone();
    for (const d of h.descriptor.depends ?? []) this.modules.get(d)?.userSet.delete(h.name);
  }

  private async runCleanups(h: Handle): Promise<void> {
    for (let fn = h.cleanups.pop(); fn; fn = h.cleanups.pop()) {
      try {
        await fn();
      } catch (e) {
        this.kernel.log.err('module', `cleanup of ${h.name} failed: ${asKernelError(e, 'EIO', 'cleanup').detail}`);
      }
    }
  }

  private findPackage(name: string): InstalledModule {
    const all = this.installed();
    const pkg = all.find((m) => m.manifest.module === name) ?? all.find((m) => m.packageName === name);
    if (pkg) return pkg;
    for (const root of this.realRoots) {
      if (existsSync(join(root, 'node_modules', name, 'package.json'))) {
        throw kerr('EINVAL', `package ${name} is installed but is not a cspmu module (its package.json has no "cspmu" manifest)`);
      }
    }
    throw kerr('ENOENT', `no installed module '${name}' in ${this.realRoots.join(', ')}; install the package or check the name (installed: ${all.map((m) => `${m.manifest.module} (${m.packageName})`).join(', ') || 'none'})`);
  }

  private resolveEntry(pkg: InstalledModule): string {
    const dir = realpathSync(pkg.dir);
    if (!this.realRoots.some((r) => inside(dir, r))) throw kerr('EACCES', `module ${pkg.packageName} resolves to ${dir}, outside the module roots`);
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
    let rel: unknown = json.main ?? 'index.js';
    const ex = json.exports as Record<string, unknown> | string | undefined;
    if (typeof ex === 'string') rel = ex;
    else if (ex && typeof ex === 'object') {
      const dot = (ex['.'] ?? ex) as Record<string, unknown> | string;
      rel = typeof dot === 'string' ? dot : (dot['import'] ?? dot['default']);
      if (rel && typeof rel === 'object') rel = (rel as Record<string, unknown>)['default'];
    }
    if (typeof rel !== 'string') throw kerr('EINVAL', `module ${pkg.packageName}: cannot find its entry point in package.json`);
    const entry = join(dir, rel);
    if (!existsSync(entry)) throw kerr('ENOENT', `module ${pkg.packageName}: entry ${rel} does not exist (is the package built?)`);
    const real = realpathSync(entry);
    if (!inside(real, dirname(join(dir, 'package.json')))) throw kerr('EACCES', `module ${pkg.packageName}: entry ${rel} escapes the package directory`);
    return real;
  }

  private checkDescriptor(d: ModuleDescriptor, expectedName: string | undefined, pkg: InstalledModule | undefined): void {
    const where = pkg ? `${pkg.packageName}` : 'built-in module';
    if (typeof d !== 'object' || d === null) throw kerr('EINVAL', `${where}: the entry must default-export a module descriptor object`);
    const bad: string[] = [];
    if (typeof d.name !== 'string' || !MODULE_NAME.test(d.name)) bad.push('name (a module name)');
    if (typeof d.version !== 'string') bad.push('version (a string)');
    if (!Number.isInteger(d.apiVersion)) bad.push('apiVersion (an integer)');
    if (typeof d.init !== 'function') bad.push('init (a function)');
    if (typeof d.exit !== 'function') bad.push('exit (a function)');
    if (d.depends !== undefined && (!Array.isArray(d.depends) || d.depends.some((x) => typeof x !== 'string'))) bad.push('depends (a list of module names)');
    if (bad.length) throw kerr('EINVAL', `${where}: the module descriptor lacks or has a wrong ${bad.join(', ')}`);
    if (expectedName !== undefined && d.name !== expectedName) {
      throw kerr('EINVAL', `${where}: the descriptor is named '${d.name}' but the manifest says '${expectedName}'`);
    }
    const apis = [d.apiVersion, pkg?.manifest.apiVersion].filter((v) => v !== undefined);
    for (const v of apis) {
      if (v !== this.options.apiVersion) {
        throw kerr('EINVAL', `${where}: module ${d.name} is built for plugin API version ${v}, but this host speaks version ${this.options.apiVersion}; rebuild it against this host`);
      }
    }
  }
}
