// Tests of the cspmu command line, run as a user runs it: list, stat, encode, sysfs, apmt, trace, modules, machine, errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARM_GENERIC_PLATFORM } from '@cspmu/hw';
import { expect } from 'chai';
import { cspmu, node, oneLineError, ROOT } from './helpers/cli.js';

describe('cspmu command line', function () {
  this.timeout(120000);
  const tmp = mkdtempSync(join(tmpdir(), 'cspmu-cli-'));

  it('list: PMUs with events, formats and units; a glob; --json', () => {
    const r = cspmu(['list', 'nvidia_scf_pmu_0']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(
      /^# kernel model: Linux 7\.3 \(arm_cspmu, nvidia_cspmu, ampere_cspmu and apmt\.c as in 7\.3\.4\); proposals beyond upstream: none\nnvidia_scf_pmu_0 \(type \d+, nvidia_cspmu, identifier 2cf0036b, cpumask 0, associated_cpus 0-71\)/,
    );
    expect(cspmu(['list', 'nvidia_scf_pmu_0', '--kernel', '6.12', '--proposed', 'units']).stdout).to.match(
      /^# kernel model: Linux 6\.12 .* as in 6\.12\.95\); proposals beyond upstream: units\n/,
    );
    expect(r.stdout).to.contain('  format: event=config:0-32');
    expect(r.stdout).to.match(/nvidia_scf_pmu_0\/cmem_rd_data\/ +event=0x1a5 \[32 Bytes\]/);
    const j = JSON.parse(cspmu(['list', 'nvidia_pcie_pmu', '--json']).stdout);
    expect(j.map((p: { name: string }) => p.name)).to.deep.equal(['nvidia_pcie_pmu_0', 'nvidia_pcie_pmu_1']);
    expect(j[0].formats).to.deep.equal({ event: 'config:0-32', root_port: 'config1:0-9' });
    expect(oneLineError(cspmu(['list', 'nvidia_nope_pmu']))).to.equal("cspmu: ENOENT: no PMU matches 'nvidia_nope_pmu'; try cspmu list");
    expect(r.stdout).to.not.contain('\x1b[');
    const perfLayout = cspmu(['list', '--perf', 'nvidia_scf_pmu_0']).stdout.split('\n');
    expect(perfLayout[0]).to.equal(`  ${'nvidia_scf_pmu_0/bus_cycles/'.padEnd(50)} [Kernel PMU event]`);
  });

  it('stat: perf-style counts with units, multiplexing, CSV, JSON and intervals, on stderr', () => {
    const r = cspmu([
      'stat',
      '-a',
      '-e',
      'nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_0/cmem_rd_data/',
      '-e',
      '{nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/rd_req_loc/},{nvidia_nvlink_c2c0_pmu_0/total_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_req_loc/}',
      '--duration',
      '10ms',
    ]);
    expect([r.status, r.stdout]).to.deep.equal([0, '']);
    const lines = r.stderr.split('\n');
    expect(lines[1]).to.equal(" Performance counter stats for 'system wide':");
    expect(lines).to.include(`${'15000000'.padStart(18)}       ${'nvidia_scf_pmu_0/cycles/'.padEnd(32)}${' '.repeat(35)}`);
    expect(lines).to.include(`${'1200000000'.padStart(18)} Bytes ${'nvidia_scf_pmu_0/cmem_rd_data/'.padEnd(32)}${' '.repeat(35)}`);
    expect(r.stderr).to.match(/ {8}2200000000 Bytes nvidia_nvlink_c2c0_pmu_0\/rd_bytes_loc\/ +\(60\.00%\)\n/);
    expect(r.stderr).to.contain('\n       0.010000000 seconds time elapsed\n\n');
    // Multiplexed: the std layout prints the exact share, CSV perf's integer division (57.14% -> 57.00).
    const groups =
      '{nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/rd_req_loc/},{nvidia_nvlink_c2c0_pmu_0/total_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_req_loc/}';
    expect(cspmu(['stat', '-a', '-x,', '-e', groups, '--duration', '7ms']).stderr.split('\n')[0]).to.equal(
      '1540000000,Bytes,nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/,4000000,57.00,,',
    );
    expect(cspmu(['stat', '-a', '-e', groups, '--duration', '7ms']).stderr).to.contain('/rd_bytes_loc/                                     (57.14%)\n');
    const csv = cspmu(['stat', '-e', 'nvidia_scf_pmu_1/cycles/', '-x', ',', '--duration', '1ms']);
    expect(csv.stderr).to.equal('1500000,,nvidia_scf_pmu_1/cycles/,1000000,100.00,,\n');
    const json = cspmu(['stat', '-e', 'nvidia_scf_pmu_1/cmem_wr_total_bytes/', '-j', '--duration', '1ms']);
    expect(json.stderr).to.equal(
      '{"counter-value" : "10000000.000000", "unit" : "Bytes", "event" : "nvidia_scf_pmu_1/cmem_wr_total_bytes/", "event-runtime" : 1000000, "pcnt-running" : 100.00, "metric-value" : 0.000000, "metric-unit" : "(null)"}\n',
    );
    const iv = cspmu(['stat', '-e', 'nvidia_scf_pmu_0/cycles/', '-I', '20', '--duration', '50ms']);
    const ivLines = iv.stderr.trim().split('\n');
    expect(ivLines[0]).to.equal('#           time             counts unit events');
    expect(ivLines.slice(1).map((l) => l.slice(0, 35))).to.deep.equal([
      '     0.020000000           30000000',
      '     0.040000000           30000000',
      '     0.050000000           15000000',
    ]);
  });

  it('stat opens a PMU prefix or a bare event name on every instance and merges them; --no-merge and -A split', () => {
    const merged = cspmu(['stat', '-a', '-e', 'nvidia_scf_pmu/cycles/', 'sleep', '0.1']);
    expect(merged.status).to.equal(0);
    const counted = merged.stderr.split('\n').filter((l) => l.includes('cycles'));
    expect(counted).to.have.length(1);
    expect(counted[0]).to.match(/^ +\d+ {6}nvidia_scf_pmu\/cycles\/ +$/);
    const split = cspmu(['stat', '-a', '--no-merge', '-x,', '-e', 'nvidia_scf_pmu/cycles/', '-e', 'cmem_rd_data', '--duration', '1ms']);
    expect(split.stderr.split('\n').map((l) => l.split(',')[2])).to.deep.equal([
      'nvidia_scf_pmu_0/cycles/',
      'nvidia_scf_pmu_1/cycles/',
      'cmem_rd_data [nvidia_scf_pmu_0]',
      'cmem_rd_data [nvidia_scf_pmu_1]',
      undefined,
    ]);
    const bare = cspmu(['stat', '-a', '-x,', '-e', 'cmem_rd_data', '--duration', '1ms']).stderr.split(',');
    const [s0, s1] = split.stderr
      .split('\n')
      .slice(2, 4)
      .map((l) => Number(l.split(',')[0]));
    expect(bare.slice(1, 5)).to.deep.equal(['Bytes', 'cmem_rd_data', '2000000', '100.00']);
    expect(Number(bare[0]))
      .to.equal(s0! + s1!)
      .and.be.greaterThan(0);
    const perCpu = cspmu(['stat', '-a', '-A', '-x,', '-e', 'nvidia_scf_pmu/cycles/', '--duration', '1ms']);
    // perf 6.1 merges a wildcard's copies under -A by their place in each copy's CPU list: both sockets' counts print at CPU0.
    expect(perCpu.stderr).to.equal('CPU0,3000000,,nvidia_scf_pmu/cycles/,2000000,100.00,,\n');
    const apart = cspmu(['stat', '-a', '-A', '--no-merge', '-x,', '-e', 'nvidia_scf_pmu/cycles/', '--duration', '1ms']);
    expect(apart.stderr).to.equal('CPU0,1500000,,nvidia_scf_pmu_0/cycles/,1000000,100.00,,\nCPU72,1500000,,nvidia_scf_pmu_1/cycles/,1000000,100.00,,\n');
    // perf counts aggregate-number over the first copy's CPUs only: socket 1 holds the merged copy, so 0.
    const sockets = cspmu(['stat', '-a', '--per-socket', '-x,', '-e', 'nvidia_scf_pmu/cycles/', '--duration', '1ms']);
    expect(sockets.stderr).to.equal('S0,1,1500000,,nvidia_scf_pmu/cycles/,1000000,100.00,,\nS1,0,1500000,,nvidia_scf_pmu/cycles/,1000000,100.00,,\n');
  });

  it('stat parses like perf: one value per -e, the command after the options, -r, --timeout', () => {
    const run = cspmu(['stat', '-a', '-e', 'nvidia_scf_pmu_0/cycles/', '-x,', process.execPath, '-e', 'setTimeout(() => {}, 150)']);
    expect(run.status, run.stderr).to.equal(0);
    expect(Number(run.stderr.split(',')[0])).to.be.greaterThan(150e6 * 1.5 * 0.9);
    // A software event beside it keeps the command per task (with uncore events only perf counts system-wide), and the uncore PMU refuses a task.
    const task = cspmu(['stat', '-v', '-e', 'nvidia_scf_pmu_0/cycles/,task-clock', 'true']);
    expect(task.stderr).to.contain('   <not supported>      nvidia_scf_pmu_0/cycles/');
    expect(task.stderr).to.match(/Warning:\nnvidia_scf_pmu_0\/cycles\/ event is not supported by the kernel: EINVAL: .*uncore PMU/);
    expect(task.status).to.equal(0);
    expect(cspmu(['stat', '-a', '-e', 'nvidia_scf_pmu_0/cycles/', 'sh', '-c', 'exit 3']).status).to.equal(3);
    const rep = cspmu(['stat', '-r', '3', '-a', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms']);
    expect(rep.stderr).to.contain(" Performance counter stats for 'system wide' (3 runs):");
    expect(rep.stderr).to.contain('\n              0.00 +- 0.00 seconds time elapsed\n\n');
    const timed = cspmu(['stat', '-a', '-x,', '--timeout', '100', '-e', 'nvidia_scf_pmu_0/cycles/', 'sleep', '5']);
    expect(timed.status).to.equal(0);
    expect(timed.stderr.split('\n')[0]).to.equal('sleep: Terminated');
    expect(Number(timed.stderr.split('\n')[1]!.split(',')[0])).to.be.within(100e6 * 1.5 * 0.9, 2e9 * 1.5);
    const help = cspmu(['stat', '--help']);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).to.contain('--duration <time> count for this much VIRTUAL time');
    expect(text).to.contain('unlike --timeout, which waits in real time');
  });

  it('bad input gives one clear line and a non-zero exit', () => {
    expect(oneLineError(cspmu(['stat', '-e', 'nvidia_scf_pmu_0/evnt=1/', '--duration', '1ms']))).to.contain(
      "cspmu: EINVAL: event syntax error at column 18 ('evnt'): unknown term 'evnt'",
    );
    expect(oneLineError(cspmu(['stat', '-e', 'nvidia_scff_pmu_0/cycles/', '--duration', '1ms']))).to.contain(
      "unknown PMU 'nvidia_scff_pmu_0'; close matches: nvidia_scf_pmu_0",
    );
    expect(oneLineError(cspmu(['stat', '-e', 'nvidia_pcie_pmu_0/root_port=1024/', '--duration', '1ms']))).to.contain(
      'value too big for format (root_port), maximum is 1023',
    );
    expect(oneLineError(cspmu(['stat', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', 'soon']))).to.contain("--duration 'soon' is not a time");
    expect(oneLineError(cspmu(['stat', '-C', '999', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms']))).to.contain('cpu 999 does not exist');
    expect(oneLineError(cspmu(['stat', '-C', '', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms']))).to.equal(
      "cspmu: EINVAL: -C '': no CPUs given; use a cpulist such as 0,72 or 0-3",
    );
    expect(oneLineError(cspmu(['stat', '--bogus', '-e', 'x']))).to.equal("cspmu: EINVAL: unknown option '--bogus' (see cspmu help)");
    expect(oneLineError(cspmu(['stat', '-e']))).to.equal("cspmu: EINVAL: option '-e, --event <event>' argument missing (see cspmu help)");
    expect(oneLineError(cspmu(['nosuch']))).to.match(/^cspmu: EINVAL: unknown command 'nosuch'/);
    expect(oneLineError(cspmu(['stat', '-r', '0', '-e', 'x']))).to.equal("cspmu: EINVAL: -r '0' must be a positive whole number");
    expect(oneLineError(cspmu(['stat', '-x,', '-j', '-e', 'x']))).to.contain('-x and -j are different output formats');
    expect(oneLineError(cspmu(['stat', '-I', '-5', '-e', 'x']))).to.equal(
      "cspmu: EINVAL: -I '-5' expects an unsigned numerical value: whole milliseconds, 0 for none",
    );
    // perf stops when the leader of a group cannot be opened (a member is only skipped).
    expect(oneLineError(cspmu(['stat', '-e', '{cycles,task-clock}', 'true']))).to.match(/^cspmu: ENOENT: the group leader cycles could not be opened/);
    const bad = JSON.parse(JSON.stringify(ARM_GENERIC_PLATFORM));
    bad.pmus[2].counters = 300;
    const file = join(tmp, 'bad-platform.json');
    writeFileSync(file, JSON.stringify(bad));
    expect(oneLineError(cspmu(['machine', '--platform', file]))).to.contain('pmus.2 (pcie0).counters: 300 is impossible');
    expect(oneLineError(cspmu(['machine', '--platform', 'nosuch']))).to.contain("no built-in platform 'nosuch'");
    const dbg = cspmu(['--debug', 'machine', '--platform', 'nosuch']);
    expect(dbg.stderr).to.contain('at builtinPlatform');
    expect(cspmu(['machine', '--platform', 'nosuch', '--debug']).stderr).to.contain('at builtinPlatform');
  });

  it('global options go before or after the subcommand; --version; a closed pipe ends quietly', () => {
    const before = cspmu(['--platform', 'arm-generic', 'list', '--json']);
    const after = cspmu(['list', '--json', '--platform', 'arm-generic']);
    expect(before.stdout).to.equal(after.stdout);
    expect(JSON.parse(before.stdout)[0].name).to.match(/^arm_cspmu_/);
    expect(cspmu(['--version']).stdout).to.equal('0.1.0\n');
    const shim = node([join(ROOT, 'packages', 'cli', 'bin', 'cspmu.js'), '--version']);
    expect(shim.stdout).to.equal('0.1.0\n');
    for (const cmd of ['list', 'stat -a -j -e nvidia_scf_pmu/cycles/ -- yes']) {
      // cspmu's own status and stderr, on the left of the pipe that head closes.
      const err = join(tmp, 'pipe.err');
      const r = spawnSync('sh', ['-c', `(node packages/cli/dist/src/main.js ${cmd} 2>"${err}"; echo "cspmu=$?" >&2) | head -1`], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(r.stdout, cmd).to.match(/^.+\n$/);
      expect(r.stderr, cmd).to.equal('cspmu=0\n');
      const stderr = readFileSync(err, 'utf8');
      expect(stderr, cmd).to.not.match(/Error|EPIPE|at /);
      // The command died of SIGPIPE: reported as perf's psignal line, and the stat still succeeds.
      if (cmd.includes('yes')) expect(stderr.split('\n')[0]).to.equal('yes: Broken pipe');
    }
  });

  it('encode prints the perf_event_attr as perf stat -vv does, per task or with -a', () => {
    const r = cspmu(['encode', 'nvidia_cnvlink_pmu_0/rd_bytes_rem,rem_socket=0x2/']);
    expect(r.status).to.equal(0);
    const rule = '-'.repeat(60);
    expect(r.stdout).to.match(
      new RegExp(
        `^${rule}\\nperf_event_attr:\\n  type +\\d+\\n  size +128\\n  config +0x1\\n  sample_type +IDENTIFIER\\n  read_format +TOTAL_TIME_ENABLED\\|TOTAL_TIME_RUNNING\\n  disabled +1\\n  inherit +1\\n  exclude_guest +1\\n  \\{ bp_addr, config1 \\} +0x2\\n${rule}\\n$`,
      ),
    );
    expect(cspmu(['encode', 'task-clock']).stdout).to.contain('\n  enable_on_exec                   1\n');
    expect(cspmu(['encode', '-a', 'task-clock']).stdout).to.not.contain('enable_on_exec');
    const j = JSON.parse(cspmu(['encode', 'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/', '--json']).stdout);
    expect(j[0]).to.deep.include({ pmu: 'nvidia_pcie_pmu_0', config: '0x0', config1: '0x3', config2: '0x0' });
  });

  it('sysfs export writes the perf-compatible tree', () => {
    const dir = join(tmp, 'sysfs');
    const r = cspmu(['sysfs', 'export', dir]);
    expect(r.status).to.equal(0);
    expect(readFileSync(join(dir, 'nvidia_scf_pmu_0', 'events', 'cmem_rd_data'), 'utf8')).to.equal('event=0x1a5\n');
    // As in Linux 7.3, no events/*.unit or *.scale files; --proposed units adds them.
    expect(readdirSync(join(dir, 'nvidia_scf_pmu_0', 'events')).filter((f) => /\.(unit|scale)$/.test(f))).to.deep.equal([]);
    const withUnits = join(tmp, 'sysfs-units');
    expect(cspmu(['sysfs', 'export', withUnits, '--proposed', 'units']).status).to.equal(0);
    expect(readFileSync(join(withUnits, 'nvidia_scf_pmu_0', 'events', 'cmem_rd_data.scale'), 'utf8')).to.equal('32\n');
    expect(readFileSync(join(dir, 'nvidia_pcie_pmu_1', 'cpumask'), 'utf8')).to.equal('72\n');
    expect(existsSync(join(dir, 'software', 'type'))).to.equal(true);
  });

  it('apmt build, decode, check; corrupt tables fail with every violation', () => {
    const built = cspmu(['apmt', 'build', 'grace']);
    expect(built.status).to.equal(0);
    const file = join(tmp, 'grace.apmt');
    writeFileSync(file, Buffer.from(built.stdout, 'latin1'));
    expect(readFileSync(file).length).to.equal(596);
    expect(cspmu(['apmt', 'check', file]).stdout).to.contain('PASSED');
    expect(cspmu(['apmt', 'decode', file]).stdout).to.contain('node 1: id 1 type acpi hid=NVDA2001 uid=0');
    expect(JSON.parse(cspmu(['apmt', 'decode', file, '--json']).stdout).nodes[4]).to.deep.include({ type: 'pcie', baseAddress0: '0x1000040000' });
    const bad = readFileSync(file);
    bad[36 + 3] = 9;
    bad[36 + 56 + 2] |= 0x80;
    const badFile = join(tmp, 'bad.apmt');
    writeFileSync(badFile, bad);
    const chk = cspmu(['apmt', 'check', badFile]);
    expect(chk.status).to.equal(1);
    const sum = bad.reduce((a, b) => (a + b) & 0xff, 0);
    expect(chk.stdout.split('\n').filter((l) => l.startsWith('FAILED'))).to.deep.equal([
      `FAILED: header.checksum: checksum 0x${bad[9]!.toString(16)} is wrong: the bytes sum to 0x${sum.toString(16)}, not 0 (it should be 0x${((bad[9]! - sum) & 0xff).toString(16)}) [APMT_CHECKSUM]`,
      'FAILED: node 0 type: node type 9 is unknown; known types are 0-4 (mc, smmu, pcie, acpi, cache) [APMT_NODE_TYPE]',
      'FAILED: node 1 flags: reserved flag bits 0x80 (bits 3-7) are set [APMT_FLAGS_RESERVED]',
      `FAILED: ${badFile}: 3 failure(s), 0 warning(s)`,
    ]);
    // decode classifies exactly as check does.
    expect(
      cspmu(['apmt', 'decode', badFile])
        .stdout.split('\n')
        .filter((l) => /^ {2}(FAILED|WARNING)/.test(l))
        .map((l) => l.trim()),
    ).to.deep.equal(chk.stdout.split('\n').filter((l) => / \[APMT_/.test(l)));
    // Only warnings (base_address1 without DUAL_PAGE): exit 0; --strict makes them fail.
    const warnOnly = readFileSync(file);
    warnOnly.writeUInt32LE(0x9000, 36 + 56 + 28);
    warnOnly[9] = (warnOnly[9]! - 0x90) & 0xff;
    const warnFile = join(tmp, 'warn.apmt');
    writeFileSync(warnFile, warnOnly);
    const w = cspmu(['apmt', 'check', warnFile]);
    expect([
      w.status,
      w.stdout
        .split('\n')
        .filter((l) => l.startsWith('WARNING'))
        .map((l) => l.replace(/:.*\[/, ' [')),
    ]).to.deep.equal([0, ['WARNING [APMT_BASE1_IGNORED]']]);
    expect(w.stdout).to.contain('PASSED');
    const strict = cspmu(['apmt', 'check', '--strict', warnFile]);
    expect([strict.status, strict.stdout.trim().split('\n').at(-1)]).to.deep.equal([1, `FAILED: ${warnFile}: 0 failure(s), 1 warning(s) (--strict)`]);
    expect(oneLineError(cspmu(['apmt', 'decode', join(tmp, 'missing.apmt')]))).to.contain('cannot read APMT file');
    expect(oneLineError(cspmu(['stat', '--platform', 'grace', '-e', 'x', '--duration', '1ms']))).to.contain("unknown event 'x'");
  });

  it('trace --rwmmio, --mmiotrace and --ftrace run a stat and print the trace', () => {
    const rw = cspmu(['trace', '--rwmmio', '--filter', 'caller ~ "arm_cspmu_read_counter"', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms']);
    expect(rw.status).to.equal(0);
    expect(rw.stdout).to.match(/rwmmio_read: arm_cspmu_event_update -> arm_cspmu_read_counter width=64 addr=0xffff8000800[0-9a-f]{5}\n/);
    const mt = cspmu(['trace', '--mmiotrace', '--', '--platform', 'arm-generic', '-e', 'arm_cspmu_mc_0/cycles/', '--duration', '1ms']);
    expect(mt.stdout).to.match(/VERSION 20070824\nMAP 0\.000000 \d+ 0x50000000 0xffff8000800[0-9a-f]+ 0x1000 0x0 0\n/);
    expect(mt.stdout).to.contain('MARK 0.000000 cspmu stat begins');
    const ft = cspmu(['trace', '--ftrace', '--site', 'pmu->add', '--', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms']);
    // perf's first open carries exclude_guest, which an uncore PMU refuses; the retry is event 2.
    expect(ft.stdout).to.match(/callsite: pmu->add nvidia_scf_pmu_0 event=2 dur=\d+ns ret=0/);
    expect(oneLineError(cspmu(['trace', '--', '-e', 'x', '--duration', '1ms']))).to.contain('choose one tracer');
  });

  it('modules and machine describe the booted system', () => {
    const mods = cspmu(['modules']);
    expect(mods.stdout).to.match(/nvidia_cspmu +0\.1\.0 +0 +- +10/);
    expect(mods.stdout).to.match(/arm_cspmu +0\.1\.0 +0 +nvidia_cspmu +0/);
    const mj = JSON.parse(cspmu(['machine', '--json', '--platform', 'ampereone']).stdout);
    expect(mj.devices).to.have.length(8);
    expect(mj.devices[0]).to.deep.include({
      device: 'arm-cs-arch-pmu.0',
      pmu: 'ampere_mcu_pmu_0',
      backend: 'ampere_cspmu',
      pmiidr: '0x100a16',
      state: 'bound',
    });
    expect(cspmu(['machine']).stdout).to.match(/arm-cs-arch-pmu\.4 +pcie0 +0x1000040000 +516 level +0x1030036b +9x64 +nvidia_cspmu +nvidia_pcie_pmu_0/);
  });

  for (const [script, expected] of [
    ['stat-grace.mjs', /nvidia_scf_pmu_0\/cmem_rd_data\/ +2400000000 Bytes\n[\s\S]*cmem_rd_data +3600000000 Bytes/],
    [
      'hot-swap-nvidia.mjs',
      /cspmu:reprobe-pending .*arm-cs-arch-pmu\.4[\s\S]*event:freed[\s\S]*cspmu:reprobe .*arm-cs-arch-pmu\.4[\s\S]*use-after-free reports \(KASAN\): 0, accesses through released mappings: 0/,
    ],
    ['load-ampere.mjs', /with the plugin: +ampere_mcu_pmu_0 \(ampere_cspmu\)[\s\S]*act_sent on ampere_mcu_pmu_0: 50000\nmixing filters in one PMU: EINVAL/],
    ['trace-probe.mjs', /R 4 0\.000000 1 0x50010fd0 0x4 0x0 0[\s\S]*rwmmio_write: arm_cspmu_device_probe -> arm_cspmu_register_pmu width=32 val=0x6/],
    [
      'boot-from-apmt.mjs',
      /booted from it: nvidia_scf_pmu_0[\s\S]*FAILED: node 0 type: node type 9 is unknown[\s\S]*the kernel boots it anyway: 10 PMUs bound; node 0: bound\n {2}ACPI: ACPI BIOS Warning \(bug\): Incorrect checksum in table \[APMT\][\s\S]*refused: EINVAL: APMT cannot be booted/,
    ],
  ] as const) {
    it(`example ${script} runs`, () => {
      const r = node([join(ROOT, 'examples', script)]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(expected);
    });
  }
});

describe('cspmu stat numbers under LC_NUMERIC', () => {
  it("group digits only where the locale is installed and has grouping, as printf %' does", async () => {
    const { numericLocale } = await import('@cspmu/cli');
    const { fixed } = await import('@cspmu/cli');
    expect(numericLocale({ LC_ALL: 'C' })).to.deep.equal({ group: '', decimal: '.' });
    expect(numericLocale({ LANG: 'C.UTF-8' })).to.deep.equal({ group: '', decimal: '.' });
    // A locale that is not installed falls back to C, as setlocale does.
    expect(numericLocale({ LC_NUMERIC: 'xx_YY.UTF-8' })).to.deep.equal({ group: '', decimal: '.' });
    expect(fixed(1234567.5, 2, { group: ',', decimal: '.' }, true)).to.equal('1,234,567.50');
    expect(fixed(1234567.5, 2, { group: '.', decimal: ',' }, false)).to.equal('1234567,50');
    expect(fixed(123, 0, { group: ',', decimal: '.' }, true)).to.equal('123');
  });

  it('npm ci links the cspmu bin to a committed shim, so npx cspmu works before and after a build', () => {
    const link = join(ROOT, 'node_modules', '.bin', 'cspmu');
    expect(realpathSync(link)).to.equal(join(ROOT, 'packages', 'cli', 'bin', 'cspmu.js'));
    const r = spawnSync(link, ['--version'], { cwd: ROOT, encoding: 'utf8' });
    expect([r.status, r.stdout]).to.deep.equal([0, '0.1.0\n']);
  });
});
