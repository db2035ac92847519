/*
 * perf-open-check TYPE LEADER-CONFIG SIBLING-CONFIG CPU: drive perf_event_open the way tools do (a group, ioctls, group reads,
 * dup, fork, close_range, poll/select/epoll, mmap, prctl) and print one line per outcome, without counts,
 * so the same transcript comes out on a kernel PMU and on an emulated one.
 * perf-open-check open TYPE CONFIG CPU: one system-wide open; prints its outcome.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static uint32_t type;
static uint64_t config, sibling_config;
static int cpu;

static int open_config(uint64_t cfg, int group, int disabled, uint64_t read_format, uint64_t period);

static int open_event(int group, int disabled, uint64_t read_format, uint64_t period)
{
	return open_config(group >= 0 ? sibling_config : config, group, disabled, read_format, period);
}

static int open_config(uint64_t cfg, int group, int disabled, uint64_t read_format, uint64_t period)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = type;
	a.config = cfg;
	a.disabled = disabled;
	a.read_format = read_format;
	a.sample_period = period;
	return (int)syscall(__NR_perf_event_open, &a, -1, cpu, group, PERF_FLAG_FD_CLOEXEC);
}

static const char *outcome(long r)
{
	static char buf[64];
	if (r >= 0)
		return "ok";
	snprintf(buf, sizeof(buf), "%s", strerrorname_np(errno));
	return buf;
}

static void pause_ms(int ms)
{
	struct timespec t = { 0, ms * 1000000L };
	nanosleep(&t, NULL);
}

struct group_read {
	uint64_t nr, enabled, running;
	struct {
		uint64_t value, id;
	} v[2];
};

int main(int argc, char **argv)
{
	alarm(20); /* a read that goes to the wrong place blocks; die rather than hang the test */
	if (argc == 4 && strcmp(argv[1], "after-exec") == 0) { /* exec'd by the check below */
		uint64_t v[2];
		printf("after exec, inherited event: %s\n", outcome(read(atoi(argv[2]), v, sizeof(v))));
		printf("after exec, close-on-exec event: %s\n", outcome(read(atoi(argv[3]), v, sizeof(v))));
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "open") == 0) { /* one system-wide open, for permission checks */
		type = (uint32_t)strtoul(argv[2], NULL, 0);
		cpu = atoi(argv[4]);
		printf("open: %s\n", outcome(open_config(strtoull(argv[3], NULL, 0), -1, 0, 0, 0)));
		return 0;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: perf-open-check TYPE LEADER-CONFIG SIBLING-CONFIG CPU\n");
		return 2;
	}
	type = (uint32_t)strtoul(argv[1], NULL, 0);
	config = strtoull(argv[2], NULL, 0);
	sibling_config = strtoull(argv[3], NULL, 0);
	cpu = atoi(argv[4]);
	uint64_t fmt = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;

	int leader = open_event(-1, 1, fmt, 0);
	printf("open leader: %s\n", outcome(leader));
	int sib = open_event(leader, 0, fmt, 0);
	printf("open sibling: %s\n", outcome(sib));
	if (leader < 0 || sib < 0)
		return 1;
	printf("cloexec: %d\n", (fcntl(leader, F_GETFD) & FD_CLOEXEC) != 0);
	uint64_t id0 = 0, id1 = 0;
	printf("ioc id: %s %s\n", outcome(ioctl(leader, PERF_EVENT_IOC_ID, &id0)), outcome(ioctl(sib, PERF_EVENT_IOC_ID, &id1)));
	printf("ids differ: %d\n", id0 != id1);

	printf("enable group: %s\n", outcome(ioctl(leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP)));
	pause_ms(20);
	printf("disable group: %s\n", outcome(ioctl(leader, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP)));
	struct group_read g;
	memset(&g, 0, sizeof(g));
	ssize_t n = read(leader, &g, sizeof(g));
	printf("group read: %zd bytes, nr %llu, ids match %d, counted %d, enabled == running %d\n", n, (unsigned long long)g.nr,
	       g.v[0].id == id0 && g.v[1].id == id1, g.v[0].value > 0 && g.v[1].value > 0, g.enabled == g.running);
	char small[8];
	printf("short read: %s\n", outcome(read(leader, small, sizeof(small))));
	printf("pread: %s\n", outcome(pread(leader, &g, sizeof(g), 0)));
	struct iovec iov[2] = { { &g, 16 }, { (char *)&g + 16, sizeof(g) - 16 } };
	printf("readv split: %s\n", outcome(readv(leader, iov, 2)));
	struct iovec whole[2] = { { &g, sizeof(g) }, { small, sizeof(small) } };
	printf("readv whole: %zd bytes\n", (ssize_t)readv(leader, whole, 2));

	struct group_read a, b;
	int d = dup(leader);
	read(leader, &a, sizeof(a));
	read(d, &b, sizeof(b));
	printf("dup reads the same: %d\n", memcmp(&a, &b, sizeof(a)) == 0);
	int d2 = fcntl(leader, F_DUPFD_CLOEXEC, 50);
	printf("F_DUPFD_CLOEXEC: %s at %d\n", outcome(d2), d2 >= 50);
	int d3 = dup3(leader, 60, 0);
	printf("dup3: %s cloexec %d\n", outcome(d3), (fcntl(60, F_GETFD) & FD_CLOEXEC) != 0);
	printf("F_SETFL O_NONBLOCK: %s, read %zd\n", outcome(fcntl(d3, F_SETFL, O_NONBLOCK)), read(d3, &b, sizeof(b)));

	int p[2];
	pipe(p);
	pid_t child = fork();
	if (child == 0) {
		struct group_read c;
		ssize_t r = read(leader, &c, sizeof(c));
		write(p[1], &c, sizeof(c));
		_exit(r == (ssize_t)sizeof(c) ? 0 : 1);
	}
	struct group_read c;
	read(p[0], &c, sizeof(c));
	int status;
	waitpid(child, &status, 0);
	printf("fork child reads the same: %d (exit %d)\n", memcmp(&a, &c, sizeof(a)) == 0, WEXITSTATUS(status));

	printf("close leader: %s\n", outcome(close(leader)));
	int reuse = open("/dev/null", O_RDONLY | O_CLOEXEC);
	printf("fd number reused: %d, reads %zd\n", reuse == leader, read(reuse, &b, sizeof(b)));
	close(reuse);
	printf("dup keeps the event: %zd bytes\n", read(d, &b, sizeof(b)));
	printf("close_range 50-60: %s\n", outcome(syscall(__NR_close_range, 50, 60, 0)));
	printf("read after close_range: %s\n", outcome(read(d2, &b, sizeof(b))));

	struct pollfd pf = { .fd = d, .events = POLLIN | POLLOUT };
	int pr = poll(&pf, 1, 1000);
	printf("poll: %d revents 0x%x\n", pr, pf.revents);
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(d, &rs);
	FD_SET(d, &ws);
	struct timeval tv = { 1, 0 };
	int sr = select(d + 1, &rs, &ws, NULL, &tv);
	printf("select: %d readable %d writable %d\n", sr, FD_ISSET(d, &rs) != 0, FD_ISSET(d, &ws) != 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u64 = 42 };
	printf("epoll add: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev)));
	struct epoll_event got;
	int er = epoll_wait(ep, &got, 1, 1000);
	printf("epoll: %d events 0x%x data %llu\n", er, er > 0 ? got.events : 0, er > 0 ? (unsigned long long)got.data.u64 : 0ULL);
	printf("epoll del: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL)));
	close(ep);

	printf("refresh: %s\n", outcome(ioctl(sib, PERF_EVENT_IOC_REFRESH, 1)));
	printf("set filter: %s\n", outcome(ioctl(sib, PERF_EVENT_IOC_SET_FILTER, "x")));
	printf("unknown perf ioctl: %s\n", outcome(ioctl(sib, _IO('$', 99), 0)));
	printf("reset: %s\n", outcome(ioctl(sib, PERF_EVENT_IOC_RESET, 0)));

	long page = sysconf(_SC_PAGESIZE);
	void *m = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, sib, 0);
	printf("mmap user page: %s", m == MAP_FAILED ? outcome(-1) : "ok");
	if (m != MAP_FAILED) {
		struct perf_event_mmap_page *u = m;
		printf(" index %u data_offset %llu\n", u->index, (unsigned long long)u->data_offset);
		munmap(m, (size_t)page);
	} else
		printf("\n");
	printf("mmap private: %s\n", outcome(mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, sib, 0) == MAP_FAILED ? -1 : 0));
	printf("mmap 3 pages: %s\n", outcome(mmap(NULL, 3 * (size_t)page, PROT_READ, MAP_SHARED, sib, 0) == MAP_FAILED ? -1 : 0));

	int solo = open_event(-1, 0, PERF_FORMAT_TOTAL_TIME_ENABLED, 0);
	uint64_t before[2], after[2];
	printf("prctl disable: %s\n", outcome(prctl(PR_TASK_PERF_EVENTS_DISABLE, 0, 0, 0, 0)));
	read(solo, before, sizeof(before));
	pause_ms(5);
	read(solo, after, sizeof(after));
	printf("stopped while disabled: %d\n", before[0] == after[0]);
	printf("prctl enable: %s\n", outcome(prctl(PR_TASK_PERF_EVENTS_ENABLE, 0, 0, 0, 0)));
	pause_ms(5);
	read(solo, after, sizeof(after));
	printf("counts again: %d\n", after[0] > before[0]);

	child = fork();
	if (child == 0)
		_exit(prctl(PR_TASK_PERF_EVENTS_DISABLE, 0, 0, 0, 0) == 0 ? 0 : 1);
	waitpid(child, &status, 0);
	read(solo, before, sizeof(before));
	pause_ms(5);
	read(solo, after, sizeof(after));
	printf("a child's prctl leaves the parent's events counting: %d\n", after[0] > before[0]);

	int kept = open_config(config, -1, 0, PERF_FORMAT_TOTAL_TIME_ENABLED, 0);
	fcntl(kept, F_SETFD, 0);
	char a1[16], a2[16];
	snprintf(a1, sizeof(a1), "%d", kept);
	snprintf(a2, sizeof(a2), "%d", solo);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "after-exec", a1, a2, (char *)NULL);
	printf("exec: %s\n", outcome(-1));
	return 1;
}
