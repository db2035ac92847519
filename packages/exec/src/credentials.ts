/**
 * Who is on the other end of a Unix socket, from the kernel's own record (SO_PEERCRED, read by a small C
 * helper because Node has no API for it), and which perf capabilities that process has in the server's user
 * namespace (a process in another user namespace has none here, whatever its CapEff says).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { kerr } from '@cspmu/kernel';
import type { PerfCaller } from '@cspmu/perf';

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;

/** SO_PEERCRED of a connected socket, via the helper binary given its fd as fd 3. */
export function peerCredentials(helper: string, socket: Socket): Promise<PeerCredentials> {
  return new Promise((resolve, reject) => {
    const child = spawn(helper, [], { stdio: ['ignore', 'pipe', 'pipe', socket] });
    socket.resume(); /* spawn stops reading a stream it shares with a child; the connection goes on */
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(kerr('EACCES', `cannot check the client's credentials: ${e.message}`)));
    child.on('close', (code) => {
      const m = /^(\d+) (\d+) (\d+)\n$/.exec(out);
      if (code !== 0 || !m) return reject(kerr('EACCES', `cannot check the client's credentials: ${err.trim() || `helper exited ${code}`}`));
      resolve({ pid: Number(m[1]), uid: Number(m[2]), gid: Number(m[3]) });
    });
  });
}

/** CAP_PERFMON and CAP_SYS_ADMIN of a process, counted only when it shares this process's user namespace. */
export function perfCapabilities(pid: number): PerfCaller['capabilities'] {
  let status: string;
  try {
    if (readlinkSync(`/proc/${pid}/ns/user`) !== readlinkSync('/proc/self/ns/user')) return [];
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return []; /* gone, or not ours to look at: no capabilities */
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return [];
  const eff = BigInt(`0x${m[1]}`);
  const caps: ('CAP_PERFMON' | 'CAP_SYS_ADMIN')[] = [];
  if ((eff >> CAP_PERFMON) & 1n) caps.push('CAP_PERFMON');
  if ((eff >> CAP_SYS_ADMIN) & 1n) caps.push('CAP_SYS_ADMIN');
  return caps;
}

export function callerOf(c: PeerCredentials): PerfCaller {
  return { name: `uid ${c.uid} (pid ${c.pid})`, capabilities: perfCapabilities(c.pid) };
}
