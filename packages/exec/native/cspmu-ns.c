/*
 * cspmu-ns: run a command in a private mount namespace with directories bind-mounted over parts of /sys.
 * As root it only unshares the mount namespace; otherwise it first makes a user namespace that maps the
 * caller to itself, so the command still runs with the caller's uid and no capabilities.
 * Usage: cspmu-ns [--bind SRC:DST]... -- CMD [ARGS...]   (binds are made in the order given)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static void die(const char *what, int err, const char *hint)
{
	fprintf(stderr, "cspmu exec: %s: %s%s%s\n", what, strerror(err), hint ? "; " : "", hint ? hint : "");
	exit(126);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path, errno, "cannot set up the user namespace's id maps");
	close(fd);
}

static void enter_namespace(void)
{
	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			die("cannot make a private mount namespace", errno, "this needs CAP_SYS_ADMIN; inside a container, allow unshare (e.g. --cap-add SYS_ADMIN or --privileged)");
		return;
	}
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		die("cannot make a private mount namespace: not root, and no user namespace either", errno,
		    "run as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 or user.max_user_namespaces > 0)");
	char map[64];
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	write_file("/proc/self/gid_map", map);
}

int main(int argc, char **argv)
{
	int i = 1;
	const char *binds[256];
	int nb = 0;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc && nb < 256)
			binds[nb++] = argv[++i];
		else {
			fprintf(stderr, "cspmu-ns: unknown argument '%s'; usage: cspmu-ns [--bind SRC:DST]... -- CMD [ARGS...]\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "cspmu-ns: no command given; usage: cspmu-ns [--bind SRC:DST]... -- CMD [ARGS...]\n");
		return 2;
	}
	enter_namespace();
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("cannot make the mount namespace private", errno, NULL);
	for (int b = 0; b < nb; b++) {
		char *src = strdup(binds[b]);
		char *dst = strchr(src, ':');
		if (!dst) {
			fprintf(stderr, "cspmu-ns: --bind '%s' must be SRC:DST\n", binds[b]);
			return 2;
		}
		*dst++ = 0;
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) {
			char what[600];
			snprintf(what, sizeof(what), "cannot bind-mount %s over %s", src, dst);
			die(what, errno, NULL);
		}
		free(src);
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "cspmu exec: cannot run '%s': %s\n", argv[i + 1], strerror(errno));
	return 127;
}
