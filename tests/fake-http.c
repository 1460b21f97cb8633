/*
 * A stand-in HTTP server for the admin-API and Prometheus tests, on
 * loopback only: fake-http DIR PORTFILE. It listens on a free port of
 * 127.0.0.1, writes the port to PORTFILE, and answers each GET with a file
 * of DIR named after the path ("/stats?format=json" -> DIR/stats.json,
 * "/api/v1/query?..." -> DIR/api_v1_query.json). Beside a file, NAME.status
 * holds another status code, NAME.delay a delay in ms before the answer, and
 * NAME.close makes it close the connection without answering. A missing
 * file is a 404. Each request target is printed on stdout. Each request is
 * answered by a child process; SIGTERM to the process group ends them all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0, k;
	char *buf = malloc(cap);
	while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static void answer(int fd, const char *dir, const char *target)
{
	char name[256] = "", path[1024];
	size_t n = 0;
	for (const char *p = target + (*target == '/'); *p && *p != '?' && n + 1 < sizeof(name); p++)
		name[n++] = *p == '/' ? '_' : *p;
	name[n] = '\0';
	if (!n)
		strcpy(name, "index");
	snprintf(path, sizeof(path), "%s/%s.close", dir, name);
	if (access(path, F_OK) == 0)
		return;
	snprintf(path, sizeof(path), "%s/%s.delay", dir, name);
	char *delay = slurp(path, NULL);
	if (delay) {
		long ms = strtol(delay, NULL, 10);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
		free(delay);
	}
	int status = 200;
	snprintf(path, sizeof(path), "%s/%s.status", dir, name);
	char *st = slurp(path, NULL);
	if (st) {
		status = atoi(st);
		free(st);
	}
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	char *body = slurp(path, &len);
	if (!body) {
		status = 404;
		body = strdup("not found\n");
		len = strlen(body);
	}
	char head[256];
	int h = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, len);
	if (write(fd, head, (size_t)h) == h && len)
		(void)!write(fd, body, len);
	free(body);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fake-http DIR PORTFILE\n");
		return 2;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 16) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		perror("fake-http");
		return 1;
	}
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	FILE *pf = fopen(tmp, "w");
	if (!pf || fprintf(pf, "%d\n", ntohs(a.sin_port)) < 0 || fclose(pf) != 0 ||
	    rename(tmp, argv[2]) != 0) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGCHLD, SIG_IGN); /* children are reaped by the system */
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		/* one process per request, so a slow answer does not hold up the next */
		if (fork() == 0) {
			char req[8192];
			ssize_t k = read(c, req, sizeof(req) - 1);
			req[k > 0 ? k : 0] = '\0';
			char target[4096];
			if (sscanf(req, "GET %4095s", target) == 1) {
				printf("%s\n", target);
				answer(c, argv[1], target);
			}
			_exit(0);
		}
		close(c);
	}
}
