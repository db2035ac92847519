// The entry files a catalog remembers across machines: never a failure, and nothing from before a rescan.
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { PluginDiscovery } from '../src/index.js';

function pluginWithEntry(root: string, entry: string, write: boolean): string {
  const dir = join(root, 'node_modules', 'cached');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'cached', type: 'module', exports: `./${entry}`, cspmu: { module: 'cached_mod', apiVersion: 1 } }),
  );
  if (write) writeFileSync(join(dir, entry), 'export default {};');
  return realpathSync(dir);
}

describe('Plugin entry files across machines', () => {
  const noWarn = () => undefined;

  it('does not remember a failed resolution: a package built after a failed load is found by the next machine', () => {
    const root = mkdtempSync(join(tmpdir(), 'cspmu-entry-'));
    const dir = pluginWithEntry(root, 'index.js', false);
    const first = new PluginDiscovery({ roots: [root] });
    const pkg = first.find('cached_mod', noWarn);
    expect(() => first.entryOf(pkg))
      .to.throw(KernelError)
      .with.property('message')
      .that.contains('is the package built?');
    writeFileSync(join(dir, 'index.js'), 'export default {};');
    const second = new PluginDiscovery({ roots: [root] });
    expect(second.entryOf(second.find('cached_mod', noWarn))).to.equal(join(dir, 'index.js'));
  });

  it('resolves again after a rescan: a package.json that now names another entry is followed', () => {
    const root = mkdtempSync(join(tmpdir(), 'cspmu-entry-'));
    const dir = pluginWithEntry(root, 'a.js', true);
    const catalog = new PluginDiscovery({ roots: [root] });
    expect(catalog.entryOf(catalog.find('cached_mod', noWarn))).to.equal(join(dir, 'a.js'));
    pluginWithEntry(root, 'b.js', true);
    catalog.rescan();
    expect(catalog.entryOf(catalog.find('cached_mod', noWarn))).to.equal(join(dir, 'b.js'));
  });

  it("checks a remembered entry against each catalog's own roots: a package outside them is refused", () => {
    const root = mkdtempSync(join(tmpdir(), 'cspmu-entry-'));
    const outside = realpathSync(mkdtempSync(join(tmpdir(), 'cspmu-entry-outside-')));
    writeFileSync(join(outside, 'package.json'), JSON.stringify({ name: 'linked', exports: './index.js', cspmu: { module: 'linked_mod', apiVersion: 1 } }));
    writeFileSync(join(outside, 'index.js'), 'export default {};');
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    symlinkSync(outside, join(root, 'node_modules', 'linked'));
    const wide = new PluginDiscovery({ roots: [root, outside] });
    expect(wide.entryOf(wide.find('linked_mod', noWarn))).to.equal(join(outside, 'index.js'));
    const narrow = new PluginDiscovery({ roots: [root] });
    expect(() => narrow.entryOf(narrow.find('linked_mod', noWarn)))
      .to.throw(KernelError)
      .with.property('message')
      .that.contains('outside the module roots');
  });
});
