/* Shared declarations of the cspmu preload library: the fd table, the wire protocol and the real libc entry points. */
#ifndef CSPMU_PRELOAD_H
#define CSPMU_PRELOAD_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <poll.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

/* Request operations; keep in step with packages/exec/src/protocol.ts. */
enum cspmu_op {
	OP_HELLO = 1,
	OP_OPEN = 2,
	OP_BIND = 3,
	OP_READ = 4,
	OP_IOCTL = 5,
	OP_PRCTL = 6,
	OP_SLEEP = 7,
	OP_WHOAMI = 8,
	OP_STATUS = 9,
	OP_USERPAGE = 10,
	OP_CLOSE = 11,
};

struct cspmu_req_hdr {
	uint32_t op;
	uint32_t len;
};

struct cspmu_rsp_hdr {
	int32_t ret; /* >= 0, or -errno */
	uint32_t len;
};

/* What an fd of this process is, as far as the library knows. */
enum fd_kind { FD_NONE = 0, FD_EMU = 1, FD_KERNEL_PERF = 2 };

struct fd_entry {
	int kind;
	uint32_t handle; /* FD_EMU: the server's event handle */
	int cpu;         /* FD_KERNEL_PERF: where it counts */
	int leader_fd;   /* FD_KERNEL_PERF: its group leader's fd (itself when leading) */
	uint64_t seq;    /* open order, so a group is rebuilt in the order it was made */
	struct perf_event_attr *attr; /* FD_KERNEL_PERF software events: a copy, for moving a group */
};

/* fd table (cspmu-fdtable.c) */
struct fd_entry *fdt_get(int fd);
int fdt_is_emu(int fd);
void fdt_set(int fd, const struct fd_entry *e);
void fdt_clear(int fd);
void fdt_copy(int from, int to);
int fdt_limit(void);
void fdt_lock(void);
void fdt_unlock(void);

/* connection to the server (cspmu-conn.c) */
extern int cspmu_enabled;     /* CSPMU_SOCKET was set */
extern int cspmu_virtual;     /* CSPMU_CLOCK=virtual */
int conn_control(void);       /* the control fd (connects and says hello on first use); -errno */
int conn_is_internal(int fd); /* an fd the library itself uses */
void conn_forget(int fd);     /* the application closed or replaced one of the library's fds */
int conn_new_event_socket(int cloexec);
/* One request/response over fd. rsp may be NULL; returns the server's ret or -errno. */
long conn_call(int fd, uint32_t op, const void *req, uint32_t req_len, void *rsp, uint32_t rsp_cap, uint32_t *rsp_len);
int conn_emulated_type(uint32_t type);
int conn_host_cpus(void);

/* real libc entry points (cspmu-real.c) */
struct real_fns {
	long (*syscall)(long, long, long, long, long, long, long);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*pread)(int, void *, size_t, off_t);
	int (*close)(int);
	int (*close_range)(unsigned, unsigned, int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*prctl)(int, unsigned long, unsigned long, unsigned long, unsigned long);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
	int (*epoll_ctl)(int, int, int, void *);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	int (*nanosleep)(const struct timespec *, struct timespec *);
	int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
};
extern struct real_fns real;
void real_init(void);

/* events (cspmu-events.c) */
long emu_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags);
ssize_t emu_read(int fd, void *buf, size_t count);
int emu_ioctl(int fd, unsigned long cmd, unsigned long arg);
void emu_after_kernel_open(int fd, const struct perf_event_attr *attr, int cpu, int group_fd);
void epoll_forget_fd(int fd);
void *emu_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

#define ERR(e) (errno = (e), -1)

#endif
