/* The kernel's own cost for what cspmu emulates, on this machine: read() of an
 * open software counter (task-clock), or perf_event_open() + close() of one.
 * Usage: perf-syscall-ref read|open-close ITERATIONS [WARM-UP]
 * Runs WARM-UP operations untimed (none unless given), then prints the mean
 * nanoseconds per operation over ITERATIONS timed as one loop. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int open_task_clock(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

/* n reads of fd, or n opens and closes; 0 on success. */
static int run(int reading, int fd, long n) {
  uint64_t value;
  for (long i = 0; i < n; i++) {
    if (reading) {
      if (read(fd, &value, sizeof value) != (ssize_t)sizeof value) {
        perror("read");
        return 1;
      }
    } else {
      int other = open_task_clock();
      if (other < 0) {
        perror("perf_event_open");
        return 1;
      }
      close(other);
    }
  }
  return 0;
}

/* The whole of `s` as a decimal number of at least `min`, or -1 (a trailing letter, an empty string, or out of range). */
static long whole_number(const char *s, long min) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  return (errno != 0 || end == s || *end != '\0' || v < min) ? -1 : v;
}

int main(int argc, char **argv) {
  const long n = argc >= 3 ? whole_number(argv[2], 1) : -1;
  const long warm = argc == 4 ? whole_number(argv[3], 0) : 0;
  if ((argc != 3 && argc != 4) || (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "open-close") != 0) || n < 0 || warm < 0) {
    fprintf(stderr, "usage: %s read|open-close ITERATIONS [WARM-UP]\n", argv[0]);
    return 2;
  }
  const int reading = strcmp(argv[1], "read") == 0;
  /* Only reads need a counter held open. Open + close runs with no other
   * event in the task's context, as cspmu's runs with none in the PMU's: an
   * event held there is rescheduled by every open (here about 90 ns a pair). */
  int fd = -1;
  if (reading) {
    fd = open_task_clock();
    if (fd < 0) {
      perror("perf_event_open");
      return 1;
    }
  }
  if (run(reading, fd, warm) != 0) return 1;
  double start = monotonic_ns();
  if (run(reading, fd, n) != 0) return 1;
  printf("%.2f\n", (monotonic_ns() - start) / (double)n);
  if (fd >= 0) close(fd);
  return 0;
}
