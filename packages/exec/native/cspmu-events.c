/* Emulated events: perf_event_open (routing, groups, moving a software group), read, ioctl and mmap of an event fd. */
#include "cspmu-preload.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define ATTR_MAX 256

struct open_req {
	int32_t cpu;
	int32_t pid;
	int32_t group_handle; /* -1: none */
	uint32_t flags;
	uint32_t attr_size;
	uint8_t attr[ATTR_MAX];
};

struct open_rsp {
	uint32_t handle;
	uint32_t pad;
	uint64_t id;
	uint64_t secret;
};

static uint64_t open_seq;

static int is_software_clock(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_SOFTWARE && (a->config == PERF_COUNT_SW_CPU_CLOCK || a->config == PERF_COUNT_SW_TASK_CLOCK);
}

/* Open one event on the server and give it a socket of its own; returns the fd or -errno. */
static long open_on_server(const struct perf_event_attr *attr, pid_t pid, int cpu, int group_handle, unsigned long flags)
{
	int ctl = conn_control();
	if (ctl < 0)
		return -ENODEV;
	struct open_req req = { .cpu = cpu, .pid = pid, .group_handle = group_handle, .flags = (uint32_t)flags };
	uint32_t size = attr->size ? attr->size : PERF_ATTR_SIZE_VER0;
	if (size < PERF_ATTR_SIZE_VER0 || size > 4096)
		return -E2BIG;
	req.attr_size = size < ATTR_MAX ? size : ATTR_MAX;
	for (uint32_t i = ATTR_MAX; i < size; i++)
		if (((const uint8_t *)attr)[i])
			return -E2BIG;
	memcpy(req.attr, attr, req.attr_size);
	int sock = conn_new_event_socket(!!(flags & PERF_FLAG_FD_CLOEXEC));
	if (sock < 0)
		return sock == -EMFILE || sock == -ENFILE ? sock : -ENODEV;
	struct open_rsp rsp;
	uint32_t len = 0;
	long r = conn_call(ctl, OP_OPEN, &req, (uint32_t)(offsetof(struct open_req, attr) + req.attr_size), &rsp, sizeof(rsp), &len);
	if (r >= 0 && len != sizeof(rsp))
		r = -EPROTO;
	if (r < 0) {
		real.close(sock);
		return r;
	}
	struct {
		uint32_t handle;
		uint32_t pad;
		uint64_t secret;
	} bind = { rsp.handle, 0, rsp.secret };
	r = conn_call(sock, OP_BIND, &bind, sizeof(bind), NULL, 0, NULL);
	if (r < 0) {
		real.close(sock);
		conn_call(ctl, OP_CLOSE, &rsp.handle, 4, NULL, 0, NULL);
		return r;
	}
	struct fd_entry e = { .kind = FD_EMU, .handle = rsp.handle, .seq = ++open_seq };
	fdt_set(sock, &e);
	return sock;
}

/*
 * A hardware event joining a group of software events moves the whole group to the hardware PMU's context,
 * as the kernel does. Here that means reopening the kernel group's members on the server (in open order) and
 * putting their sockets in place of the kernel fds, numbers and close-on-exec flags kept. Counts the kernel
 * events made before the move are not carried over.
 */
static long move_group_to_server(int leader_fd)
{
	struct fd_entry *l = fdt_get(leader_fd);
	if (!l || l->kind != FD_KERNEL_PERF || l->leader_fd != leader_fd)
		return -EINVAL;
	int members[64];
	int n = 0;
	for (int fd = 0; fd < fdt_limit() && n < 64; fd++) {
		struct fd_entry *e = fdt_get(fd);
		if (e && e->kind == FD_KERNEL_PERF && e->leader_fd == leader_fd) {
			if (!e->attr || !is_software_clock(e->attr))
				return -EINVAL; /* another kind of event: the server cannot count it */
			members[n++] = fd;
		}
	}
	for (int i = 1; i < n; i++) /* open order */
		for (int j = i; j > 0 && fdt_get(members[j])->seq < fdt_get(members[j - 1])->seq; j--) {
			int t = members[j];
			members[j] = members[j - 1];
			members[j - 1] = t;
		}
	int leader_handle = -1;
	for (int i = 0; i < n; i++) {
		struct fd_entry *e = fdt_get(members[i]);
		int cloexec = (real.fcntl(members[i], F_GETFD) & FD_CLOEXEC) != 0;
		long s = open_on_server(e->attr, -1, e->cpu, leader_handle, cloexec ? PERF_FLAG_FD_CLOEXEC : 0);
		if (s < 0)
			return s;
		struct fd_entry moved = *fdt_get((int)s);
		moved.seq = e->seq;
		if (real.dup3((int)s, members[i], cloexec ? O_CLOEXEC : 0) < 0) {
			int err = errno;
			real.close((int)s);
			fdt_clear((int)s);
			return -err;
		}
		real.close((int)s);
		fdt_clear((int)s);
		fdt_set(members[i], &moved);
		if (i == 0)
			leader_handle = (int)moved.handle;
	}
	return 0;
}

void emu_after_kernel_open(int fd, const struct perf_event_attr *attr, int cpu, int group_fd)
{
	struct fd_entry e = { .kind = FD_KERNEL_PERF, .cpu = cpu, .leader_fd = group_fd >= 0 ? group_fd : fd, .seq = ++open_seq };
	if (attr->type == PERF_TYPE_SOFTWARE) {
		e.attr = malloc(sizeof(*e.attr));
		if (e.attr) {
			memset(e.attr, 0, sizeof(*e.attr));
			uint32_t size = attr->size && attr->size < sizeof(*e.attr) ? attr->size : sizeof(*e.attr);
			memcpy(e.attr, attr, size);
		}
	}
	fdt_set(fd, &e);
}

long emu_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags)
{
	if (!attr)
		return ERR(EFAULT);
	fdt_lock();
	int gfd = flags & PERF_FLAG_FD_NO_GROUP ? -1 : group_fd;
	struct fd_entry *g = gfd >= 0 ? fdt_get(gfd) : NULL;
	int to_server = 0;
	long r;
	if (g && g->kind == FD_EMU) {
		to_server = 1;
	} else if (conn_emulated_type(attr->type)) {
		to_server = 1;
		if (gfd >= 0 && (r = move_group_to_server(gfd)) < 0) {
			fdt_unlock();
			return ERR((int)-r);
		}
		g = gfd >= 0 ? fdt_get(gfd) : NULL;
	} else if (attr->type == PERF_TYPE_SOFTWARE && cpu >= 0 && cpu >= conn_host_cpus() && gfd < 0 && conn_control() >= 0) {
		to_server = 1; /* a CPU only the emulated machine has */
	}
	if (!to_server) {
		r = real.syscall(__NR_perf_event_open, (long)attr, pid, cpu, group_fd, (long)flags, 0);
		if (r >= 0)
			emu_after_kernel_open((int)r, attr, cpu, gfd);
		fdt_unlock();
		return r;
	}
	r = open_on_server(attr, pid, cpu, g ? (int)g->handle : -1, flags);
	fdt_unlock();
	return r < 0 ? ERR((int)-r) : r;
}

ssize_t emu_read(int fd, void *buf, size_t count)
{
	uint32_t want = count > 65536 ? 65536 : (uint32_t)count;
	uint32_t len = 0;
	fdt_lock();
	long r = conn_call(fd, OP_READ, &want, 4, buf, want, &len);
	fdt_unlock();
	if (r < 0)
		return ERR(r == -ECONNRESET ? EIO : (int)-r);
	return (ssize_t)len;
}

int emu_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	if (_IOC_TYPE(cmd) != '$')
		return ERR(ENOTTY);
	struct {
		uint32_t cmd;
		int32_t output_handle;
		uint64_t arg;
	} req = { (uint32_t)cmd, -1, arg };
	if (cmd == PERF_EVENT_IOC_SET_OUTPUT && (int)arg >= 0) {
		struct fd_entry *o = fdt_get((int)arg);
		req.output_handle = o && o->kind == FD_EMU ? (int32_t)o->handle : -2;
	}
	if ((cmd == PERF_EVENT_IOC_ID || cmd == PERF_EVENT_IOC_PERIOD) && !arg)
		return ERR(EFAULT);
	if (cmd == PERF_EVENT_IOC_PERIOD)
		req.arg = *(uint64_t *)arg;
	uint64_t out = 0;
	uint32_t len = 0;
	fdt_lock();
	long r = conn_call(fd, OP_IOCTL, &req, sizeof(req), &out, sizeof(out), &len);
	fdt_unlock();
	if (r < 0)
		return ERR(r == -ECONNRESET ? EIO : (int)-r);
	if (cmd == PERF_EVENT_IOC_ID)
		*(uint64_t *)arg = out;
	return (int)r;
}

/* The kernel maps one user page (plus 2^n data pages) of a counting event; an uncore PMU has no rdpmc, so index is 0. */
void *emu_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = len / (size_t)page;
	if (!(flags & MAP_SHARED) || off != 0 || len % (size_t)page || pages == 0 || ((pages - 1) & (pages - 2)))
		return errno = EINVAL, MAP_FAILED;
	struct {
		uint64_t value;
		uint64_t enabled;
		uint64_t running;
	} snap;
	uint32_t got = 0;
	fdt_lock();
	long r = conn_call(fd, OP_USERPAGE, NULL, 0, &snap, sizeof(snap), &got);
	fdt_unlock();
	if (r < 0 || got != sizeof(snap))
		return errno = r < 0 ? (int)-r : EIO, MAP_FAILED;
	void *p = real.mmap(addr, len, prot | PROT_WRITE, (flags & ~MAP_TYPE) | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	struct perf_event_mmap_page *u = p;
	u->cap_bit0_is_deprecated = 1;
	u->size = offsetof(struct perf_event_mmap_page, __reserved);
	u->index = 0;
	u->offset = (int64_t)snap.value;
	u->time_enabled = snap.enabled;
	u->time_running = snap.running;
	u->data_offset = (uint64_t)page;
	u->data_size = (pages - 1) * (uint64_t)page;
	u->lock = 2;
	if (!(prot & PROT_WRITE))
		mprotect(p, len, prot);
	return p;
}
