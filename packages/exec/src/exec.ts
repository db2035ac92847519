/**
 * `cspmu exec`: boot the machine, write its sysfs views, serve its perf core, and run a command in a private
 * mount namespace with the views mounted and the preload library loaded; then take everything down again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus as hostCpuList, constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kerr } from '@cspmu/kernel';
import type { Machine } from '@cspmu/system';
import { NATIVE, nativeUnavailable } from './native.js';
import { EventServer } from './server.js';
import { buildEventSourceView, buildSystemView, HOST_EVENT_SOURCES, HOST_SYSTEM } from './views.js';

export type ClockMode = 'wall' | 'virtual';

export interface Session {
  readonly dir: string;
  readonly socket: string;
  readonly server: EventServer;
  /** Arguments for cspmu-ns that mount the views. */
  readonly binds: readonly string[];
  /** Environment that loads the preload library against this session's server. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Where session directories go: tmpfs when the host has one (thousands of small sysfs files), else the temp dir. */
export function sessionRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** The host kernel's possible CPUs (before any view hides them). */
export function hostCpuCount(): number {
  try {
    const text = readFileSync(`${HOST_SYSTEM}/cpu/possible`, 'utf8').trim();
    return Math.max(...text.split(',').map((r) => Number(r.split('-').pop()))) + 1;
  } catch {
    return hostCpuList().length;
  }
}

/** The host's perf_event_paranoid, which the emulated core applies by default. */
export function hostParanoid(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim());
  } catch {
    return 2;
  }
}

/** Views, server and environment for a booted machine. The machine must use the manual clock. */
export async function startSession(machine: Machine, clock: ClockMode): Promise<Session> {
  const missing = nativeUnavailable();
  if (missing) throw kerr('ENOENT', `cspmu exec is unavailable: ${missing}`);
  const dir = mkdtempSync(join(sessionRoot(), 'cspmu-exec-'));
  chmodSync(dir, 0o755);
  try {
    const types = await buildEventSourceView(machine, join(dir, 'events'));
    const keep = buildSystemView(machine, join(dir, 'system'));
    const server = new EventServer(machine, { clock, types, hostCpus: hostCpuCount(), peercred: NATIVE.peercred });
    const socket = join(dir, 'sock');
    await server.listen(socket);
    const binds = [
      ...keep.flatMap((name) => ['--bind', `${HOST_SYSTEM}/${name}:${join(dir, 'system', name)}`]),
      '--bind',
      `${join(dir, 'system')}:${HOST_SYSTEM}`,
      '--bind',
      `${join(dir, 'events')}:${HOST_EVENT_SOURCES}`,
    ];
    const preload = [NATIVE.preload, process.env['LD_PRELOAD']].filter(Boolean).join(':');
    return {
      dir,
      socket,
      server,
      binds,
      env: { LD_PRELOAD: preload, CSPMU_SOCKET: socket, CSPMU_CLOCK: clock },
      async stop() {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface ExecResult {
  /** The command's exit status (128 + signal number when a signal ended it). */
  readonly status: number;
}

/** Start `command` inside a session (in its mount namespace, with the library preloaded). */
export function spawnInSession(
  session: Session,
  command: readonly string[],
  options: { stdio?: 'inherit' | 'pipe'; env?: Record<string, string> } = {},
): ChildProcess {
  if (command.length === 0) throw kerr('EINVAL', 'no command given: cspmu exec [options] -- COMMAND [ARGS...]');
  return spawn(NATIVE.ns, [...session.binds, '--', ...command], { stdio: options.stdio ?? 'inherit', env: { ...process.env, ...options.env, ...session.env } });
}

/** Run `command` inside a session; resolves when it exits. Signals that would end cspmu go to the command. */
export function runInSession(session: Session, command: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawnInSession(session, command);
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const done = () => {
      for (const s of signals) process.off(s, forward);
    };
    child.on('error', (e) => {
      done();
      reject(kerr('ENOENT', `cannot start ${NATIVE.ns}: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      done();
      resolve({ status: code ?? 128 + (signal ? osConstants.signals[signal] : 0) });
    });
  });
}
