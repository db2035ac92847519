/* cspmu-peercred: print the pid, uid and gid the kernel recorded for the peer of the Unix socket on fd 3 (SO_PEERCRED). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
	struct ucred c;
	socklen_t len = sizeof(c);
	if (getsockopt(3, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0) {
		fprintf(stderr, "cspmu-peercred: SO_PEERCRED on fd 3: %s\n", strerror(errno));
		return 1;
	}
	printf("%d %u %u\n", (int)c.pid, (unsigned)c.uid, (unsigned)c.gid);
	return 0;
}
