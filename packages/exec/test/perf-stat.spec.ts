// Tests that the real perf stat under cspmu exec counts exactly what cspmu stat counts, in every output layout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { csvRows, execUnavailable, run, skipUnless, withSession } from './helpers.js';

const CLI = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

const EVENTS = [
  '-e',
  'nvidia_scf_pmu_0/cycles/',
  '-e',
  'nvidia_pcie_pmu_1/rd_bytes_loc/',
  '-e',
  '{nvidia_scf_pmu_1/cycles/,nvidia_scf_pmu_1/cmem_rd_data/}',
  '-e',
  'nvidia_scf_pmu_1/cycles/',
];

describe('the real perf under cspmu exec', function () {
  this.timeout(60_000);

  it('perf stat -a over the Grace PMUs, a group and a multiplexed set counts exactly what cspmu stat counts for the same virtual span', async function () {
    skipUnless(this, execUnavailable());
    // with the units proposal the exported tree has .scale/.unit files, so perf scales Bytes events as cspmu stat does
    const perf = await withSession('virtual', (s) => run(s, ['perf', 'stat', '-x,', '-a', ...EVENTS, 'sleep', '0.1']), { proposed: ['units'] });
    expect(perf.status, perf.stderr).to.equal(0);
    const ours = spawnSync(process.execPath, [CLI, 'stat', '--proposed', 'units', '-x,', '-a', ...EVENTS, '--duration', '100ms'], { encoding: 'utf8' });
    expect(ours.status, ours.stderr).to.equal(0);
    const pick = (rows: string[][]) => rows.map((r) => [Number(r[0]), r[2], Number(r[3]), Number(r[4])]);
    const perfRows = pick(csvRows(perf.stderr));
    expect(perfRows).to.have.length(5);
    expect(perfRows).to.deep.equal(pick(csvRows(ours.stderr)));
    // the multiplexed pair really was multiplexed, and the uncontended events ran all the time
    expect(perfRows.map((r) => r[3])).to.deep.equal([100, 100, 52, 52, 48]);
    expect(perfRows[0]).to.deep.equal([150_000_000, 'nvidia_scf_pmu_0/cycles/', 100_000_000, 100]);
  });

  it('-x, -j, -A and --per-socket show CPU 72 on socket 1', async function () {
    skipUnless(this, execUnavailable());
    await withSession('virtual', async (s) => {
      const ev = ['-e', 'nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_1/cycles/'];
      const a = await run(s, ['perf', 'stat', '-a', '-A', ...ev, 'sleep', '0.01']);
      expect(a.stderr).to.match(/^CPU72\s+15000000\s+nvidia_scf_pmu_1\/cycles\//m);
      expect(a.stderr).to.match(/^CPU0\s+15000000\s+nvidia_scf_pmu_0\/cycles\//m);
      const csv = await run(s, ['perf', 'stat', '-a', '-A', '-x,', ...ev, 'sleep', '0.01']);
      expect(csv.stderr).to.contain('CPU72,15000000,,nvidia_scf_pmu_1/cycles/,');
      const json = await run(s, ['perf', 'stat', '-a', '-A', '-j', ...ev, 'sleep', '0.01']);
      expect(json.stderr).to.match(/\{"cpu" : "72", "counter-value" : "15000000.000000", "unit" : "", "event" : "nvidia_scf_pmu_1\/cycles\/"/);
      const sock = await run(s, ['perf', 'stat', '-a', '--per-socket', ...ev, 'sleep', '0.01']);
      expect(sock.stderr).to.match(/^S1\s+1\s+15000000\s+nvidia_scf_pmu_1\/cycles\//m);
      const sockJson = await run(s, ['perf', 'stat', '-a', '--per-socket', '-j', ...ev, 'sleep', '0.01']);
      expect(sockJson.stderr).to.match(/\{"socket" : "S1", "aggregate-number" : 1, "counter-value" : "15000000.000000"/);
      const node = await run(s, ['perf', 'stat', '-a', '--per-node', ...ev, 'sleep', '0.01']);
      expect(node.stderr).to.match(/^N1\s+1\s+15000000\s+nvidia_scf_pmu_1\/cycles\//m);
    });
  });

  it('-I prints CPU 72 in every interval (wall clock)', async function () {
    skipUnless(this, execUnavailable());
    const r = await withSession('wall', (s) => run(s, ['perf', 'stat', '-a', '-A', '-I', '100', '-x,', '-e', 'nvidia_scf_pmu_1/cycles/', 'sleep', '0.55']));
    const lines = r.stderr.split('\n').filter((l) => l.includes('nvidia_scf_pmu_1/cycles/'));
    expect(lines.length, r.stderr).to.be.at.least(2);
    for (const l of lines) expect(l).to.match(/^\s*\d+\.\d+,CPU72,\d+,,nvidia_scf_pmu_1\/cycles\//);
  });

  it('perf stat record, then perf stat report, reads back the same counts', async function () {
    skipUnless(this, execUnavailable());
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-stat-record-'));
    try {
      const file = join(dir, 'perf.data');
      await withSession('virtual', async (s) => {
        const rec = await run(s, ['perf', 'stat', 'record', '-o', file, '-a', ...EVENTS, 'sleep', '0.1']);
        expect(rec.status, rec.stderr).to.equal(0);
        const rep = await run(s, ['perf', 'stat', 'report', '-i', file]);
        expect(rep.status, rep.stderr).to.equal(0);
        const counts = (t: string) =>
          t
            .split('\n')
            .filter((l) => /^\s*\d[\d,.]*\s/.test(l) && l.includes('nvidia_'))
            .map((l) => l.replace(/#.*$/, '').trim().split(/\s+/));
        expect(counts(rec.stderr)).to.have.length(5);
        expect(counts(rep.stdout + rep.stderr)).to.deep.equal(counts(rec.stderr));
        expect(counts(rec.stderr)[0]).to.deep.equal(['150000000', 'nvidia_scf_pmu_0/cycles/']);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a perf killed mid-run leaves no event open on the server', async function () {
    skipUnless(this, execUnavailable());
    await withSession('wall', async (s) => {
      const { spawnInSession } = await import('../src/index.js');
      const child = spawnInSession(
        s,
        ['perf', 'stat', '-a', '-e', '{nvidia_scf_pmu_0/cycles/,cpu-clock}', '-e', 'nvidia_pcie_pmu_0/rd_bytes_loc/', 'sleep', '30'],
        { stdio: 'pipe' },
      );
      await s.server.until((n) => n === 3);
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      expect(await s.server.until((n) => n === 0)).to.equal(0);
    });
  });

  it('groups mixing software and emulated events follow the kernel: a software leader on a host CPU moves with its group', async function () {
    skipUnless(this, execUnavailable());
    const r = await withSession('virtual', (s) =>
      run(s, [
        'perf',
        'stat',
        '-x,',
        '-C',
        '0',
        '-e',
        '{cpu-clock,nvidia_scf_pmu_0/cycles/}',
        '-e',
        '{nvidia_scf_pmu_0/cmem_rd_data/,task-clock}',
        '-e',
        'cpu-clock',
        'sleep',
        '0.1',
      ]),
    );
    expect(r.status, r.stderr).to.equal(0);
    const rows = csvRows(r.stderr).map((x) => [x[0], x[2], x[4]]);
    // the grouped cpu-clock was moved into the emulated group, so it counts the 100 ms of virtual time with it
    expect(rows.slice(0, 4)).to.deep.equal([
      ['100.00', 'cpu-clock', '100.00'],
      ['150000000', 'nvidia_scf_pmu_0/cycles/', '100.00'],
      ['375000000', 'nvidia_scf_pmu_0/cmem_rd_data/', '100.00'],
      ['100.00', 'task-clock', '100.00'],
    ]);
    // the lone cpu-clock stayed with the host kernel: it counted wall time, not the 100 ms of virtual time
    expect(rows[4]![1]).to.equal('cpu-clock');
    expect(rows[4]![0], r.stderr).to.not.equal('100.00');
  });

  it('cspmu exec passes the command its exit status and leaves no session directory or socket behind', async function () {
    skipUnless(this, execUnavailable(false));
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'exec',
        '--clock',
        'virtual',
        '--',
        'sh',
        '-c',
        'echo $CSPMU_SOCKET; cat /sys/devices/system/cpu/online /sys/devices/system/cpu/cpu72/topology/physical_package_id; exit 3',
      ],
      { encoding: 'utf8' },
    );
    const [socket, ...rest] = r.stdout.split('\n');
    expect(rest.join('\n')).to.equal('0-143\n1\n');
    expect(r.status).to.equal(3);
    expect(existsSync(dirname(socket!)), `${dirname(socket!)} is left behind`).to.equal(false);
    const bad = spawnSync(process.execPath, [CLI, 'exec', '--clock', 'sundial', '--', 'true'], { encoding: 'utf8' });
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.contain("argument 'sundial' is invalid. Allowed choices are wall, virtual.");
  });

  it('perf record and sampling on an emulated PMU get EOPNOTSUPP', async function () {
    skipUnless(this, execUnavailable());
    const r = await withSession('virtual', (s) => run(s, ['perf', 'record', '-o', '/dev/null', '-a', '-e', 'nvidia_scf_pmu_0/cycles/', 'true']));
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.contain("nvidia_scf_pmu_0/cycles/: PMU Hardware doesn't support sampling/overflow-interrupts");
  });
});
