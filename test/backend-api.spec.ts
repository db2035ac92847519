// The backend API boundary: what @cspmu/arm-cspmu's main entry exports, who may import the driver subpath, and the package claim check.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as api from '@cspmu/arm-cspmu';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { ROOT } from './helpers/cli.js';
import { rejects } from './helpers/errors.js';

const ENTRY_DTS = join(ROOT, 'packages', 'arm-cspmu', 'dist', 'src', 'index.d.ts');

/** The .d.ts files the public entry reaches through relative imports and re-exports. */
function reachableDts(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/from '(\.[^']+)\.js'/g)) visit(join(dirname(file), `${m[1]}.d.ts`));
  };
  visit(entry);
  return seen;
}

/** Source files (.ts, .mjs) under a directory, without dist and node_modules. */
function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'dist' || f === 'node_modules') return [];
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mjs)$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);

describe('Backend API: the public entry of @cspmu/arm-cspmu', () => {
  it('exports the backend API and nothing of the driver: six functions, the rest constants', () => {
    const entries = Object.entries(api);
    expect(
      entries
        .filter(([, v]) => typeof v === 'function')
        .map(([k]) => k)
        .sort(),
    ).to.deep.equal(['KernelError', 'defineBackend', 'defineBackendModule', 'formatField', 'kerr', 'registerBackend']);
    const constants = entries.filter(([, v]) => typeof v !== 'function').map(([k]) => k);
    expect(constants.filter((k) => !/^[A-Z][A-Z0-9_]*$/.test(k))).to.deep.equal([]);
    expect(constants).to.include.members([
      'PMCFGR',
      'PMCFGR_N',
      'PMCFGR_SIZE',
      'PMCFGR_SIZE_SHIFT',
      'PMCFGR_CC',
      'PMEVTYPER',
      'PMEVFILTR',
      'CYCLES_EVENT',
      'GENERIC_FORMATS',
      'CYCLES_ATTR',
      'GENERIC_BACKEND_NAME',
      'ARM_CSPMU_MODULE',
    ]);
    expect(constants).to.not.include.members(['ARM_CSPMU_TOKENS', 'DRIVER_NAME', 'BACKEND_CALL_SITES', 'CLAIM_SUBSYSTEM']);
  });

  it('index.d.ts reaches only backend API declarations: no driver, registry, instance, bus or kernel internals', () => {
    const files = reachableDts(ENTRY_DTS);
    expect([...files.keys()].map((f) => relative(dirname(ENTRY_DTS), f)).sort()).to.deep.equal([
      'api.d.ts',
      'backend-api.d.ts',
      'format-field.d.ts',
      'generic.d.ts',
      'index.d.ts',
      'regs.d.ts',
    ]);
    const all = [...files.values()].join('\n');
    for (const internal of [
      'ArmCspmuDriver',
      'ArmCspmu ',
      'ImplRegistry',
      'RegisteredBackend',
      'PlatformBus',
      'Device',
      'ModuleLoader',
      'Kernel,',
      'Kernel }',
      'Binding',
      'CounterMap',
      'PerfCore',
    ]) {
      expect(all, internal).to.not.contain(internal);
    }
    expect(files.get(ENTRY_DTS)).to.not.match(/export \* from '\.\/(driver|instance|registry|binding|sites|default-ops)/);
  });

  it('every BackendOps hook is documented: when it runs, and what the default does', () => {
    const text = readFileSync(join(ROOT, 'packages', 'arm-cspmu', 'src', 'backend-api.ts'), 'utf8');
    const body = text.slice(text.indexOf('export interface BackendOps'), text.indexOf('/** Which devices a backend serves'));
    const hooks = [...body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\?\(/g)];
    expect(hooks.map((h) => h[2])).to.have.length(11);
    for (const [, doc, name] of hooks) {
      expect(doc, name).to.match(/Runs /);
      expect(doc, name).to.match(/Default: /);
    }
  });

  it('NVIDIA, Arm generic and the Ampere example import only the public entry', () => {
    for (const dir of ['packages/nvidia/src', 'packages/arm-generic/src', 'examples/ampere-backend/src']) {
      const outside = sources(join(ROOT, dir))
        .flatMap(importsOf)
        .filter((s) => !s.startsWith('./'));
      expect([...new Set(outside)], dir).to.deep.equal(['@cspmu/arm-cspmu']);
    }
  });

  it('NVIDIA, Arm generic and the Ampere example build against the public entry alone: their only dependency and project reference', () => {
    for (const [dir, ref] of [
      ['packages/nvidia', '../arm-cspmu'],
      ['packages/arm-generic', '../arm-cspmu'],
      ['examples/ampere-backend', '../../packages/arm-cspmu'],
    ] as const) {
      const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      expect(Object.keys({ ...pkg['dependencies'], ...pkg['peerDependencies'] }), dir).to.deep.equal(['@cspmu/arm-cspmu']);
      const tsconfig = JSON.parse(readFileSync(join(ROOT, dir, 'tsconfig.json'), 'utf8')) as { references: { path: string }[] };
      expect(
        tsconfig.references.map((r) => r.path),
        dir,
      ).to.deep.equal([ref]);
    }
  });

  it('only @cspmu/system imports the driver subpath', () => {
    const users = ['packages', 'examples', 'bench', 'test']
      .flatMap((d) => sources(join(ROOT, d)))
      .filter((f) => importsOf(f).includes('@cspmu/arm-cspmu/driver'))
      .map((f) => relative(ROOT, f));
    expect(users).to.include('packages/system/src/machine.ts');
    expect(users.filter((f) => !f.startsWith('packages/system/src/'))).to.deep.equal([]);
  });

  it('formatField gives the format file text and reads the same bits out of an event', () => {
    const rank = api.formatField('rank', 'config1:8-23');
    const split = api.formatField('split', 'config:0-3,8-11');
    const attr = { config: 0xabcdn, config1: 0x12345678n, config2: 0n };
    const e = { attr } as unknown as api.PerfEvent;
    expect({ name: rank.name, format: rank.format }).to.deep.equal({ name: 'rank', format: 'config1:8-23' });
    expect(rank.value(e)).to.equal(0x3456n);
    expect(split.value(e)).to.equal(0xbdn);
    expect(() => api.formatField('x', 'config3:0-1')).to.throw(/must look like config1:8-23/);
    expect(() => api.formatField('x', 'config:9-2')).to.throw(/bit range 9-2/);
  });
});

describe('Backend API: a plugin says who it is once', function () {
  this.timeout(60000);
  const root = mkdtempSync(join(tmpdir(), 'cspmu-claims-'));
  mkdirSync(join(root, 'node_modules', '@cspmu'), { recursive: true });
  symlinkSync(join(ROOT, 'packages', 'arm-cspmu'), join(root, 'node_modules', '@cspmu', 'arm-cspmu'));
  const plugin = (pkg: string, module: string, claims: unknown[], implementer: number) => {
    const dir = join(root, 'node_modules', pkg);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: pkg, version: '2.3.4', type: 'module', exports: './index.js', cspmu: { module, apiVersion: 1, claims } }),
    );
    writeFileSync(
      join(dir, 'index.js'),
      `import { defineBackendModule } from '@cspmu/arm-cspmu';\nexport default defineBackendModule({ name: '${module}', match: { implementer: ${implementer} }, init: () => ({}) });\n`,
    );
  };
  plugin('acme-right', 'acme_right_cspmu', [{ subsystem: 'arm-cspmu', implementer: '0x36b' }], 0x36b);
  plugin('acme-wrong', 'acme_wrong_cspmu', [{ subsystem: 'arm-cspmu', implementer: '0x36b' }], 0xa16);

  it('loads a module whose package.json claim names what its backend matches, with the package version', async () => {
    const m = await Machine.boot({ platform: 'grace', moduleRoots: [root], installed: ['acme-right'] });
    try {
      await m.load('acme-right');
      expect(m.modules.get('acme_right_cspmu')).to.include({ version: '2.3.4', state: 'live' });
      expect(m.driver.bindings().filter((b) => b.backend === 'acme_right_cspmu')).to.have.length(10);
    } finally {
      await m.shutdown();
    }
  });

  it('refuses a module whose backend serves another implementer than its package.json claims', async () => {
    const m = await Machine.boot({ platform: 'grace', moduleRoots: [root], installed: ['acme-wrong'] });
    try {
      const e = await rejects(m.load('acme-wrong'));
      expect(e.code).to.equal('EINVAL');
      expect(e.message).to.contain(
        `backend acme_wrong_cspmu serves pmiidr 0xa16 mask 0xfff, but package acme-wrong claims {"subsystem":"arm-cspmu","implementer":"0x36b"} in its package.json "cspmu" manifest`,
      );
      expect(m.modules.get('acme_wrong_cspmu')).to.equal(undefined);
      expect(m.driver.registry.all()).to.deep.equal([]);
    } finally {
      await m.shutdown();
    }
  });
});
