// Tests that an exported sysfs tree lists its directories in the order they were added, as perf's readdir then sees them.
import { existsSync, mkdirSync, mkdtempSync, opendirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Sysfs } from '../src/index.js';

/** A directory's entries in the file system's own order (readdir() sorts them by name). */
function fsOrder(dir: string): string[] {
  const d = opendirSync(dir);
  const names: string[] = [];
  for (let e = d.readSync(); e; e = d.readSync()) names.push(e.name);
  d.closeSync();
  return names;
}

describe('sysfs export: directory order', () => {
  it('a tmpfs export lists PMU directories in the order they were registered, whichever way the file system lists new entries', async function () {
    // tmpfs lists entries by creation (here newest first); ext4 by a hash seeded per file system, which no exporter can choose.
    if (!existsSync('/dev/shm')) {
      console.log('      skipped: no tmpfs at /dev/shm');
      this.skip();
    }
    const fs = new Sysfs();
    const names = ['pmu_b_1', 'pmu_a_0', 'pmu_c_1', 'pmu_a_1', 'pmu_b_0'];
    for (const n of names) fs.add(`/devices/${n}/type`, { show: () => '7\n' });
    const target = mkdtempSync(join('/dev/shm', 'cspmu-order-'));
    try {
      await fs.exportTo('/devices', join(target, 'tree'));
      expect(fsOrder(join(target, 'tree'))).to.deep.equal(names);
      expect(fsOrder(target), 'the order probe is removed').to.deep.equal(['tree']);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('an export elsewhere writes every directory too', async () => {
    const fs = new Sysfs();
    for (const n of ['x_1', 'x_0']) fs.add(`/devices/${n}/type`, { show: () => '8\n' });
    const target = mkdtempSync(join(tmpdir(), 'cspmu-order-'));
    try {
      expect(await fs.exportTo('/devices', target)).to.equal(2);
      expect(fsOrder(target).sort()).to.deep.equal(['x_0', 'x_1']);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('a target where the order probe cannot be made is refused with a KernelError naming its errno, and nothing is exported', async () => {
    const fs = new Sysfs();
    fs.add('/devices/x_0/type', { show: () => '8\n' });
    const target = mkdtempSync(join(tmpdir(), 'cspmu-order-'));
    try {
      mkdirSync(join(target, `.cspmu-order-probe-${process.pid}`));
      const err = await fs.exportTo('/devices', target).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.have.property('name', 'KernelError');
      expect(String((err as Error).message)).to.match(/^EEXIST: cannot export to '.*': probing the order it lists new entries in: /);
      expect(existsSync(join(target, 'x_0')), 'nothing exported').to.equal(false);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
