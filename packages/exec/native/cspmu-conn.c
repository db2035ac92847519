/*
 * The connection to `cspmu serve`: one control socket per process (credentials are checked on it once),
 * one socket per emulated event (the fd the application sees; the server closes the event when the last
 * copy of that socket closes, so dup, fork, exec and a SIGKILL need no bookkeeping here).
 */
#include "cspmu-preload.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int cspmu_enabled;
int cspmu_virtual;
static struct sockaddr_un server_addr;
static int ctl = -1;
static int host_cpus;
static uint32_t types[256];
static uint32_t ntypes;

#define CONTROL_FD_FLOOR 900 /* keep the library's own fd out of the low numbers the application expects */

static int send_all(int fd, const struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	size_t sent = 0;
	while (sent < total) {
		ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				real.poll(&p, 1, -1);
				continue;
			}
			return -errno;
		}
		sent += (size_t)r;
		while (r > 0 && m.msg_iovlen > 0) {
			size_t take = (size_t)r < m.msg_iov->iov_len ? (size_t)r : m.msg_iov->iov_len;
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + take;
			m.msg_iov->iov_len -= take;
			r -= (ssize_t)take;
			if (m.msg_iov->iov_len == 0) {
				m.msg_iov++;
				m.msg_iovlen--;
			}
		}
	}
	return 0;
}

/*
 * How long a caller polls for its reply before it sleeps. The server answers in microseconds, but a
 * sleeping thread on an idle virtual CPU takes tens of microseconds to wake up; a read that polls never
 * sleeps. When a reply does not come within the window (a loaded machine, where the server may need
 * this very CPU), the thread stops polling for its next POLL_BACKOFF calls.
 */
#define REPLY_POLL_NS 50000
#define POLL_BACKOFF 64

static __thread int poll_skip;

static int64_t monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int recv_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	int64_t poll_until = -1; /* -1: not started; 0: no polling, sleep */
	if (poll_skip > 0) {
		poll_skip--;
		poll_until = 0;
	}
	while (got < len) {
		ssize_t r = recv(fd, (char *)buf + got, len - got, poll_until != 0 ? MSG_DONTWAIT : 0);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && poll_until != 0) {
				int64_t now = monotonic_ns();
				if (poll_until < 0)
					poll_until = now + REPLY_POLL_NS;
				if (now >= poll_until) {
					poll_until = 0;
					poll_skip = POLL_BACKOFF;
				}
				continue;
			}
			if (errno == EAGAIN) {
				struct pollfd p = { .fd = fd, .events = POLLIN };
				real.poll(&p, 1, -1);
				continue;
			}
			return -errno;
		}
		got += (size_t)r;
	}
	return 0;
}

long conn_call(int fd, uint32_t op, const void *req, uint32_t req_len, void *rsp, uint32_t rsp_cap, uint32_t *rsp_len)
{
	struct cspmu_req_hdr h = { op, req_len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)req, req_len } };
	int saved = errno;
	int r = send_all(fd, iov, req_len ? 2 : 1);
	if (r < 0)
		return errno = saved, -ECONNRESET;
	struct cspmu_rsp_hdr rh;
	r = recv_all(fd, &rh, sizeof(rh));
	if (r < 0)
		return errno = saved, -ECONNRESET;
	uint32_t keep = rh.len < rsp_cap ? rh.len : rsp_cap;
	if (keep && (r = recv_all(fd, rsp, keep)) < 0)
		return errno = saved, -ECONNRESET;
	for (uint32_t left = rh.len - keep; left > 0;) {
		char sink[256];
		uint32_t n = left < sizeof(sink) ? left : sizeof(sink);
		if (recv_all(fd, sink, n) < 0)
			return errno = saved, -ECONNRESET;
		left -= n;
	}
	if (rsp_len)
		*rsp_len = keep;
	errno = saved;
	return rh.ret;
}

static int dial(int cloexec)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&server_addr, sizeof(server_addr)) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		real.close(fd);
		return e == EMFILE || e == ENFILE ? -e : -ECONNREFUSED;
	}
	return fd;
}

int conn_new_event_socket(int cloexec)
{
	return dial(cloexec);
}

int conn_control(void)
{
	if (ctl >= 0)
		return ctl;
	if (!cspmu_enabled)
		return -ENOSYS;
	int fd = dial(1);
	if (fd < 0)
		return fd;
	int high = real.fcntl(fd, F_DUPFD_CLOEXEC, CONTROL_FD_FLOOR);
	if (high >= 0) {
		real.close(fd);
		fd = high;
	}
	uint32_t reply[2 + 256];
	uint32_t len = 0;
	long r = conn_call(fd, OP_HELLO, NULL, 0, reply, sizeof(reply), &len);
	if (r < 0 || len < 8) {
		real.close(fd);
		return r < 0 ? (int)r : -EPROTO;
	}
	host_cpus = (int)reply[0];
	ntypes = reply[1] < 256 ? reply[1] : 256;
	if (len < 8 + 4 * ntypes)
		ntypes = (len - 8) / 4;
	memcpy(types, reply + 2, 4 * ntypes);
	ctl = fd;
	return ctl;
}

int conn_is_internal(int fd)
{
	return fd >= 0 && fd == ctl;
}

void conn_forget(int fd)
{
	if (fd == ctl)
		ctl = -1;
}

int conn_emulated_type(uint32_t type)
{
	if (!cspmu_enabled || conn_control() < 0)
		return 0;
	for (uint32_t i = 0; i < ntypes; i++)
		if (types[i] == type)
			return 1;
	return 0;
}

int conn_host_cpus(void)
{
	return host_cpus;
}

/* After exec the table is empty: find the inherited event sockets (peer = the server) and ask each which event it is. */
static void adopt_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int self = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == self)
			continue;
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		struct sockaddr_un peer;
		socklen_t plen = sizeof(peer);
		if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 || peer.sun_family != AF_UNIX)
			continue;
		if (strncmp(peer.sun_path, server_addr.sun_path, sizeof(peer.sun_path)) != 0)
			continue;
		uint32_t handle;
		uint32_t len = 0;
		if (conn_call(fd, OP_WHOAMI, NULL, 0, &handle, sizeof(handle), &len) < 0 || len != 4)
			continue;
		struct fd_entry e = { .kind = FD_EMU, .handle = handle };
		fdt_set(fd, &e);
	}
	closedir(d);
}

__attribute__((constructor(102))) static void conn_init(void)
{
	real_init();
	const char *path = getenv("CSPMU_SOCKET");
	const char *clock = getenv("CSPMU_CLOCK");
	if (!path || !*path || strlen(path) >= sizeof(server_addr.sun_path))
		return;
	server_addr.sun_family = AF_UNIX;
	strcpy(server_addr.sun_path, path);
	cspmu_enabled = 1;
	cspmu_virtual = clock && strcmp(clock, "virtual") == 0;
	adopt_inherited();
}

static void child_forgets_control(void)
{
	/* The child must not talk over the parent's control socket: it connects its own when it needs one. */
	if (ctl >= 0)
		real.close(ctl);
	ctl = -1;
}

__attribute__((constructor(103))) static void conn_atfork(void)
{
	pthread_atfork(NULL, NULL, child_forgets_control);
}
