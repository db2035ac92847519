// Tests of the exec server's pieces: read() layouts, cpu lists and masks, and the mounted sysfs views.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PERF_FORMAT_GROUP, PERF_FORMAT_ID, PERF_FORMAT_TOTAL_TIME_ENABLED, PERF_FORMAT_TOTAL_TIME_RUNNING } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { buildEventSourceView, buildSystemView, cpuList, cpuMask, decodeAttr, encodeRead, PERF_FORMAT_LOST, sessionRoot } from '../src/index.js';

describe('exec: server pieces', () => {
  it('read() bytes follow read_format, with ENOSPC for a short buffer', () => {
    const fmt = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_LOST;
    const b = encodeRead(
      fmt,
      { enabled: 7, running: 5 },
      [
        { value: 2 ** 40 + 3, id: 11 },
        { value: 9, id: 12 },
      ],
      72,
    );
    const words = Array.from({ length: b.length / 8 }, (_, i) => b.readBigUInt64LE(8 * i));
    expect(words).to.deep.equal([2n, 7n, 5n, 2n ** 40n + 3n, 11n, 0n, 9n, 12n, 0n]);
    expect(() => encodeRead(fmt, { enabled: 0, running: 0 }, [{ value: 1, id: 1 }], 39)).to.throw('ENOSPC');
    const single = encodeRead(PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID, { enabled: 1, running: 2 }, [{ value: 4, id: 5 }], 24);
    expect([0, 8, 16].map((o) => single.readBigUInt64LE(o))).to.deep.equal([4n, 2n, 5n]);
  });

  it("decodes the kernel's perf_event_attr: flag bits, the period/frequency union, config1-3", () => {
    const b = Buffer.alloc(136);
    b.writeUInt32LE(12, 0);
    b.writeUInt32LE(136, 4);
    b.writeBigUInt64LE(0x100000000n, 8);
    b.writeBigUInt64LE(4000n, 16);
    b.writeBigUInt64LE(BigInt(PERF_FORMAT_LOST | PERF_FORMAT_ID), 32);
    b.writeBigUInt64LE((1n << 0n) | (1n << 1n) | (1n << 10n) | (1n << 20n), 40);
    b.writeBigUInt64LE(0x5n, 56);
    b.writeBigUInt64LE(0x6n, 64);
    b.writeBigUInt64LE(0x7n, 128);
    const { attr, lost, sampling } = decodeAttr(b);
    expect(attr).to.deep.include({
      type: 12,
      config: 0x100000000n,
      config1: 5n,
      config2: 6n,
      config3: 7n,
      sample_freq: 4000,
      freq: true,
      disabled: true,
      inherit: true,
      exclude_guest: true,
      exclude_kernel: false,
      read_format: PERF_FORMAT_ID,
    });
    expect([lost, sampling]).to.deep.equal([true, true]);
    expect(() => decodeAttr(Buffer.alloc(63))).to.throw('EINVAL');
  });

  it('cpu lists and masks are printed as the kernel prints them', () => {
    expect(cpuList([0, 1, 2, 5, 7, 8])).to.equal('0-2,5,7-8');
    expect(cpuMask([0, 71], 144)).to.equal('0000,00000000,00000080,00000000,00000001');
    expect(cpuMask([72], 144)).to.equal('0000,00000000,00000100,00000000,00000000');
  });

  it('the views: emulated PMU types above every host type, host PMUs linked beside them, 144 CPUs on two sockets', async () => {
    const m = await Machine.boot({});
    const dir = mkdtempSync(join(sessionRoot(), 'cspmu-views-'));
    try {
      const host = mkdtempSync(join(dir, 'host-'));
      spawnSync('mkdir', ['-p', `${host}/software`, `${host}/uprobe`]);
      spawnSync('sh', ['-c', `echo 1 > ${host}/software/type; echo 9 > ${host}/uprobe/type`]);
      const types = await buildEventSourceView(m, join(dir, 'events'), host);
      const scf0 = m.perf.pmus().find((p) => p.name === 'nvidia_scf_pmu_0')!;
      const exported = Number(readFileSync(join(dir, 'events/nvidia_scf_pmu_0/type'), 'utf8'));
      expect(exported).to.be.above(9);
      expect(types.toEmulated(exported)).to.equal(scf0.type);
      expect(types.toEmulated(1)).to.equal(undefined);
      expect(Math.min(...types.exported)).to.equal(10);
      expect(readlinkSync(join(dir, 'events/software'))).to.equal(`${host}/software`);
      expect(readlinkSync(join(dir, 'events/uprobe'))).to.equal(`${host}/uprobe`);

      buildSystemView(m, join(dir, 'system'), join(dir, 'no-such-host'));
      const read = (p: string) => readFileSync(join(dir, 'system', p), 'utf8');
      expect(read('cpu/online')).to.equal('0-143\n');
      expect(read('cpu/possible')).to.equal('0-143\n');
      expect(read('cpu/cpu72/topology/physical_package_id')).to.equal('1\n');
      expect(read('cpu/cpu71/topology/physical_package_id')).to.equal('0\n');
      expect(read('cpu/cpu72/topology/package_cpus_list')).to.equal('72-143\n');
      expect(read('node/online')).to.equal('0-1\n');
      expect(read('node/node1/cpulist')).to.equal('72-143\n');
      expect(readlinkSync(join(dir, 'system/node/node1/cpu72'))).to.equal('../../cpu/cpu72');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await m.shutdown();
    }
  });

  it('the native build without a C compiler says which compiler is missing and does not fail', () => {
    const script = fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { PATH: '/nonexistent', CC: 'no-such-cc' } });
    expect(r.status).to.equal(0);
    expect(r.stderr).to.contain('no C compiler found (looked for no-such-cc, cc, gcc, clang)');
    expect(r.stderr).to.contain('its tests will be skipped');
  });
});
