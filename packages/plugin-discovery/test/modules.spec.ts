// Tests of plugin discovery and loading: claims from package.json, references, unload refusals and a module_put too many.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKernel, KernelError, type ModuleHandle, type ModuleLoader, TOKENS } from '@cspmu/kernel';
import { expect } from 'chai';
import { checkModuleName, PluginDiscovery } from '../src/index.js';
import { rejects } from './expect-error.js';

/** Write a plugin package into root/node_modules. */
function plugin(root: string, pkg: string, manifest: object | undefined, source: string): void {
  const dir = join(root, 'node_modules', pkg);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: pkg, version: '1.2.3', type: 'module', exports: './index.js', ...(manifest ? { cspmu: manifest } : {}) }),
  );
  writeFileSync(join(dir, 'index.js'), source);
}

const descriptor = (name: string, body = '', api = 1) => `
const registered = globalThis.__cspmuFixture ??= [];
export default {
  name: '${name}', version: '1.2.3', apiVersion: ${api},
  async init(ctx) { ${body} registered.push('init ${name}'); ctx.onCleanup(() => registered.push('cleanup ${name}')); },
  async exit() { registered.push('exit ${name}'); },
};`;

function fixtures(): string {
  const root = mkdtempSync(join(tmpdir(), 'cspmu-mod-'));
  plugin(root, '@fx/good', { module: 'good_mod', apiVersion: 1, claims: [{ subsystem: 'arm-cspmu', implementer: '0x36b' }] }, descriptor('good_mod'));
  plugin(
    root,
    'failing',
    { module: 'failing_mod', apiVersion: 1 },
    descriptor(
      'failing_mod',
      "globalThis.__cspmuFailedModule = ctx.module; ctx.onCleanup(() => registered.push('undo partial')); throw new Error('backend registration error: -22');",
    ),
  );
  plugin(root, 'oldapi', { module: 'old_mod', apiVersion: 0 }, descriptor('old_mod', '', 0));
  plugin(root, 'shapeless', { module: 'shapeless_mod', apiVersion: 1 }, 'export default { name: "shapeless_mod" };');
  plugin(root, 'plain', undefined, 'export default 1;');
  plugin(
    root,
    'dependent',
    { module: 'dependent_mod', apiVersion: 1 },
    descriptor('dependent_mod').replace('apiVersion: 1,', "apiVersion: 1, depends: ['good_mod'],"),
  );
  const outside = mkdtempSync(join(tmpdir(), 'cspmu-outside-'));
  writeFileSync(join(outside, 'package.json'), JSON.stringify({ name: 'escape', cspmu: { module: 'escape_mod', apiVersion: 1 }, exports: './index.js' }));
  writeFileSync(join(outside, 'index.js'), descriptor('escape_mod'));
  symlinkSync(outside, join(root, 'node_modules', 'escape'));
  return root;
}

function loaderFor(root: string) {
  const { kernel, container } = createKernel({ plugins: new PluginDiscovery({ roots: [root] }) });
  return { kernel, loader: container.get<ModuleLoader>(TOKENS.Modules) };
}

describe('Plugin modules', () => {
  const root = fixtures();
  beforeEach(() => ((globalThis as Record<string, unknown>).__cspmuFixture = []));
  const log = () => (globalThis as unknown as { __cspmuFixture: string[] }).__cspmuFixture;

  it('finds installed plugins and their claims from package.json alone', () => {
    const { loader } = loaderFor(root);
    expect(
      loader
        .installed()
        .map((m) => m.manifest.module)
        .sort(),
    ).to.deep.equal(['dependent_mod', 'escape_mod', 'failing_mod', 'good_mod', 'old_mod', 'shapeless_mod']);
    expect(loader.claimants('arm-cspmu', (c) => c.implementer === '0x36b').map((m) => m.packageName)).to.deep.equal(['@fx/good']);
    expect(log()).to.deep.equal([]);
  });

  it('loads by package or module name, counts references, and refuses unload while referenced', async () => {
    const { loader, kernel } = loaderFor(root);
    const rec = kernel.lifecycle.record();
    const m = await loader.load('@fx/good');
    expect(m).to.include({ name: 'good_mod', version: '1.2.3', packageName: '@fx/good', state: 'live' });
    expect(await loader.load('good_mod')).to.equal(m);
    expect(loader.tryModuleGet(m)).to.equal(true);
    expect(m.refs).to.equal(1);
    const busy = await rejects(loader.unload('good_mod'));
    // delete_module's answer for a module in use: EWOULDBLOCK, not EBUSY (that is for a module coming or going).
    expect([busy.code, busy.errno]).to.deep.equal(['EWOULDBLOCK', 11]);
    expect(busy.message).to.contain('1 reference(s)');
    loader.modulePut(m);
    await loader.unload('good_mod');
    expect(loader.get('good_mod')).to.equal(undefined);
    expect(loader.tryModuleGet(m)).to.equal(false);
    expect(log()).to.deep.equal(['init good_mod', 'exit good_mod', 'cleanup good_mod']);
    expect(rec.records.map((r) => r.name)).to.deep.equal(['module:loaded', 'module:unloaded']);
  });

  it("module_put is the kernel's decrement-if-positive: a put with no reference takes the base without a word, no get succeeds after it, a put at 0 warns, and rmmod hits a BUG", async () => {
    const { loader, kernel } = loaderFor(root);
    const m = await loader.load('@fx/good');
    const warnings = () => kernel.log.atLeast('warn').map((r) => `${r.level} ${r.subsystem}: ${r.message}`);
    const misuse: unknown[] = [];
    kernel.lifecycle.on('refcount:misuse', (e) => void misuse.push(e));
    expect(loader.tryModuleGet(m)).to.equal(true);
    loader.modulePut(m);
    expect(m.refs).to.equal(0);
    // One put too many takes the count from 1 to 0: the kernel warns only when the count was 0 already.
    kernel.calls.run('module_put', () => loader.modulePut(m), ['perf_release', '_free_event']);
    expect(m.refs).to.equal(-1);
    expect(warnings()).to.deep.equal([]);
    // Its increment-unless-zero fails from then on, silently, though the module is live.
    expect(m.state).to.equal('live');
    expect(loader.tryModuleGet(m)).to.equal(false);
    expect([m.refs, warnings()]).to.deep.equal([-1, []]);
    // A put at 0 is the WARNING, and moves nothing.
    kernel.calls.run('module_put', () => loader.modulePut(m), ['perf_release', '_free_event']);
    const warning =
      'module_put of good_mod: Failed to put refcount (it is 0: the module holds no reference and no base)\nCall Trace:\n module_put\n _free_event\n perf_release';
    expect(warnings()).to.deep.equal([`warn refcount: WARNING: ${warning}`]);
    expect(misuse).to.deep.equal([{ message: warning.split('\n')[0] }]);
    expect(m.refs).to.equal(-1);
    // rmmod: releasing the base finds the count below it, a BUG. The unload fails with EIO and changes nothing.
    const err = await rejects(loader.unload('good_mod'));
    const what = "module good_mod's reference count is below its base: a module_put was made without a reference";
    expect([err.code, err.message]).to.deep.equal([
      'EIO',
      `EIO: rmmod good_mod: kernel BUG (${what}); the kernel kills the rmmod task here, and the module stays loaded`,
    ]);
    expect(warnings().slice(1)).to.deep.equal([
      `err module: kernel BUG at kernel/module/main.c: try_release_module_ref: ${what}\nCall Trace:\n try_release_module_ref\n try_stop_module\n __arm64_sys_delete_module`,
    ]);
    expect([loader.get('good_mod'), m.state, m.refs]).to.deep.equal([m, 'live', -1]);
  });

  it('requestModule returns at once and loads in the background', async () => {
    const { loader, kernel } = loaderFor(root);
    const loaded = new Promise((r) => kernel.lifecycle.once('module:loaded', r));
    loader.requestModule('good_mod');
    expect(loader.get('good_mod')).to.equal(undefined);
    expect(await loaded).to.deep.equal({ module: 'good_mod', version: '1.2.3' });
    expect(loader.get('good_mod')?.state).to.equal('live');
  });

  it('leaves nothing registered when init fails', async () => {
    const { loader } = loaderFor(root);
    const err = await rejects(loader.load('failing'));
    expect(err.message).to.contain('module failing_mod init failed: backend registration error: -22');
    expect(log()).to.deep.equal(['undo partial']);
    expect(loader.get('failing_mod')).to.equal(undefined);
    // Its handle never went live nor 'going': it is refused because the loader forgot it (a PMU it left behind cannot be opened).
    const handle = (globalThis as { __cspmuFailedModule?: ModuleHandle }).__cspmuFailedModule!;
    expect(handle.state).to.equal('loading');
    expect(loader.tryModuleGet(handle)).to.equal(false);
  });

  it('names both API versions on a mismatch and validates the export shape', async () => {
    const { loader } = loaderFor(root);
    const api = await rejects(loader.load('oldapi'));
    expect(api.message).to.contain('built for plugin API version 0, but this host speaks version 1');
    const shape = await rejects(loader.load('shapeless'));
    expect(shape.message).to.contain('lacks or has a wrong version (a string), apiVersion (an integer), init (a function), exit (a function)');
    const plain = await rejects(loader.load('plain'));
    expect(plain.message).to.contain('has no "cspmu" manifest');
  });

  it('refuses paths, URLs, builtins and traversal before resolving anything', async () => {
    const { loader } = loaderFor(root);
    for (const bad of [
      './x',
      '../x',
      '/abs/x',
      'file:///etc/passwd',
      'https://evil/x',
      'node:fs',
      'fs',
      'a/../b',
      '@fx/good/../../x',
      'pkg/deep',
      'C:\\x',
      '',
      '~user',
    ]) {
      expect(() => checkModuleName(bad), bad).to.throw(KernelError, /EINVAL/);
      const e = await rejects(loader.load(bad));
      expect(e.code, bad).to.equal('EINVAL');
    }
  });

  it('refuses a package whose directory escapes the module roots', async () => {
    const { loader } = loaderFor(root);
    const e = await rejects(loader.load('escape'));
    expect(e.code).to.equal('EACCES');
    expect(e.message).to.contain('outside the module roots');
  });

  it('keeps a module loaded while a dependent uses it', async () => {
    const { loader } = loaderFor(root);
    const dep = await rejects(loader.load('dependent'));
    expect(dep.message).to.contain('needs module good_mod, which is not loaded');
    await loader.load('good_mod');
    await loader.load('dependent');
    const busy = await rejects(loader.unload('good_mod'));
    expect(busy.code).to.equal('EWOULDBLOCK');
    expect(busy.message).to.contain('in use by dependent_mod');
    await loader.unload('dependent_mod');
    await loader.unload('good_mod');
  });

  it('reports an unknown module with what is installed', async () => {
    const { loader } = loaderFor(root);
    const e = await rejects(loader.load('nvidia_cspmu'));
    expect(e.code).to.equal('ENOENT');
    expect(e.message).to.contain('good_mod (@fx/good)');
  });

  it('a module that is there but throws while being imported is ENOEXEC, saying so; one whose file or import is missing is ENOENT', async () => {
    const own = mkdtempSync(join(tmpdir(), 'cspmu-mod-'));
    plugin(own, 'throwing', { module: 'throwing_mod', apiVersion: 1 }, "throw new Error('no device table');");
    plugin(own, 'garbled', { module: 'garbled_mod', apiVersion: 1 }, 'export default {');
    plugin(own, 'needy', { module: 'needy_mod', apiVersion: 1 }, "import 'not-installed-anywhere';");
    plugin(own, 'unbuilt', { module: 'unbuilt_mod', apiVersion: 1 }, '');
    rmSync(join(own, 'node_modules', 'unbuilt', 'index.js'));
    const { kernel, loader } = loaderFor(own);
    const rec = kernel.lifecycle.record();
    const entry = (pkg: string) => join(realpathSync(own), 'node_modules', pkg, 'index.js');
    const thrown = await rejects(loader.load('throwing_mod'));
    expect([thrown.code, thrown.message]).to.deep.equal([
      'ENOEXEC',
      `ENOEXEC: module throwing_mod (throwing): ${entry('throwing')} threw while being imported, so it is not a module: no device table; fix the module's code or rebuild its package, then load it again`,
    ]);
    const garbled = await rejects(loader.load('garbled_mod'));
    expect(garbled.code).to.equal('ENOEXEC');
    expect(garbled.message).to.match(
      /^ENOEXEC: module garbled_mod \(garbled\): .* threw while being imported, so it is not a module: .+; fix the module's code/,
    );
    const needy = await rejects(loader.load('needy_mod'));
    expect(needy.code).to.equal('ENOENT');
    expect(needy.message).to.match(
      /^ENOENT: module needy_mod \(needy\): import of .* failed: .*not-installed-anywhere.*; install what it imports, or rebuild its package$/,
    );
    const unbuilt = await rejects(loader.load('unbuilt_mod'));
    expect(unbuilt.code).to.equal('ENOENT');
    expect(unbuilt.message).to.contain('is the package built?');
    rec.stop();
    expect(rec.records.filter((r) => r.name === 'module:load-failed').map((r) => (r.payload as { module: string; errno: string }).errno)).to.deep.equal([
      'ENOEXEC',
      'ENOEXEC',
      'ENOENT',
      'ENOENT',
    ]);
    expect(loader.list()).to.deep.equal([]);
  });
});
