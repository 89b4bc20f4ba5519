/*
 * sg_test_http.h - starts the loopback test server (tests/http_server.py)
 * for one test and stops it after: the server ends when its standard
 * input closes, so a test that dies leaves nothing running.
 */
#ifndef SG_TEST_HTTP_H
#define SG_TEST_HTTP_H

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sg_test.h"

struct sg_test_server {
	pid_t pid;
	int to_server;          /* its stdin: closing it stops it */
	char base[64];          /* "http://127.0.0.1:PORT" */
	int port;
};

static inline void sg_test_server_start(struct sg_test_server *s)
{
	char script[512], line[64];
	int in[2], out[2];
	FILE *from;

	sg_test_src_path("tests/http_server.py", script, sizeof(script));
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp("python3", "python3", script, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->to_server = in[1];
	from = fdopen(out[0], "r");
	ck_assert_ptr_nonnull(from);
	ck_assert_msg(fgets(line, sizeof(line), from) != NULL,
		      "the test server did not start (python3 %s)", script);
	fclose(from);
	ck_assert_int_eq(sscanf(line, "PORT %d", &s->port), 1);
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
}

static inline void sg_test_server_stop(struct sg_test_server *s)
{
	if (s->pid <= 0)
		return;
	close(s->to_server);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

#endif
