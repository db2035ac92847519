/*
 * Readiness of an event fd: the kernel's poll on a perf event with no ring buffer reports POLLHUP and nothing
 * else, at once. poll and select are answered here; epoll is given a stand-in fd that is always hung up (the
 * read end of a pipe with no writer), so epoll_wait needs no help.
 */
#include "cspmu-preload.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static int hup_fd = -1;

struct stand_in {
	int epfd, fd, sub;
};
static struct stand_in *subs;
static int nsubs, capsubs;

static int hung_up_fd(void)
{
	if (hup_fd < 0) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		real.close(p[1]);
		hup_fd = p[0];
	}
	return real.fcntl(hup_fd, F_DUPFD_CLOEXEC, 0);
}

void epoll_forget_fd(int fd)
{
	for (int i = 0; i < nsubs;)
		if (subs[i].fd == fd || subs[i].epfd == fd) {
			real.close(subs[i].sub);
			subs[i] = subs[--nsubs];
		} else {
			i++;
		}
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	real_init();
	if (!fdt_is_emu(fd))
		return real.epoll_ctl(epfd, op, fd, ev);
	fdt_lock();
	int i = 0;
	while (i < nsubs && !(subs[i].epfd == epfd && subs[i].fd == fd))
		i++;
	int r;
	if (op == EPOLL_CTL_ADD) {
		if (i < nsubs) {
			fdt_unlock();
			return ERR(EEXIST);
		}
		int sub = hung_up_fd();
		if (sub < 0 || (nsubs == capsubs && !(subs = realloc(subs, sizeof(*subs) * (size_t)(capsubs = capsubs ? capsubs * 2 : 16))))) {
			fdt_unlock();
			return ERR(ENOMEM);
		}
		r = real.epoll_ctl(epfd, op, sub, ev);
		if (r == 0)
			subs[nsubs++] = (struct stand_in){ epfd, fd, sub };
		else
			real.close(sub);
	} else {
		if (i == nsubs) {
			fdt_unlock();
			return ERR(ENOENT);
		}
		r = real.epoll_ctl(epfd, op, subs[i].sub, ev);
		if (r == 0 && op == EPOLL_CTL_DEL) {
			real.close(subs[i].sub);
			subs[i] = subs[--nsubs];
		}
	}
	fdt_unlock();
	return r;
}

static int poll_common(struct pollfd *fds, nfds_t n, int timeout_ms, const struct timespec *ts, const sigset_t *mask, int is_ppoll)
{
	real_init();
	nfds_t ours = 0;
	for (nfds_t i = 0; i < n; i++)
		if (fdt_is_emu(fds[i].fd))
			ours++;
	if (!ours)
		return is_ppoll ? real.ppoll(fds, n, ts, mask) : real.poll(fds, n, timeout_ms);
	struct pollfd *copy = malloc(sizeof(*copy) * n);
	if (!copy)
		return ERR(ENOMEM);
	memcpy(copy, fds, sizeof(*copy) * n);
	for (nfds_t i = 0; i < n; i++)
		if (fdt_is_emu(fds[i].fd))
			copy[i].fd = -1;
	struct timespec zero = { 0, 0 };
	int r = is_ppoll ? real.ppoll(copy, n, &zero, mask) : real.poll(copy, n, 0);
	if (r < 0) {
		free(copy);
		return r;
	}
	for (nfds_t i = 0; i < n; i++) {
		if (fdt_is_emu(fds[i].fd)) {
			fds[i].revents = POLLHUP;
			r++;
		} else {
			fds[i].revents = copy[i].revents;
		}
	}
	free(copy);
	return r;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return poll_common(fds, n, timeout, NULL, NULL, 0);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len)
{
	if (len / sizeof(*fds) < n)
		abort();
	return poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	return poll_common(fds, n, 0, ts, mask, 1);
}

/* select: a hung-up fd is readable, never writable or exceptional. */
static int select_common(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv, const struct timespec *ts, const sigset_t *mask, int is_p)
{
	real_init();
	fd_set ours;
	FD_ZERO(&ours);
	int any = 0;
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (fdt_is_emu(fd) && ((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) || (e && FD_ISSET(fd, e)))) {
			FD_SET(fd, &ours);
			any = 1;
		}
	if (!any)
		return is_p ? real.pselect(nfds, r, w, e, ts, mask) : real.select(nfds, r, w, e, tv);
	int readable[FD_SETSIZE];
	int nr = 0;
	for (int fd = 0; fd < nfds; fd++)
		if (FD_ISSET(fd, &ours)) {
			if (r && FD_ISSET(fd, r))
				readable[nr++] = fd;
			if (r)
				FD_CLR(fd, r);
			if (w)
				FD_CLR(fd, w);
			if (e)
				FD_CLR(fd, e);
		}
	struct timeval zero_tv = { 0, 0 };
	struct timespec zero_ts = { 0, 0 };
	int n = is_p ? real.pselect(nfds, r, w, e, &zero_ts, mask) : real.select(nfds, r, w, e, &zero_tv);
	if (n < 0)
		return n;
	for (int i = 0; i < nr; i++)
		FD_SET(readable[i], r);
	return n + nr;
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	return select_common(nfds, r, w, e, tv, NULL, NULL, 0);
}

int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts, const sigset_t *mask)
{
	return select_common(nfds, r, w, e, NULL, ts, mask, 1);
}
