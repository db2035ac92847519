/* The library's fd table: which fds of this process are emulated events (and which are the kernel's perf events). */
#include "cspmu-preload.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct fd_entry *table;
static int cap;
static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void fdt_lock(void)
{
	pthread_mutex_lock(&lock);
}

void fdt_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

struct fd_entry *fdt_get(int fd)
{
	if (fd < 0 || fd >= cap || table[fd].kind == FD_NONE)
		return NULL;
	return &table[fd];
}

int fdt_is_emu(int fd)
{
	return fd >= 0 && fd < cap && table[fd].kind == FD_EMU;
}

int fdt_limit(void)
{
	return cap;
}

static int grow(int fd)
{
	if (fd < cap)
		return 0;
	int n = cap ? cap : 256;
	while (n <= fd)
		n *= 2;
	struct fd_entry *t = realloc(table, (size_t)n * sizeof(*t));
	if (!t)
		return -1;
	memset(t + cap, 0, (size_t)(n - cap) * sizeof(*t));
	table = t;
	cap = n;
	return 0;
}

void fdt_set(int fd, const struct fd_entry *e)
{
	if (fd < 0 || grow(fd) < 0)
		return;
	free(table[fd].attr);
	table[fd] = *e;
}

void fdt_clear(int fd)
{
	if (fd < 0 || fd >= cap)
		return;
	free(table[fd].attr);
	memset(&table[fd], 0, sizeof(table[fd]));
}

/* dup and friends: `to` now refers to what `from` refers to. */
void fdt_copy(int from, int to)
{
	if (from == to)
		return;
	struct fd_entry *src = fdt_get(from);
	if (!src) {
		fdt_clear(to);
		return;
	}
	struct fd_entry e = *src;
	if (e.attr) {
		struct perf_event_attr *a = malloc(sizeof(*a));
		if (a)
			memcpy(a, e.attr, sizeof(*a));
		e.attr = a;
	}
	if (e.kind == FD_KERNEL_PERF && e.leader_fd == from)
		e.leader_fd = to;
	fdt_set(to, &e);
}

/* fork: hold the lock across it, so the child never inherits it held by a thread that does not exist there. */
static void before_fork(void)
{
	pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void after_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	lock = fresh;
}

__attribute__((constructor(101))) static void fdt_init(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
