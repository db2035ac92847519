/* The real libc entry points behind the ones this library interposes, looked up once with dlsym(RTLD_NEXT). */
#include "cspmu-preload.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct real_fns real;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *must(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p) {
		fprintf(stderr, "cspmu preload: libc has no %s: %s\n", name, dlerror());
		abort();
	}
	return p;
}

static void lookup(void)
{
	real.syscall = must("syscall");
	real.read = must("read");
	real.readv = must("readv");
	real.pread = must("pread");
	real.close = must("close");
	real.close_range = dlsym(RTLD_NEXT, "close_range"); /* glibc >= 2.34 */
	real.dup = must("dup");
	real.dup2 = must("dup2");
	real.dup3 = must("dup3");
	real.fcntl = must("fcntl");
	real.ioctl = must("ioctl");
	real.prctl = must("prctl");
	real.poll = must("poll");
	real.ppoll = must("ppoll");
	real.select = must("select");
	real.pselect = must("pselect");
	real.epoll_ctl = must("epoll_ctl");
	real.mmap = must("mmap");
	real.munmap = must("munmap");
	real.nanosleep = must("nanosleep");
	real.clock_nanosleep = must("clock_nanosleep");
}

void real_init(void)
{
	pthread_once(&once, lookup);
}
