// Hardening: plugin lifetime (watchdogs, thrown values, tracked registrations), odd module-root entries, one load per module.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKernel, type ModuleLoader, TOKENS } from '@cspmu/kernel';
import { MAX_ROOT_ENTRIES, PluginDiscovery } from '@cspmu/plugin-discovery';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { ROOT } from './helpers/cli.js';
import { rejects } from './helpers/errors.js';

function plugin(root: string, pkg: string, module: string, source: string): void {
  const dir = join(root, 'node_modules', pkg);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: pkg, version: '1.0.0', type: 'module', exports: './index.js', cspmu: { module, apiVersion: 1 } }),
  );
  writeFileSync(join(dir, 'index.js'), source);
}

const mod = (name: string, init: string, exit = '') => `
const log = { push: (x) => (globalThis.__cspmuLife ??= []).push(x) };
export default { name: '${name}', version: '1.0.0', apiVersion: 1,
  async init(ctx) { ctx.onCleanup(() => { log.push('cleanup ${name}'); }); ${init} },
  async exit() { ${exit} } };`;

const root = mkdtempSync(join(tmpdir(), 'cspmu-life-'));
plugin(root, 'hang-init', 'hang_init', mod('hang_init', 'await new Promise(() => {});'));
plugin(root, 'hang-exit', 'hang_exit', mod('hang_exit', '', 'await new Promise(() => {});'));
plugin(
  root,
  'weird-throw',
  'weird_throw',
  mod('weird_throw', "ctx.onCleanup(() => { throw { toString() { throw new Error('no text'); } }; }); throw Object.create(null);"),
);
plugin(root, 'proxy-desc', 'proxy_desc', 'const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); export default proxy;');
plugin(root, 'getter-desc', 'getter_desc', "export default { get name() { throw new TypeError('boom'); } };");
plugin(root, 'good', 'good_mod', mod('good_mod', "log.push('init good_mod');"));
plugin(root, 'hang-cleanup', 'hang_cleanup', mod('hang_cleanup', 'ctx.onCleanup(() => new Promise(() => {}));'));
plugin(root, 'busy', 'busy_mod', mod('busy_mod', 'ctx.refuseUnloadWhile(() => globalThis.__cspmuBusy);', "log.push('exit busy_mod');"));
// Odd entries: a stray file where a scope should be, a FIFO package.json, a package.json that is /dev/zero, a huge one.
writeFileSync(join(root, 'node_modules', '@x'), 'not a directory');
mkdirSync(join(root, 'node_modules', 'fifo-pkg'));
execFileSync('mkfifo', [join(root, 'node_modules', 'fifo-pkg', 'package.json')]);
mkdirSync(join(root, 'node_modules', 'zero-pkg'));
symlinkSync('/dev/zero', join(root, 'node_modules', 'zero-pkg', 'package.json'));
mkdirSync(join(root, 'node_modules', 'huge-pkg'));
writeFileSync(join(root, 'node_modules', 'huge-pkg', 'package.json'), JSON.stringify({ name: 'huge-pkg', pad: 'x'.repeat(2 * 1024 * 1024) }));
// A backend plugin that registers a bad backend and does not await it (arm-cspmu resolved through a link, as npm would).
mkdirSync(join(root, 'node_modules', '@cspmu'), { recursive: true });
symlinkSync(join(ROOT, 'packages', 'arm-cspmu'), join(root, 'node_modules', '@cspmu', 'arm-cspmu'));
plugin(
  root,
  'unawaited',
  'unawaited_cspmu',
  `import { registerBackend, ARM_CSPMU_MODULE } from '@cspmu/arm-cspmu';
export default { name: 'unawaited_cspmu', version: '1.0.0', apiVersion: 1, depends: [ARM_CSPMU_MODULE],
  init(ctx) { registerBackend(ctx, { name: 'unawaited_cspmu', match: { implementer: 0x80 }, init: () => ({}) }); },
  exit() {} };`,
);

const log = () => ((globalThis as Record<string, unknown>)['__cspmuLife'] ??= []) as string[];

function loaderFor(timeoutMs = 100) {
  const { kernel, container } = createKernel({ plugins: new PluginDiscovery({ roots: [root] }), moduleTimeoutMs: timeoutMs });
  return { kernel, loader: container.get<ModuleLoader>(TOKENS.Modules) };
}

describe('Hardening: plugin lifetime', () => {
  beforeEach(() => ((globalThis as Record<string, unknown>)['__cspmuLife'] = []));

  it('an init that never settles ends in ETIMEDOUT; the module is cleaned up and forgotten, and loads again fail the same way', async () => {
    const { loader } = loaderFor();
    const e = await rejects(loader.load('hang_init'));
    expect(e.code).to.equal('ETIMEDOUT');
    expect(e.message).to.contain('module hang_init init did not finish within 100 ms');
    expect(log()).to.deep.equal(['cleanup hang_init']);
    expect(loader.list()).to.deep.equal([]);
    expect((await rejects(loader.load('hang-init'))).code).to.equal('ETIMEDOUT');
  });

  it('an exit that never settles ends in ETIMEDOUT; cleanups still run and the module is gone', async () => {
    const { loader } = loaderFor();
    await loader.load('hang_exit');
    expect((await rejects(loader.unload('hang_exit'))).code).to.equal('ETIMEDOUT');
    expect(log()).to.deep.equal(['cleanup hang_exit']);
    expect(loader.get('hang_exit')).to.equal(undefined);
  });

  it('a machine whose plugin exit never settles still shuts down, logging the ETIMEDOUT', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', moduleRoots: [root], installed: ['hang-exit'], plugins: ['hang_exit'], moduleTimeoutMs: 100 });
    expect(m.modules.get('hang_exit')?.state).to.equal('live');
    await m.shutdown();
    expect(m.modules.list()).to.deep.equal([]);
    expect(m.kernel.log.atLeast('err').map((r) => r.message)).to.deep.equal([
      'exit of hang_exit failed: module hang_exit exit did not finish within 100 ms; the module is marked failed and cleaned up',
    ]);
    expect(log()).to.deep.equal(['cleanup hang_exit']);
  });

  it('a cleanup that never settles ends in ETIMEDOUT, logged; the cleanups after it still run and the unload finishes', async () => {
    const { loader, kernel } = loaderFor();
    await loader.load('hang_cleanup');
    await loader.unload('hang_cleanup');
    expect(kernel.log.atLeast('err').map((r) => r.message)).to.deep.equal([
      'cleanup of hang_cleanup failed: a cleanup of module hang_cleanup did not finish within 100 ms; the module is marked failed and cleaned up',
    ]);
    expect(log()).to.deep.equal(['cleanup hang_cleanup']);
    expect(loader.get('hang_cleanup')).to.equal(undefined);
  });

  it('an init throwing a null-prototype object and a cleanup throwing an unprintable value fail the load, never leave it loading', async () => {
    const { loader, kernel } = loaderFor();
    const e = await rejects(loader.load('weird_throw'));
    expect(e.code).to.equal('EIO');
    expect(e.message).to.contain('module weird_throw init failed: a thrown object that cannot be turned into text');
    expect(loader.list()).to.deep.equal([]);
    expect(kernel.log.atLeast('err').map((r) => r.message)).to.include(
      'cleanup of weird_throw failed: cleanup: a thrown object that cannot be turned into text',
    );
    expect(log()).to.deep.equal(['cleanup weird_throw']);
  });

  it('a revoked Proxy or a throwing getter as the descriptor is EINVAL, not a TypeError', async () => {
    const { loader } = loaderFor();
    for (const name of ['proxy_desc', 'getter_desc']) {
      const e = await rejects(loader.load(name));
      expect(e.code).to.equal('EINVAL');
      expect(e.message).to.contain('the module descriptor cannot be read');
    }
  });

  it('odd module-root entries are skipped with a warning each; every other module still loads', async () => {
    const { loader, kernel } = loaderFor();
    expect((await loader.load('good')).state).to.equal('live');
    const warnings = kernel.log
      .atLeast('warn')
      .map((r) => r.message)
      .join('\n');
    expect(warnings).to.contain(`skipping ${join(root, 'node_modules', '@x')}: a scope must be a directory`);
    expect(warnings).to.contain("skipping fifo-pkg: EINVAL: package.json '");
    expect(warnings).to.contain('is a FIFO, not a regular file');
    expect(warnings).to.contain('is a character device, not a regular file');
    expect(warnings).to.match(/skipping huge-pkg: .* bytes, over the 1048576-byte cap/);
  });

  it(`a module root with more than ${MAX_ROOT_ENTRIES} entries is scanned up to the cap, with one warning`, () => {
    const wide = mkdtempSync(join(tmpdir(), 'cspmu-wide-'));
    const nm = join(wide, 'node_modules');
    mkdirSync(nm);
    for (let i = 0; i <= MAX_ROOT_ENTRIES; i++) writeFileSync(join(nm, `p${i}`), '');
    const warnings: string[] = [];
    try {
      expect(new PluginDiscovery({ roots: [wide] }).installed((w) => warnings.push(w))).to.deep.equal([]);
    } finally {
      execFileSync('rm', ['-rf', wide]);
    }
    expect(warnings).to.deep.equal([`${nm} holds more than ${MAX_ROOT_ENTRIES} packages; the rest are not scanned`]);
  });

  it('a load by module name and one by package name at the same time are one load', async () => {
    const { loader } = loaderFor();
    const [a, b] = await Promise.all([loader.load('good'), loader.load('good_mod')]);
    expect(a).to.equal(b);
    expect(log()).to.deep.equal(['init good_mod']);
  });

  it('on Grace, --plugin nvidia_cspmu and the automatic request by package name are the same load', async () => {
    const m = await Machine.boot({ platform: 'grace', plugins: ['nvidia_cspmu'] });
    expect(m.modules.get('nvidia_cspmu')?.state).to.equal('live');
    expect(m.modules.get('@cspmu/nvidia')).to.equal(m.modules.get('nvidia_cspmu'));
  });

  it("a registration the plugin did not await fails that plugin's load, not the process", async () => {
    const e = await rejects(Machine.boot({ platform: 'arm-generic', moduleRoots: [root], plugins: ['unawaited_cspmu'], installed: ['unawaited'] }));
    expect(e.code).to.equal('EINVAL');
    expect(e.message).to.contain('module unawaited_cspmu init failed: backend unawaited_cspmu: 0x80 is not a JEP106 code');
  });

  it('a module that says it is busy is refused with EWOULDBLOCK (in use) before its exit runs', async () => {
    const { loader } = loaderFor();
    await loader.load('busy_mod');
    (globalThis as Record<string, unknown>)['__cspmuBusy'] = 'dev0 has 1 open event(s)';
    const e = await rejects(loader.unload('busy_mod'));
    expect(e.code).to.equal('EWOULDBLOCK');
    expect(e.message).to.contain('module busy_mod is busy: dev0 has 1 open event(s)');
    expect(loader.get('busy_mod')?.state).to.equal('live');
    (globalThis as Record<string, unknown>)['__cspmuBusy'] = undefined;
    await loader.unload('busy_mod');
    expect(log()).to.deep.equal(['exit busy_mod', 'cleanup busy_mod']);
  });

  it('unloading arm_generic_cspmu while one of its PMUs has an open event is EWOULDBLOCK up front: nothing is unbound, no cleanup fails', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    const before = m.driver.bindings();
    const [ev] = m.open('arm_cspmu_cache_3/cycles/');
    const e = await rejects(m.unload('arm_generic_cspmu'));
    expect([e.code, e.message]).to.deep.equal([
      'EWOULDBLOCK',
      'EWOULDBLOCK: module arm_generic_cspmu is in use (1 reference(s), e.g. open perf events); close them first',
    ]);
    expect(m.modules.get('arm_generic_cspmu')?.state).to.equal('live');
    expect(m.driver.bindings()).to.deep.equal(before.map((b) => (b.pmu === 'arm_cspmu_cache_3' ? { ...b, events: 1 } : b)));
    expect(m.kernel.log.atLeast('err')).to.deep.equal([]);
    await m.perf.close(ev!);
    await m.unload('arm_generic_cspmu');
    expect(m.kernel.log.atLeast('err')).to.deep.equal([]);
  });

  it('a backend whose device has an open event reports it busy, naming the PMU', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const [ev] = m.open('nvidia_scf_pmu_0/cycles/');
    const backend = m.driver.bindings().find((b) => b.pmu === 'nvidia_scf_pmu_0')!.backend;
    expect(m.driver.backendBusy(backend)).to.equal('nvidia_scf_pmu_0 has 1 open event(s); close them before unloading');
    await m.perf.close(ev!);
    expect(m.driver.backendBusy(backend)).to.equal(undefined);
  });
});
