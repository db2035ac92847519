/* The libc entry points the library interposes for fds (syscall, read, ioctl, close, dup, fcntl, mmap, prctl, sleeps). */
#include "cspmu-preload.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	real_init();
	if (cspmu_enabled && nr == __NR_perf_event_open)
		return emu_perf_event_open((struct perf_event_attr *)a[0], (pid_t)a[1], (int)a[2], (int)a[3], (unsigned long)a[4]);
	if (nr == __NR_close_range)
		return close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]);
	if (nr == __NR_close)
		return close((int)a[0]);
	return real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

ssize_t read(int fd, void *buf, size_t count)
{
	real_init();
	if (fdt_is_emu(fd))
		return emu_read(fd, buf, count);
	return real.read(fd, buf, count);
}

ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		abort(); /* what glibc's __chk_fail does, minus the message */
	return read(fd, buf, count);
}

/* A perf event has no read_iter: the kernel reads each segment on its own and stops at the first short one. */
ssize_t readv(int fd, const struct iovec *iov, int n)
{
	real_init();
	if (!fdt_is_emu(fd))
		return real.readv(fd, iov, n);
	if (n < 0 || n > 1024)
		return ERR(EINVAL);
	ssize_t total = 0;
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len == 0)
			continue;
		ssize_t r = emu_read(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((size_t)r != iov[i].iov_len)
			break;
	}
	return total;
}

/* A perf event file cannot be read at an offset. */
ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	real_init();
	if (fdt_is_emu(fd))
		return ERR(ESPIPE);
	return real.pread(fd, buf, count, off);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t off) __attribute__((alias("pread")));

int close(int fd)
{
	real_init();
	if (conn_is_internal(fd))
		return 0; /* the library's own socket is invisible to the application */
	fdt_lock();
	if (fdt_get(fd)) {
		fdt_clear(fd);
		epoll_forget_fd(fd);
	}
	fdt_unlock();
	return real.close(fd);
}

int close_range(unsigned first, unsigned last, int flags)
{
	real_init();
	if (!real.close_range)
		return ERR(ENOSYS);
	if (first > last)
		return ERR(EINVAL);
	if (flags & CLOSE_RANGE_CLOEXEC)
		return real.close_range(first, last, flags);
	fdt_lock();
	for (unsigned fd = first; fd <= last && (int)fd < fdt_limit(); fd++)
		if (fdt_get((int)fd)) {
			fdt_clear((int)fd);
			epoll_forget_fd((int)fd);
		}
	int r = 0;
	int ctl = -1;
	for (unsigned fd = first; fd <= last && fd < 100000; fd++)
		if (conn_is_internal((int)fd))
			ctl = (int)fd;
	if (ctl >= 0) { /* close around the library's own socket */
		if ((unsigned)ctl > first)
			r = real.close_range(first, (unsigned)ctl - 1, flags);
		if (r == 0 && (unsigned)ctl < last)
			r = real.close_range((unsigned)ctl + 1, last, flags);
	} else {
		r = real.close_range(first, last, flags);
	}
	fdt_unlock();
	return r;
}

int dup(int fd)
{
	real_init();
	fdt_lock();
	int r = real.dup(fd);
	if (r >= 0)
		fdt_copy(fd, r);
	fdt_unlock();
	return r;
}

static int dup_into(int old, int new, int flags, int three)
{
	real_init();
	fdt_lock();
	if (old != new) {
		conn_forget(new);
		epoll_forget_fd(new);
	}
	int r = three ? real.dup3(old, new, flags) : real.dup2(old, new);
	if (r >= 0)
		fdt_copy(old, new);
	fdt_unlock();
	return r;
}

int dup2(int old, int new)
{
	return dup_into(old, new, 0, 0);
}

int dup3(int old, int new, int flags)
{
	return dup_into(old, new, flags, 1);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	unsigned long arg = va_arg(ap, unsigned long);
	va_end(ap);
	real_init();
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		fdt_lock();
		int r = real.fcntl(fd, cmd, arg);
		if (r >= 0)
			fdt_copy(fd, r);
		fdt_unlock();
		return r;
	}
	/* F_SETFD and F_SETFL act on the event's socket itself, so close-on-exec and O_NONBLOCK behave as on a perf fd. */
	return real.fcntl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

int ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	unsigned long arg = va_arg(ap, unsigned long);
	va_end(ap);
	real_init();
	if (!fdt_is_emu(fd))
		return real.ioctl(fd, cmd, arg);
	if (cmd == FIOCLEX || cmd == FIONCLEX || cmd == FIONBIO || cmd == FIOASYNC)
		return real.ioctl(fd, cmd, arg); /* the VFS answers these for any file */
	return emu_ioctl(fd, cmd, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	real_init();
	if (!(flags & MAP_ANONYMOUS) && fdt_is_emu(fd))
		return emu_mmap(addr, len, prot, flags, fd, off);
	return real.mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) __attribute__((alias("mmap")));

/* PR_TASK_PERF_EVENTS_ENABLE/DISABLE act on every event this task opened: the kernel's, and the server's. */
int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a[4];
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	real_init();
	int r = real.prctl(option, a[0], a[1], a[2], a[3]);
	if (r == 0 && cspmu_enabled && (option == PR_TASK_PERF_EVENTS_ENABLE || option == PR_TASK_PERF_EVENTS_DISABLE)) {
		fdt_lock();
		int ctl = conn_control();
		uint32_t enable = option == PR_TASK_PERF_EVENTS_ENABLE;
		if (ctl >= 0)
			conn_call(ctl, OP_PRCTL, &enable, 4, NULL, 0, NULL);
		fdt_unlock();
	}
	return r;
}

/* Virtual clock: a sleep is the emulated machine's time moving on by exactly that much, at once. */
static int virtual_sleep(const struct timespec *req)
{
	if (!req)
		return ERR(EFAULT);
	if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
		return ERR(EINVAL);
	uint64_t ns = (uint64_t)req->tv_sec * 1000000000ULL + (uint64_t)req->tv_nsec;
	fdt_lock();
	int ctl = conn_control();
	long r = ctl >= 0 ? conn_call(ctl, OP_SLEEP, &ns, sizeof(ns), NULL, 0, NULL) : ctl;
	fdt_unlock();
	return r < 0 ? ERR((int)-r) : 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	real_init();
	if (cspmu_enabled && cspmu_virtual)
		return virtual_sleep(req);
	return real.nanosleep(req, rem);
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	real_init();
	if (!cspmu_enabled || !cspmu_virtual || (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME && clk != CLOCK_BOOTTIME))
		return real.clock_nanosleep(clk, flags, req, rem);
	if (!(flags & TIMER_ABSTIME))
		return virtual_sleep(req) < 0 ? errno : 0;
	struct timespec now, d;
	clock_gettime(clk, &now);
	d.tv_sec = req->tv_sec - now.tv_sec;
	d.tv_nsec = req->tv_nsec - now.tv_nsec;
	if (d.tv_nsec < 0) {
		d.tv_nsec += 1000000000L;
		d.tv_sec--;
	}
	if (d.tv_sec < 0)
		return 0;
	return virtual_sleep(&d) < 0 ? errno : 0;
}
