// Tests that cspmu stat groups events as the real perf 6.1 does on the same PMUs: its warning, the groups it breaks up or keeps, their counts and multiplexing.
import { type BesideCase, describeBesidePerf } from './helpers.js';

const CASES: BesideCase[] = [
  {
    why: 'groups over two sockets are broken up (one WARNING line, a description per group) and multiplex as single events',
    args: ['-a', '-e', '{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_1/cycles/},{nvidia_scf_pmu_1/cycles/,nvidia_scf_pmu_0/cycles/}'],
  },
  {
    why: 'the same in CSV: the warning stays on stderr before the lines',
    args: ['-a', '-x,', '-e', '{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_1/cycles/},nvidia_scf_pmu_1/cycles/'],
  },
  { why: 'a named group is described by its name', args: ['-a', '-e', 'g1{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_1/cycles/}'] },
  { why: 'a PMU wildcard is not split per PMU: one group of four, broken up', args: ['-a', '-e', '{nvidia_scf_pmu/cycles/,nvidia_scf_pmu/cmem_rd_data/}'] },
  { why: 'bare event names are split per PMU, with no warning', args: ['-a', '-e', '{cmem_rd_data,cmem_wr_data}'] },
  {
    why: 'a group broken up no longer fails at its leader: each event is refused on its own',
    args: ['-a', '-e', '{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_1/cycles/}:u'],
  },
  {
    why: 'with -C every event has the same CPUs: the group stays whole across PMUs, the member is refused, and perf hints at it',
    args: ['-C', '0', '-e', '{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_1/cycles/}'],
  },
  {
    why: 'split groups are listed leader by leader, a wildcard in the order of the PMU directories',
    args: ['-a', '--no-merge', '-e', '{cmem_rd_data,cmem_wr_data,cmem_wr_total_bytes},cmem_rd_data,{nvidia_scf_pmu_1/cycles/,cmem_wr_data}'],
  },
  {
    why: 'a wildcard group kept whole by -C leads with the first PMU perf scans',
    args: ['-C', '0', '--no-merge', '-e', '{nvidia_scf_pmu/cycles/,nvidia_scf_pmu/cmem_rd_data/}'],
  },
  {
    why: 'per socket, a merged wildcard counts its CPUs from its first copy only, as perf does',
    args: ['-a', '--per-socket', '-e', '{nvidia_scf_pmu/cycles/,cmem_rd_data},nvidia_scf_pmu/cycles/'],
  },
  {
    why: 'a description longer than perf 6.1 prints is cut where perf cuts it',
    args: [
      '-a',
      '-e',
      `{${['cycles', 'cmem_rd_data', 'cmem_wr_data', 'cmem_rd_data', 'cmem_wr_data'].flatMap((e) => [`nvidia_scf_pmu_0/${e}/`, `nvidia_scf_pmu_1/${e}/`]).join(',')}}`,
    ],
  },
  {
    why: 'pinned events that find no counter are <not counted> without the group hint',
    args: ['-a', '-e', `${Array.from({ length: 10 }, (_, i) => `nvidia_pcie_pmu_0/event=${i + 1}/D`).join(',')},nvidia_scf_pmu_0/cycles/`],
  },
];

describeBesidePerf('event groups: cspmu stat against the real perf 6.1 under cspmu exec', CASES);
