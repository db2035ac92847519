/*
 * read-loop TYPE CONFIG CPU ROUNDS: open one counting event and time read() on it: ROUNDS batches of 200
 * reads, each batch's mean per read; prints {"median_ns":..,"min_ns":..,"max_ns":..} over the batches.
 */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BATCH 200

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: read-loop TYPE CONFIG CPU ROUNDS\n");
		return 2;
	}
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = (uint32_t)strtoul(argv[1], NULL, 0);
	a.config = strtoull(argv[2], NULL, 0);
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	int fd = (int)syscall(__NR_perf_event_open, &a, -1, atoi(argv[3]), -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		perror("perf_event_open");
		return 1;
	}
	int rounds = atoi(argv[4]);
	if (rounds < 1 || rounds > 100000)
		rounds = 50;
	double *mean = malloc(sizeof(double) * (size_t)rounds);
	uint64_t v[3];
	for (int i = 0; i < BATCH; i++) /* warm up */
		if (read(fd, v, sizeof(v)) != sizeof(v))
			return 1;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (int i = 0; i < BATCH; i++)
			if (read(fd, v, sizeof(v)) != sizeof(v))
				return 1;
		mean[r] = (now_ns() - t0) / BATCH;
	}
	qsort(mean, (size_t)rounds, sizeof(double), cmp);
	printf("{\"median_ns\":%.0f,\"min_ns\":%.0f,\"max_ns\":%.0f}\n", mean[rounds / 2], mean[0], mean[rounds - 1]);
	return 0;
}
