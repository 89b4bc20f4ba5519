/*
 * check_bundle.c - the bundle sink (plugins/bundle/bundle.c), linked into
 * this program and driven through its descriptor with a fake host.  The
 * bundles it writes are extracted with the system tar, zstd and unzip and
 * checked with `sha256sum -c`; tampered bundles are built here with
 * libarchive and must make verify() report exactly what differs.
 *
 * Run one case with CK_RUN_SUITE=bundle CK_RUN_CASE=verify.
 */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dlfcn.h>
#include <inttypes.h>
#include <jansson.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sg_plugin.h"
#include "sg_test.h"

#ifndef SG_SOURCE_DIR
#define SG_SOURCE_DIR "."
#endif

const struct sg_plugin *sg_plugin_entry(void);

#define TOP "stageguard-evidence-20261125T120000Z"
#define AS_OF 1795608000 /* 2026-11-25T12:00:00Z */
#define FACTS \
	"{\"tool\": \"stageguard\", \"tool_version\": \"0.4.0\", " \
	"\"config_sha256\": \"5f1d0c2b\", \"run_ids\": [1, 2], " \
	"\"as_of\": \"2026-11-25T12:00:00Z\", " \
	"\"snapshots\": [{\"source\": \"csv\", " \
	"\"extracted_at\": \"2026-11-25T06:00:00Z\"}], \"pilot\": null}"

static const char *const fmts[] = {".tar.gz", ".tar.zst", ".zip"};

/* ---- the fake host ---- */

static const char *host_dir = ".";

static void host_log(void *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static const char *host_config_dir(void *ctx)
{
	(void)ctx;
	return host_dir;
}

static struct sg_host fake_host(void)
{
	struct sg_host h;

	memset(&h, 0, sizeof(h));
	h.version = SG_HOST_VERSION;
	h.size = sizeof(h);
	h.log = host_log;
	h.config_dir = host_config_dir;
	return h;
}

/* ---- fixtures ---- */

struct fixture {
	char dir[256];          /* the temporary folder */
	char src[300];          /* the files to bundle */
	char paths[8][400];
	struct sg_sink_file files[8];
	size_t count;
};

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void add_file(struct fixture *fx, const char *name, const char *text)
{
	size_t i = fx->count++;
	char *slash;

	snprintf(fx->paths[i], sizeof(fx->paths[i]), "%s/%s", fx->src, name);
	slash = strrchr(fx->paths[i], '/');
	*slash = '\0';
	mkdir(fx->paths[i], 0755);
	*slash = '/';
	put_file(fx->paths[i], text);
	fx->files[i].name = name;
	fx->files[i].path = fx->paths[i];
}

/* A temporary folder with small files, given in name order. */
static void fixture_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/check_bundle.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	snprintf(fx->src, sizeof(fx->src), "%s/src", fx->dir);
	ck_assert_int_eq(mkdir(fx->src, 0755), 0);
	host_dir = fx->dir;
	add_file(fx, "config.json", "{\"sinks\": {}}\n");
	add_file(fx, "empty.txt", "");
	add_file(fx, "exceptions.jsonl", "{\"id\": 1}\n{\"id\": 2}\n");
	add_file(fx, "inputs/opportunities.csv",
		 "id,name\nO-1,\"=cmd|' /C calc'!A0\"\nO-2,Acme\n");
	add_file(fx, "notes/x.txt", "Review note for exception 1.\n");
	add_file(fx, "notes/y.txt", "Review note for exception 2.\n");
}

static void fixture_done(struct fixture *fx)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct sg_sink_input input_of(const struct fixture *fx,
				     const char *facts)
{
	struct sg_sink_input in;

	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.files = fx->files;
	in.file_count = fx->count;
	in.facts_json = facts;
	return in;
}

/* Writes a bundle through the descriptor: open, write, finish, close. */
/* Writes a bundle through the plugin as the host does, with host h. */
static int write_bundle_with(const char *out, const struct sg_sink_input *in,
			     const struct sg_host *h, struct sg_error *err)
{
	const struct sg_plugin *p = sg_plugin_entry();
	void *st = NULL;
	int rc;

	sg_error_clear(err);
	rc = p->open(&st, NULL, out, h, err);
	if (rc != SG_OK)
		return rc;
	rc = p->write(st, in, err);
	if (rc == SG_OK)
		rc = p->finish(st, err);
	p->close(st);
	return rc;
}

static int write_bundle(const char *out, const struct sg_sink_input *in,
			struct sg_error *err)
{
	struct sg_host h = fake_host();

	return write_bundle_with(out, in, &h, err);
}

static void bundle_path(const struct fixture *fx, const char *fmt,
			const char *stem, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s", fx->dir, stem, fmt);
}

static void write_ok(const struct fixture *fx, const char *out)
{
	struct sg_sink_input in = input_of(fx, FACTS);
	struct sg_error err;
	int rc = write_bundle(out, &in, &err);

	ck_assert_msg(rc == SG_OK, "writing %s: %d %s", out, rc, err.message);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot read %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Counts the files left in dir (temporary files included). */
static int count_entries(const char *dir)
{
	char cmd[512], line[64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	pclose(p);
	return atoi(line);
}

static void expect(const char *path, ...);

/* ---- the descriptor ---- */

START_TEST(test_descriptor)
{
	const struct sg_plugin *p = sg_plugin_entry();

	ck_assert_uint_eq(p->abi_version, SG_PLUGIN_ABI_VERSION);
	ck_assert_uint_eq(p->kind, SG_PLUGIN_SINK);
	ck_assert_str_eq(p->name, "bundle");
	ck_assert_ptr_nonnull(p->description);
	ck_assert_uint_eq(p->option_count, 1);
	ck_assert_str_eq(p->options[0].name, "out");
	ck_assert_int_eq(p->options[0].type, SG_OPT_STRING);
	ck_assert_str_eq(p->options[0].default_value, "evidence.tar.gz");
	ck_assert_ptr_nonnull(p->open);
	ck_assert_ptr_nonnull(p->write);
	ck_assert_ptr_nonnull(p->finish);
	ck_assert_ptr_nonnull(p->close);
	ck_assert_ptr_nonnull(p->verify);
	ck_assert_uint_eq(p->sink_needs, SG_SINK_NEEDS_FILES |
			  SG_SINK_FILES_WHEN_READY | SG_SINK_FILES_PACKED);
	ck_assert_ptr_null(p->pull);
}
END_TEST

/* The built module through dlopen, as the loader reads it. */
START_TEST(test_module)
{
	char path[512];
	const struct sg_plugin *p;
	sg_plugin_entry_fn entry;
	void *h;

	sg_test_build_path("plugins/bundle/.libs/bundle.so", path,
			   sizeof(path));
	if (access(path, R_OK) != 0) {
		printf("SKIP test_module: %s not built\n", path);
		return;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	*(void **)&entry = dlsym(h, SG_PLUGIN_ENTRY_SYMBOL);
	ck_assert_ptr_nonnull(entry);
	p = entry();
	ck_assert_uint_eq(p->abi_version, SG_PLUGIN_ABI_VERSION);
	ck_assert_str_eq(p->name, "bundle");
	ck_assert_ptr_nonnull(p->verify);
	/* Nothing else is exported. */
	ck_assert_ptr_null(dlsym(h, "bundle_verify"));
	dlclose(h);
}
END_TEST

/* ---- writing ---- */

/* Each format extracts with the system tools and passes sha256sum -c;
 * the files come out unchanged. */
START_TEST(test_extract_and_sha256sum)
{
	struct fixture fx;
	char out[400], dest[400];
	size_t i, j;

	fixture_init(&fx);
	for (i = 0; i < 3; i++) {
		bundle_path(&fx, fmts[i], "evidence", out, sizeof(out));
		write_ok(&fx, out);
		snprintf(dest, sizeof(dest), "%s/x%zu", fx.dir, i);
		ck_assert_int_eq(mkdir(dest, 0755), 0);
		if (i == 0)
			ck_assert_int_eq(run("tar -xzf '%s' -C '%s'", out,
					     dest), 0);
		else if (i == 1)
			ck_assert_int_eq(run("zstd -q -dc '%s' | "
					     "tar -xf - -C '%s'", out, dest),
					 0);
		else
			ck_assert_int_eq(run("unzip -q '%s' -d '%s'", out,
					     dest), 0);
		/* One top folder, nothing else. */
		ck_assert_int_eq(count_entries(dest), 1);
		ck_assert_int_eq(run("cd '%s/" TOP "' && sha256sum -c "
				     "--strict --quiet SHA256SUMS", dest), 0);
		for (j = 0; j < fx.count; j++)
			ck_assert_int_eq(run("cmp -s '%s' '%s/" TOP "/%s'",
					     fx.paths[j], dest,
					     fx.files[j].name), 0);
		/* SHA256SUMS lists every file and manifest.json. */
		ck_assert_int_eq(run("test $(wc -l < '%s/" TOP
				     "/SHA256SUMS') -eq %zu", dest,
				     fx.count + 1), 0);
	}
	fixture_done(&fx);
}
END_TEST

/* The manifest: the facts plus "files", exactly as jansson prints it
 * with sorted keys and a 2-space indent, and a final newline. */
START_TEST(test_manifest)
{
	struct fixture fx;
	char out[400], path[512];
	json_error_t jerr;
	json_t *root, *files, *f;
	char *text, *again;
	size_t len;

	fixture_init(&fx);
	bundle_path(&fx, ".tar.gz", "m", out, sizeof(out));
	write_ok(&fx, out);
	ck_assert_int_eq(run("tar -xzf '%s' -C '%s'", out, fx.dir), 0);
	snprintf(path, sizeof(path), "%s/" TOP "/manifest.json", fx.dir);
	text = slurp(path, &len);
	root = json_loads(text, 0, &jerr);
	ck_assert_msg(root != NULL, "manifest: %s", jerr.text);
	again = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	ck_assert_ptr_nonnull(again);
	ck_assert_uint_eq(len, strlen(again) + 1);
	ck_assert_int_eq(memcmp(text, again, len - 1), 0);
	ck_assert_int_eq(text[len - 1], '\n');
	ck_assert_str_eq(json_string_value(json_object_get(root, "as_of")),
			 "2026-11-25T12:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(root, "tool")),
			 "stageguard");
	ck_assert(json_is_null(json_object_get(root, "pilot")));
	ck_assert_uint_eq(json_array_size(json_object_get(root, "run_ids")),
			  2);
	files = json_object_get(root, "files");
	ck_assert_uint_eq(json_array_size(files), fx.count);
	f = json_array_get(files, 3);
	ck_assert_str_eq(json_string_value(json_object_get(f, "name")),
			 "inputs/opportunities.csv");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "size")),
			 (json_int_t)strlen("id,name\nO-1,\"=cmd|' /C "
					    "calc'!A0\"\nO-2,Acme\n"));
	f = json_array_get(files, 1);
	ck_assert_str_eq(json_string_value(json_object_get(f, "name")),
			 "empty.txt");
	ck_assert_str_eq(json_string_value(json_object_get(f, "sha256")),
			 "e3b0c44298fc1c149afbf4c8996fb924"
			 "27ae41e4649b934ca495991b7852b855");
	free(again);
	free(text);
	json_decref(root);
	fixture_done(&fx);
}
END_TEST

/* Entries: the files in name order, each folder before its files, then
 * manifest.json and SHA256SUMS (made from the files' hashes as they were
 * archived); owner 0:0 without names, fixed modes, mtime as_of, no atime
 * or ctime. */
START_TEST(test_entries)
{
	static const char *const want[] = {
		TOP "/", TOP "/config.json", TOP "/empty.txt",
		TOP "/exceptions.jsonl", TOP "/inputs/",
		TOP "/inputs/opportunities.csv", TOP "/notes/",
		TOP "/notes/x.txt", TOP "/notes/y.txt", TOP "/manifest.json",
		TOP "/SHA256SUMS"
	};
	struct fixture fx;
	struct archive *a;
	struct archive_entry *ae;
	char out[400];
	size_t i, n;
	int dir;

	fixture_init(&fx);
	for (i = 0; i < 3; i++) {
		bundle_path(&fx, fmts[i], "e", out, sizeof(out));
		write_ok(&fx, out);
		a = archive_read_new();
		archive_read_support_filter_all(a);
		archive_read_support_format_all(a);
		ck_assert_int_eq(archive_read_open_filename(a, out, 10240),
				 ARCHIVE_OK);
		for (n = 0; archive_read_next_header(a, &ae) == ARCHIVE_OK;
		     n++) {
			ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
			ck_assert_str_eq(archive_entry_pathname(ae), want[n]);
			dir = archive_entry_filetype(ae) == AE_IFDIR;
			ck_assert_int_eq(dir, want[n][strlen(want[n]) - 1] ==
					 '/');
			ck_assert_int_eq(archive_entry_perm(ae),
					 dir ? 0755 : 0644);
			ck_assert_int_eq(archive_entry_mtime(ae), AS_OF);
			ck_assert_int_eq(archive_entry_uid(ae), 0);
			ck_assert_int_eq(archive_entry_gid(ae), 0);
			ck_assert(archive_entry_uname(ae) == NULL ||
				  archive_entry_uname(ae)[0] == '\0');
			ck_assert(archive_entry_gname(ae) == NULL ||
				  archive_entry_gname(ae)[0] == '\0');
			/* libarchive's zip reader says atime and ctime
			 * are set (to 0) when the entry holds only mtime,
			 * as zipinfo -v shows. */
			if (i < 2) {
				ck_assert(!archive_entry_atime_is_set(ae));
				ck_assert(!archive_entry_ctime_is_set(ae));
			} else {
				ck_assert_int_eq(archive_entry_atime(ae), 0);
				ck_assert_int_eq(archive_entry_ctime(ae), 0);
			}
		}
		ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
		archive_read_free(a);
	}
	fixture_done(&fx);
}
END_TEST

/* The same files and facts give the same bytes, a second later too; a
 * name too long for a ustar header (a pax header) included. */
START_TEST(test_deterministic)
{
	struct fixture fx;
	char one[400], two[400], name[200];
	char *a, *b;
	size_t i, la, lb;
	pid_t pid;
	int status;

	fixture_init(&fx);
	memset(name, 'n', 150);
	strcpy(name + 150, ".txt");
	add_file(&fx, name, "long\n");
	for (i = 0; i < 3; i++) {
		bundle_path(&fx, fmts[i], "one", one, sizeof(one));
		bundle_path(&fx, fmts[i], "two", two, sizeof(two));
		write_ok(&fx, one);
		sleep(1);
		/* A touched file with the same bytes changes nothing. */
		ck_assert_int_eq(run("touch '%s'", fx.paths[0]), 0);
		/* Another process (a process id in a header would show). */
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct sg_sink_input in = input_of(&fx, FACTS);
			struct sg_error err;

			_exit(write_bundle(two, &in, &err) == SG_OK ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		a = slurp(one, &la);
		b = slurp(two, &lb);
		ck_assert_uint_eq(la, lb);
		ck_assert_msg(memcmp(a, b, la) == 0, "%s differs", fmts[i]);
		free(a);
		free(b);
	}
	/* The gzip header carries no time stamp. */
	bundle_path(&fx, ".tar.gz", "one", one, sizeof(one));
	a = slurp(one, &la);
	ck_assert_int_eq(a[4] | a[5] | a[6] | a[7], 0);
	free(a);
	fixture_done(&fx);
}
END_TEST

#define UTF8 "export LC_ALL=C.UTF-8; "

/* A name that is not ASCII is written as UTF-8 and read back alike,
 * whatever the locale (the system tools are given a UTF-8 one). */
START_TEST(test_utf8_name)
{
	struct fixture fx;
	char out[400], other[400], dest[400];
	size_t i;
	int rc;

	fixture_init(&fx);
	add_file(&fx, "notes/caf\xc3\xa9 \xe2\x82\xac.txt", "utf-8\n");
	for (i = 0; i < 3; i++) {
		bundle_path(&fx, fmts[i], "u", out, sizeof(out));
		write_ok(&fx, out);
		expect(out, NULL);
		/* The same bytes whatever the process's locale. */
		bundle_path(&fx, fmts[i], "v", other, sizeof(other));
		ck_assert_ptr_nonnull(setlocale(LC_ALL, "C.UTF-8"));
		write_ok(&fx, other);
		setlocale(LC_ALL, "C");
		ck_assert_int_eq(run("cmp -s '%s' '%s'", out, other), 0);
		snprintf(dest, sizeof(dest), "%s/x%zu", fx.dir, i);
		ck_assert_int_eq(mkdir(dest, 0755), 0);
		if (i == 0)
			rc = run(UTF8 "tar -xzf '%s' -C '%s'", out, dest);
		else if (i == 1)
			rc = run(UTF8 "tar --zstd -xf '%s' -C '%s'", out,
				 dest);
		else
			rc = run(UTF8 "unzip -q '%s' -d '%s'", out, dest);
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(run(UTF8 "cd '%s/" TOP "' && sha256sum -c "
				     "--strict --quiet SHA256SUMS", dest), 0);
	}
	fixture_done(&fx);
}
END_TEST

/* "out" is relative to the config's folder; the argument wins as given. */
START_TEST(test_out_option)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host h = fake_host();
	struct fixture fx;
	struct sg_sink_input in;
	struct sg_error err;
	char *cfg[1] = {NULL};
	char path[400];
	void *st;

	fixture_init(&fx);
	in = input_of(&fx, FACTS);
	/* No option: the default name in the config's folder. */
	ck_assert_int_eq(p->open(&st, cfg, NULL, &h, &err), SG_OK);
	ck_assert_int_eq(p->write(st, &in, &err), SG_OK);
	ck_assert_int_eq(p->finish(st, &err), SG_OK);
	p->close(st);
	snprintf(path, sizeof(path), "%s/evidence.tar.gz", fx.dir);
	ck_assert_int_eq(access(path, R_OK), 0);
	/* A relative option. */
	cfg[0] = "b.zip";
	ck_assert_int_eq(p->open(&st, cfg, NULL, &h, &err), SG_OK);
	ck_assert_int_eq(p->write(st, &in, &err), SG_OK);
	ck_assert_int_eq(p->finish(st, &err), SG_OK);
	p->close(st);
	snprintf(path, sizeof(path), "%s/b.zip", fx.dir);
	ck_assert_int_eq(access(path, R_OK), 0);
	ck_assert_int_eq(run("unzip -tq '%s' >/dev/null", path), 0);
	fixture_done(&fx);
}
END_TEST

/* The output appears only at finish(); a bundle never finished leaves
 * nothing behind. */
START_TEST(test_atomic)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host h = fake_host();
	struct fixture fx;
	struct sg_sink_input in;
	struct sg_error err;
	char out[512], sub[400];
	void *st;

	fixture_init(&fx);
	in = input_of(&fx, FACTS);
	snprintf(sub, sizeof(sub), "%s/out", fx.dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(out, sizeof(out), "%s/b.tar.zst", sub);
	ck_assert_int_eq(p->open(&st, NULL, out, &h, &err), SG_OK);
	ck_assert_int_eq(p->write(st, &in, &err), SG_OK);
	ck_assert_int_ne(access(out, F_OK), 0);
	ck_assert_int_eq(count_entries(sub), 1);  /* the temporary file */
	/* One write per bundle. */
	ck_assert_int_eq(p->write(st, &in, &err), SG_ERR_SINK);
	p->close(st);
	ck_assert_int_eq(count_entries(sub), 0);
	/* finish() without a write. */
	ck_assert_int_eq(p->open(&st, NULL, out, &h, &err), SG_OK);
	ck_assert_int_eq(p->finish(st, &err), SG_ERR_SINK);
	p->close(st);
	/* A failing write leaves nothing either. */
	fx.paths[2][strlen(fx.paths[2]) - 1] = 'X';
	ck_assert_int_eq(p->open(&st, NULL, out, &h, &err), SG_OK);
	ck_assert_int_eq(p->write(st, &in, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, fx.paths[2]);
	ck_assert_ptr_nonnull(strstr(err.message, "exceptions.jsonl"));
	p->close(st);
	ck_assert_int_eq(count_entries(sub), 0);
	/* The output replaces an older one whole. */
	put_file(out, "old");
	fx.paths[2][strlen(fx.paths[2]) - 1] = 'l';
	write_ok(&fx, out);
	ck_assert_int_eq(run("zstd -q -t '%s'", out), 0);
	ck_assert_int_eq(count_entries(sub), 1);
	fixture_done(&fx);
}
END_TEST

/* ---- refusals ---- */

START_TEST(test_unsafe_names)
{
	static const char *const bad[] = {
		"/etc/passwd", "../evil", "a/../../evil", "a/./b", "./a",
		"a//b", "a/", "", "a\\b", "a\nb", "a\tb", "a\x7f", "\xff\xfe",
		"a/..", ".", ".."
	};
	struct fixture fx;
	struct sg_sink_input in;
	struct sg_error err;
	char out[400];
	size_t i;

	fixture_init(&fx);
	bundle_path(&fx, ".tar.gz", "u", out, sizeof(out));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx.files[1].name = bad[i];
		in = input_of(&fx, FACTS);
		ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
		ck_assert_msg(strstr(err.message, "unsafe file name") != NULL,
			      "%s: %s", bad[i], err.message);
		if (bad[i][0] >= ' ' && strchr(bad[i], '\\') == NULL)
			ck_assert_msg(strstr(err.message, bad[i]) != NULL,
				      "%s: %s", bad[i], err.message);
	}
	/* The bundle's own names, twice the same name, a file that is
	 * another's folder. */
	fx.files[1].name = "manifest.json";
	in = input_of(&fx, FACTS);
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "\"manifest.json\""));
	fx.files[1].name = "SHA256SUMS";
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	fx.files[1].name = "config.json";
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "given twice"));
	fx.files[1].name = "notes";
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "both a file and the "
				     "folder"));
	ck_assert_int_eq(count_entries(fx.dir), 1);  /* src only */
	fixture_done(&fx);
}
END_TEST

START_TEST(test_bad_input)
{
	struct fixture fx;
	struct sg_sink_input in;
	struct sg_error err;
	char out[400];

	fixture_init(&fx);
	bundle_path(&fx, ".zip", "i", out, sizeof(out));
	in = input_of(&fx, FACTS);
	in.file_count = 0;
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "no files"));
	in = input_of(&fx, NULL);
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "no facts"));
	in = input_of(&fx, "{\"as_of\": ");
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "not valid JSON"));
	in = input_of(&fx, "[1]");
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	in = input_of(&fx, "{\"tool\": \"stageguard\"}");
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "as_of"));
	in = input_of(&fx, "{\"as_of\": \"yesterday\"}");
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	in = input_of(&fx, "{\"as_of\": \"2026-11-25T12:00:00Z\", "
		      "\"files\": []}");
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "\"files\""));
	/* A folder given as a file. */
	in = input_of(&fx, FACTS);
	fx.files[1].path = fx.src;
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "not a regular file"));
	ck_assert_int_ne(access(out, F_OK), 0);
	fixture_done(&fx);
}
END_TEST

/* Files given as slices of one file (many small files kept in one) come
 * out as files of their own; a slice the file cannot hold is an error
 * naming it. */
START_TEST(test_slices)
{
	struct fixture fx;
	struct sg_sink_input in;
	struct sg_error err;
	char out[400], dest[400], pack[400];

	fixture_init(&fx);
	snprintf(pack, sizeof(pack), "%s/pack", fx.dir);
	put_file(pack, "first note\nsecond note\n");
	fx.files[fx.count].name = "notes/z1.txt";
	fx.files[fx.count].path = pack;
	fx.files[fx.count].slice = 1;
	fx.files[fx.count].offset = 0;
	fx.files[fx.count].length = 11;
	fx.count++;
	fx.files[fx.count].name = "notes/z2.txt";
	fx.files[fx.count].path = pack;
	fx.files[fx.count].slice = 1;
	fx.files[fx.count].offset = 11;
	fx.files[fx.count].length = 12;
	fx.count++;
	bundle_path(&fx, ".tar.gz", "s", out, sizeof(out));
	write_ok(&fx, out);
	snprintf(dest, sizeof(dest), "%s/xs", fx.dir);
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	ck_assert_int_eq(run("tar -xzf '%s' -C '%s'", out, dest), 0);
	ck_assert_int_eq(run("cd '%s/" TOP "' && sha256sum -c --strict "
			     "--quiet SHA256SUMS", dest), 0);
	ck_assert_int_eq(run("printf 'first note\\n' | cmp -s - "
			     "'%s/" TOP "/notes/z1.txt'", dest), 0);
	ck_assert_int_eq(run("printf 'second note\\n' | cmp -s - "
			     "'%s/" TOP "/notes/z2.txt'", dest), 0);
	ck_assert_int_eq(run("test ! -e '%s/" TOP "/pack'", dest), 0);

	fx.files[fx.count - 1].length = 13;
	in = input_of(&fx, FACTS);
	bundle_path(&fx, ".tar.gz", "short", out, sizeof(out));
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "notes/z2.txt"));
	ck_assert_ptr_nonnull(strstr(err.message, "ends before"));
	ck_assert_int_ne(access(out, F_OK), 0);
	fixture_done(&fx);
}
END_TEST

struct problems {
	char *text[32];
	size_t count;
};

static int verify(const char *path, struct problems *pr,
		  struct sg_error *err);
static void problems_free(struct problems *pr);

/* A file rewritten while the archive is written.  Its size is taken
 * just before its header (a tar header states it first): a file that
 * grows while its bytes are copied is an error and nothing is written;
 * a file rewritten before the archive reaches it is archived as it is
 * then, and its manifest hashes those bytes. */
static const char *rewrite_path, *rewrite_text;
static unsigned long long rewrite_after;

static void rewrite_on_progress(void *ctx, const char *what,
				unsigned long long done,
				unsigned long long total)
{
	(void)ctx;
	(void)what;
	(void)total;
	if (rewrite_path != NULL && done >= rewrite_after) {
		put_file(rewrite_path, rewrite_text);
		rewrite_path = NULL;
	}
}

/* The bytes of files 0 .. count - 1 of fx. */
static unsigned long long bytes_before(const struct fixture *fx, size_t count)
{
	unsigned long long n = 0;
	struct stat sb;
	size_t i;

	for (i = 0; i < count; i++) {
		ck_assert_int_eq(stat(fx->paths[i], &sb), 0);
		n += (unsigned long long)sb.st_size;
	}
	return n;
}

START_TEST(test_file_changed_while_bundled)
{
	struct sg_host h = fake_host();
	struct fixture fx;
	struct sg_sink_input in;
	struct problems pr;
	struct sg_error err;
	char out[400], dest[400];
	char *big = malloc(3 * 65536 + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'n', 3 * 65536);
	big[3 * 65536] = '\0';
	fixture_init(&fx);
	put_file(fx.paths[5], big);         /* notes/y.txt, the last */
	in = input_of(&fx, FACTS);
	bundle_path(&fx, ".tar.gz", "changed", out, sizeof(out));
	h.progress = rewrite_on_progress;
	/* Once its first block is archived. */
	rewrite_path = fx.paths[5];
	rewrite_after = bytes_before(&fx, 5) + 1;
	rewrite_text = "Review note for exception 2, rewritten.\n";
	ck_assert_int_eq(write_bundle_with(out, &in, &h, &err), SG_ERR_IO);
	ck_assert_ptr_null(rewrite_path);
	ck_assert_str_eq(err.message, "notes/y.txt changed while it was "
			 "being bundled; write the bundle again once nothing "
			 "writes to it");
	ck_assert_int_ne(access(out, F_OK), 0);

	/* Before the archive reaches it: any new size. */
	put_file(fx.paths[5], big);
	rewrite_path = fx.paths[5];
	rewrite_after = 0;
	rewrite_text = "Review note for exception 3, longer than before.\n";
	ck_assert_int_eq(write_bundle_with(out, &in, &h, &err), SG_OK);
	ck_assert_int_eq(verify(out, &pr, &err), SG_OK);
	ck_assert_uint_eq(pr.count, 0);
	snprintf(dest, sizeof(dest), "%s/changed-x", fx.dir);
	ck_assert_int_eq(run("mkdir '%s' && tar -xzf '%s' -C '%s'", dest, out,
			     dest), 0);
	ck_assert_int_eq(run("grep -qx 'Review note for exception 3, longer "
			     "than before.' '%s/" TOP "/notes/y.txt'", dest),
			 0);
	problems_free(&pr);
	free(big);
	fixture_done(&fx);
}
END_TEST

/* The host's file_ready(): asked once for each given file, in the order
 * the archive takes them, before the file is read, so a host can hand
 * write() a file it is still writing (here made only when asked); its
 * error stops the bundle, and nothing is written. */
static struct fixture *ready_fx;
static size_t ready_calls[8], ready_count, ready_make, ready_fail;

static int ready_file(void *ctx, size_t index, struct sg_error *err)
{
	(void)ctx;
	ck_assert_uint_lt(ready_count, 8);
	ready_calls[ready_count++] = index;
	if (index == ready_fail)
		return sg_error_set(err, SG_ERR_SINK, "xlsx: the disk is "
				    "full");
	if (index == ready_make)
		put_file(ready_fx->paths[index], "Made when asked.\n");
	return SG_OK;
}

START_TEST(test_file_ready)
{
	struct sg_host h = fake_host();
	struct fixture fx;
	struct sg_sink_input in;
	struct problems pr;
	struct sg_error err;
	char out[400], dest[400];
	size_t i;

	fixture_init(&fx);
	ready_fx = &fx;
	h.file_ready = ready_file;
	ck_assert_int_eq(unlink(fx.paths[3]), 0); /* inputs/opportunities */
	in = input_of(&fx, FACTS);
	bundle_path(&fx, ".tar.gz", "ready", out, sizeof(out));
	ready_count = 0;
	ready_make = 3;
	ready_fail = 99;
	ck_assert_int_eq(write_bundle_with(out, &in, &h, &err), SG_OK);
	ck_assert_uint_eq(ready_count, fx.count);
	for (i = 0; i < fx.count; i++)
		ck_assert_uint_eq(ready_calls[i], i);  /* given in order */
	ck_assert_int_eq(verify(out, &pr, &err), SG_OK);
	ck_assert_uint_eq(pr.count, 0);
	snprintf(dest, sizeof(dest), "%s/ready-x", fx.dir);
	ck_assert_int_eq(run("mkdir '%s' && tar -xzf '%s' -C '%s'", dest, out,
			     dest), 0);
	ck_assert_int_eq(run("cmp -s '%s' '%s/" TOP
			     "/inputs/opportunities.csv'", fx.paths[3], dest),
			 0);

	bundle_path(&fx, ".zip", "not-ready", out, sizeof(out));
	ready_count = 0;
	ready_fail = 4;
	ck_assert_int_eq(write_bundle_with(out, &in, &h, &err), SG_ERR_SINK);
	ck_assert_str_eq(err.message, "xlsx: the disk is full");
	ck_assert_uint_eq(ready_count, 5);
	ck_assert_int_ne(access(out, F_OK), 0);
	/* src, the first bundle and its extraction: no temporary left. */
	ck_assert_int_eq(count_entries(fx.dir), 3);
	problems_free(&pr);
	fixture_done(&fx);
}
END_TEST

/* When two files cannot be read, the error names the first of them in
 * name order, every time, and nothing is written. */
START_TEST(test_first_unreadable_file_named)
{
	struct fixture fx;
	struct sg_sink_input in;
	struct sg_error err;
	char out[400];
	int round;

	fixture_init(&fx);
	ck_assert_int_eq(unlink(fx.paths[2]), 0);   /* exceptions.jsonl */
	ck_assert_int_eq(unlink(fx.paths[5]), 0);   /* notes/y.txt */
	in = input_of(&fx, FACTS);
	for (round = 0; round < 20; round++) {
		bundle_path(&fx, ".tar.gz", "gone", out, sizeof(out));
		ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
		ck_assert_msg(strstr(err.message, "cannot read "
				     "exceptions.jsonl") != NULL,
			      "round %d: %s", round, err.message);
		ck_assert_str_eq(err.path, fx.paths[2]);
		ck_assert_int_ne(access(out, F_OK), 0);
	}
	fixture_done(&fx);
}
END_TEST


/* A .tar.gz is compressed in blocks on several threads, a gzip member
 * each: a file of several blocks comes out whole, gzip, tar and bundle
 * verify (libarchive) read every member, and the archive is the same
 * bytes when written again. */
START_TEST(test_gzip_blocks)
{
	struct problems pr;
	struct sg_error err;
	struct fixture fx;
	char out[400], again[400], dest[400], big[400];
	unsigned long x = 12345;
	FILE *f;
	size_t i;

	fixture_init(&fx);
	snprintf(big, sizeof(big), "%s/big.csv", fx.dir);
	f = fopen(big, "w");
	ck_assert_ptr_nonnull(f);
	/* 2.5 MiB of rows that compress, but not to nothing. */
	for (i = 0; i < 60000; i++) {
		x = x * 1103515245ul + 12345ul;
		fprintf(f, "O-%06zu,Deal %lu,qualification,%lu.00\n", i,
			(x >> 16) % 100000, (x >> 8) % 1000000);
	}
	ck_assert_int_eq(fclose(f), 0);
	fx.files[fx.count].name = "inputs/zbig.csv";
	fx.files[fx.count].path = big;
	fx.count++;
	bundle_path(&fx, ".tar.gz", "g", out, sizeof(out));
	bundle_path(&fx, ".tar.gz", "g2", again, sizeof(again));
	write_ok(&fx, out);
	write_ok(&fx, again);
	ck_assert_int_eq(run("cmp -s '%s' '%s'", out, again), 0);
	ck_assert_int_eq(run("gzip -t '%s'", out), 0);
	snprintf(dest, sizeof(dest), "%s/xg", fx.dir);
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	ck_assert_int_eq(run("tar -xzf '%s' -C '%s'", out, dest), 0);
	ck_assert_int_eq(run("cmp -s '%s' '%s/" TOP "/inputs/zbig.csv'", big,
			     dest), 0);
	ck_assert_int_eq(run("cd '%s/" TOP "' && sha256sum -c --strict "
			     "--quiet SHA256SUMS", dest), 0);
	/* A member per MiB of tar, each but the last a whole MiB. */
	ck_assert_int_eq(run("python3 -c \"import sys, zlib\n"
			     "d = open(sys.argv[1], 'rb').read()\n"
			     "sizes = []\n"
			     "while d:\n"
			     "    z = zlib.decompressobj(31)\n"
			     "    sizes.append(len(z.decompress(d)))\n"
			     "    assert z.eof\n"
			     "    d = z.unused_data\n"
			     "assert len(sizes) == 3, sizes\n"
			     "assert set(sizes[:-1]) == {1 << 20}, sizes\n"
			     "assert 0 < sizes[-1] <= 1 << 20, sizes\n"
			     "\" '%s'", out), 0);
	ck_assert_int_eq(verify(out, &pr, &err), SG_OK);
	ck_assert_uint_eq(pr.count, 0);
	fixture_done(&fx);
}
END_TEST

/* Writes 2.5 MiB of rows to raw and the same as gzip members of 1 MiB
 * each to packed (what core/sg_packed.c writes); fills f. */
static void make_packed(const char *raw, const char *packed,
			struct sg_sink_file *f)
{
	char cmd[2000];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "python3 -c \"import sys, zlib, hashlib\n"
		 "rows = ''.join('O-%%06d,Deal %%d,stage,%%d.00\\n' %% "
		 "(i, i * 7919 %% 100003, i * 104729 %% 999983) "
		 "for i in range(70000)).encode()\n"
		 "open(sys.argv[1], 'wb').write(rows)\n"
		 "with open(sys.argv[2], 'wb') as out:\n"
		 "    for k in range(0, len(rows), 1 << 20):\n"
		 "        z = zlib.compressobj(1, zlib.DEFLATED, 31)\n"
		 "        out.write(z.compress(rows[k:k + (1 << 20)]) + "
		 "z.flush())\n"
		 "print(len(rows), hashlib.sha256(rows).hexdigest())\n"
		 "\" '%s' '%s'", raw, packed);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%" SCNu64 " %64s", &f->size, f->sha256),
			 2);
	/* Read to the end: python may write its line in pieces, and a
	 * pipe closed early would fail the last. */
	while (fgetc(p) != EOF)
		;
	ck_assert_int_eq(pclose(p), 0);
	f->packed = 1;
	f->path = packed;
	f->packed_size = 0;
	{
		struct stat sb;

		ck_assert_int_eq(stat(packed, &sb), 0);
		f->packed_size = (uint64_t)sb.st_size;
	}
	ck_assert_uint_gt(f->size, 2u << 20);
}

/* A packed file (struct sg_sink_file.packed) in each format: put as it
 * is into a .tar.gz, unpacked into the others; the archive holds the
 * bytes, the manifest its given SHA-256. */
START_TEST(test_packed_file)
{
	struct problems pr;
	struct sg_error err;
	struct fixture fx;
	char out[400], dest[400], raw[400], packed[400];

	fixture_init(&fx);
	snprintf(raw, sizeof(raw), "%s/raw.csv", fx.dir);
	snprintf(packed, sizeof(packed), "%s/packed.gz", fx.dir);
	fx.files[fx.count].name = "inputs/zbig.csv";
	make_packed(raw, packed, &fx.files[fx.count]);
	fx.count++;
	bundle_path(&fx, fmts[_i], "p", out, sizeof(out));
	write_ok(&fx, out);
	snprintf(dest, sizeof(dest), "%s/xp", fx.dir);
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	ck_assert_int_eq(run(_i == 0 ? "tar -xzf '%s' -C '%s'" :
			     _i == 1 ? "zstd -dcq '%s' | tar -xf - -C '%s'" :
			     "unzip -q '%s' -d '%s'", out, dest), 0);
	ck_assert_int_eq(run("cmp -s '%s' '%s/" TOP "/inputs/zbig.csv'", raw,
			     dest), 0);
	ck_assert_int_eq(run("cd '%s/" TOP "' && sha256sum -c --strict "
			     "--quiet SHA256SUMS", dest), 0);
	if (_i == 0)
		ck_assert_int_eq(run("gzip -t '%s'", out), 0);
	ck_assert_int_eq(verify(out, &pr, &err), SG_OK);
	ck_assert_uint_eq(pr.count, 0);
	problems_free(&pr);
	fixture_done(&fx);
}
END_TEST

/* A packed file that is not what it was said to be stops the bundle,
 * naming it, and leaves no output: another length (any format); other
 * bytes (found where it is unpacked: .tar.zst and .zip). */
START_TEST(test_packed_file_changed)
{
	struct sg_sink_input in;
	struct sg_sink_file *f;
	struct sg_error err;
	struct fixture fx;
	char out[400], raw[400], packed[400], sha[65];
	struct stat sb;

	fixture_init(&fx);
	snprintf(raw, sizeof(raw), "%s/raw.csv", fx.dir);
	snprintf(packed, sizeof(packed), "%s/packed.gz", fx.dir);
	f = &fx.files[fx.count++];
	f->name = "inputs/zbig.csv";
	make_packed(raw, packed, f);
	bundle_path(&fx, fmts[_i], "c", out, sizeof(out));
	in = input_of(&fx, FACTS);

	f->packed_size++;
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "inputs/zbig.csv changed "
				     "after it was written"));
	ck_assert_int_ne(stat(out, &sb), 0);
	f->packed_size--;

	if (_i == 0) {
		fixture_done(&fx);
		return;
	}
	memcpy(sha, f->sha256, sizeof(sha));
	f->sha256[10] = f->sha256[10] == '0' ? '1' : '0';
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "its SHA-256 differs"));
	ck_assert_int_ne(stat(out, &sb), 0);
	memcpy(f->sha256, sha, sizeof(sha));

	ck_assert_int_eq(run("printf 'XXXX' | dd of='%s' bs=1 seek=%lu "
			     "conv=notrunc status=none", packed,
			     (unsigned long)(f->packed_size / 2)), 0);
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "inputs/zbig.csv"));
	ck_assert_int_ne(stat(out, &sb), 0);
	fixture_done(&fx);
}
END_TEST

START_TEST(test_unknown_suffix)
{
	static const char *const bad[] = {
		"e.tar", "e.tar.xz", "e.gz", "e", "e.ZIP", ".zip/"
	};
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host h = fake_host();
	struct sg_error err;
	size_t i;
	void *st;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_error_clear(&err);
		ck_assert_int_eq(p->open(&st, NULL, bad[i], &h, &err),
				 SG_ERR_CONFIG);
		ck_assert_ptr_null(st);
		ck_assert_ptr_nonnull(strstr(err.message, ".tar.gz"));
		ck_assert_ptr_nonnull(strstr(err.message, ".tar.zst"));
		ck_assert_ptr_nonnull(strstr(err.message, ".zip"));
		ck_assert_str_eq(err.path, bad[i]);
	}
	ck_assert_int_eq(p->open(&st, NULL, "e.tgz", &h, &err), SG_OK);
	p->close(st);
}
END_TEST

START_TEST(test_unwritable)
{
	struct fixture fx;
	struct sg_sink_input in;
	struct sg_error err;
	char out[512], ro[400];

	fixture_init(&fx);
	in = input_of(&fx, FACTS);
	snprintf(out, sizeof(out), "%s/no/such/folder/b.tar.gz", fx.dir);
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.path, "/no/such/folder"));
	ck_assert_ptr_nonnull(strstr(err.message, "writable"));
	/* Permissions do not stop root. */
	if (geteuid() != 0) {
		snprintf(ro, sizeof(ro), "%s/ro", fx.dir);
		ck_assert_int_eq(mkdir(ro, 0555), 0);
		snprintf(out, sizeof(out), "%s/b.zip", ro);
		ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
		ck_assert_str_eq(err.path, ro);
		ck_assert_int_eq(count_entries(ro), 0);
		ck_assert_int_eq(rmdir(ro), 0);
	}
	/* The output's name is a folder: the rename fails, nothing stays. */
	snprintf(out, sizeof(out), "%s/d.tar.gz", fx.dir);
	ck_assert_int_eq(mkdir(out, 0755), 0);
	snprintf(ro, sizeof(ro), "%s/d.tar.gz/x", fx.dir);
	put_file(ro, "x");
	ck_assert_int_eq(write_bundle(out, &in, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, out);
	ck_assert_int_eq(count_entries(fx.dir), 2);  /* src, d.tar.gz */
	fixture_done(&fx);
}
END_TEST

/* ---- verify ---- */

static void on_problem(void *arg, const char *problem)
{
	struct problems *p = arg;

	if (p->count < 32)
		p->text[p->count] = strdup(problem);
	p->count++;
}

static int verify(const char *path, struct problems *pr,
		  struct sg_error *err)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host h = fake_host();
	void *st;
	int rc;

	memset(pr, 0, sizeof(*pr));
	sg_error_clear(err);
	rc = p->open(&st, NULL, path, &h, err);
	ck_assert_msg(rc == SG_OK, "open: %s", err->message);
	rc = p->verify(st, path, on_problem, pr, err);
	p->close(st);
	return rc;
}

static void problems_free(struct problems *pr)
{
	size_t i;

	for (i = 0; i < pr->count && i < 32; i++)
		free(pr->text[i]);
}

/* verify() finds exactly the problems given, in that order. */
static void expect(const char *path, ...)
{
	struct problems pr;
	struct sg_error err;
	const char *want;
	va_list ap;
	size_t i = 0;
	int rc;

	rc = verify(path, &pr, &err);
	ck_assert_msg(rc == SG_OK, "verify %s: %s", path, err.message);
	va_start(ap, path);
	while ((want = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(i < pr.count, "missing problem \"%s\"", want);
		ck_assert_msg(strncmp(pr.text[i], want, strlen(want)) == 0,
			      "problem %zu: \"%s\", expected \"%s\"", i,
			      pr.text[i], want);
		i++;
	}
	va_end(ap);
	ck_assert_msg(pr.count == i, "%zu problems, expected %zu (first "
		      "extra: %s)", pr.count, i,
		      pr.count > i ? pr.text[i] : "");
	problems_free(&pr);
}

/* How to alter a bundle while copying it. */
struct tamper {
	const char *drop;       /* a name inside the top folder */
	const char *change;     /* ... whose bytes become `to` */
	const char *to;
	const char *dup;        /* written twice */
	const char *extra;      /* a full entry path added at the end */
	int extra_link;         /* ... as a symbolic link */
	int dot;                /* every name under "./" */
	int extra_first;        /* the extra entry comes first */
};

static void tamper_extra(struct archive *out, const struct tamper *t)
{
	struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, t->extra);
	archive_entry_set_perm(ae, 0644);
	if (t->extra_link) {
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, "/etc/passwd");
		ck_assert_int_eq(archive_write_header(out, ae), ARCHIVE_OK);
	} else {
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, 5);
		ck_assert_int_eq(archive_write_header(out, ae), ARCHIVE_OK);
		archive_write_data(out, "evil\n", 5);
	}
	archive_entry_free(ae);
}

/* Copies the bundle src into a .tar.gz dst, altered by t. */
static void tamper(const char *src, const char *dst, const struct tamper *t)
{
	struct archive *in, *out;
	struct archive_entry *ae;
	const char *name, *rel;
	char buf[8192];
	char *data;
	size_t len, cap;
	ssize_t n;
	int k;

	in = archive_read_new();
	archive_read_support_filter_all(in);
	archive_read_support_format_all(in);
	ck_assert_int_eq(archive_read_open_filename(in, src, 10240),
			 ARCHIVE_OK);
	out = archive_write_new();
	archive_write_set_format_pax_restricted(out);
	archive_write_add_filter_gzip(out);
	ck_assert_int_eq(archive_write_open_filename(out, dst), ARCHIVE_OK);
	if (t->dot) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, "./");
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, 0755);
		ck_assert_int_eq(archive_write_header(out, ae), ARCHIVE_OK);
		archive_entry_free(ae);
	}
	if (t->extra != NULL && t->extra_first)
		tamper_extra(out, t);
	while (archive_read_next_header(in, &ae) == ARCHIVE_OK) {
		name = archive_entry_pathname(ae);
		rel = strncmp(name, TOP "/", strlen(TOP) + 1) == 0 ?
			name + strlen(TOP) + 1 : name;
		cap = 1024;
		len = 0;
		data = malloc(cap);
		while ((n = archive_read_data(in, buf, sizeof(buf))) > 0) {
			if (len + (size_t)n > cap) {
				cap = (len + (size_t)n) * 2;
				data = realloc(data, cap);
			}
			memcpy(data + len, buf, (size_t)n);
			len += (size_t)n;
		}
		if (t->drop != NULL && strcmp(rel, t->drop) == 0) {
			free(data);
			continue;
		}
		if (t->change != NULL && strcmp(rel, t->change) == 0) {
			free(data);
			data = strdup(t->to);
			len = strlen(t->to);
			archive_entry_set_size(ae, (la_int64_t)len);
		}
		if (t->dot) {
			snprintf(buf, sizeof(buf), "./%s", name);
			archive_entry_set_pathname(ae, buf);
		}
		for (k = 0; k < (t->dup != NULL &&
				 strcmp(rel, t->dup) == 0 ? 2 : 1); k++) {
			ck_assert_int_eq(archive_write_header(out, ae),
					 ARCHIVE_OK);
			if (len > 0)
				ck_assert_int_eq(archive_write_data(out, data,
								    len),
						 (ssize_t)len);
		}
		free(data);
	}
	if (t->extra != NULL && !t->extra_first)
		tamper_extra(out, t);
	ck_assert_int_eq(archive_write_close(out), ARCHIVE_OK);
	archive_write_free(out);
	archive_read_free(in);
}

/* The bytes of one entry (inside the top folder) of a bundle. */
static char *entry_text(const char *path, const char *rel)
{
	struct archive *a;
	struct archive_entry *ae;
	char *data = NULL;
	la_int64_t size;

	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 10240),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(ae) + strlen(TOP) + 1,
			   rel) != 0)
			continue;
		size = archive_entry_size(ae);
		data = calloc(1, (size_t)size + 1);
		ck_assert_int_eq(archive_read_data(a, data, (size_t)size),
				 size);
		break;
	}
	archive_read_free(a);
	ck_assert_ptr_nonnull(data);
	return data;
}

START_TEST(test_verify_good)
{
	struct fixture fx;
	char out[400];
	size_t i;

	fixture_init(&fx);
	for (i = 0; i < 3; i++) {
		bundle_path(&fx, fmts[i], "g", out, sizeof(out));
		write_ok(&fx, out);
		expect(out, NULL);
	}
	fixture_done(&fx);
}
END_TEST

START_TEST(test_verify_tampered)
{
	struct fixture fx;
	struct tamper t;
	char good[400], bad[400];
	char *sums, *p;

	fixture_init(&fx);
	bundle_path(&fx, ".tar.zst", "good", good, sizeof(good));
	bundle_path(&fx, ".tar.gz", "bad", bad, sizeof(bad));
	write_ok(&fx, good);
	/* Copied unchanged: still good (the copy is what is tested). */
	memset(&t, 0, sizeof(t));
	tamper(good, bad, &t);
	expect(bad, NULL);
	/* Names under "./" are the same names. */
	t.dot = 1;
	tamper(good, bad, &t);
	expect(bad, NULL);
	t.change = "notes/x.txt";
	t.to = "Review note for exception 9.\n";
	tamper(good, bad, &t);
	expect(bad, "notes/x.txt: SHA-256 differs from the manifest", NULL);

	/* One file's bytes changed, same size. */
	memset(&t, 0, sizeof(t));
	t.change = "notes/x.txt";
	t.to = "Review note for exception 9.\n";
	tamper(good, bad, &t);
	expect(bad, "notes/x.txt: SHA-256 differs from the manifest", NULL);

	/* ... and a different size. */
	t.to = "approved\n";
	tamper(good, bad, &t);
	expect(bad, "notes/x.txt: size differs from the manifest (9 bytes, "
	       "the manifest says 29)", NULL);

	/* One file missing. */
	memset(&t, 0, sizeof(t));
	t.drop = "inputs/opportunities.csv";
	tamper(good, bad, &t);
	expect(bad, "inputs/opportunities.csv: listed in the manifest but "
	       "missing from the archive", NULL);

	/* One extra file. */
	memset(&t, 0, sizeof(t));
	t.extra = TOP "/notes/z.txt";
	tamper(good, bad, &t);
	expect(bad, "notes/z.txt: in the archive but not in the manifest",
	       NULL);

	/* Entries escaping the folder. */
	t.extra = "../evil";
	tamper(good, bad, &t);
	expect(bad, "../evil: escapes the folder", NULL);
	t.extra = "elsewhere/evil";
	tamper(good, bad, &t);
	expect(bad, "elsewhere/evil: outside the top folder " TOP "/", NULL);
	/* ... first: the top folder is still the manifest's. */
	t.extra_first = 1;
	tamper(good, bad, &t);
	expect(bad, "elsewhere/evil: outside the top folder " TOP "/", NULL);
	t.extra = "top-level.txt";
	tamper(good, bad, &t);
	expect(bad, "top-level.txt: outside the top folder " TOP "/", NULL);
	t.extra = TOP "/a//b";
	tamper(good, bad, &t);
	expect(bad, TOP "/a//b: an unsafe name (an empty path component)",
	       NULL);
	t.extra_first = 0;
	t.extra = TOP "/../../evil";
	tamper(good, bad, &t);
	expect(bad, TOP "/../../evil: escapes the folder", NULL);
	t.extra = "/etc/evil";
	tamper(good, bad, &t);
	expect(bad, "/etc/evil: an absolute path", NULL);
	t.extra = TOP "/link";
	t.extra_link = 1;
	tamper(good, bad, &t);
	expect(bad, TOP "/link: not a regular file or folder", NULL);

	/* A manifest that does not parse: its SHA256SUMS line no longer
	 * matches either. */
	memset(&t, 0, sizeof(t));
	t.change = "manifest.json";
	t.to = "{\"files\": [";
	tamper(good, bad, &t);
	expect(bad, "manifest.json: does not parse as JSON",
	       "SHA256SUMS: line 5: the SHA-256 of manifest.json differs "
	       "from its content", NULL);

	/* A wrong line in SHA256SUMS. */
	sums = entry_text(good, "SHA256SUMS");
	p = strstr(sums, "  notes/x.txt\n");
	ck_assert_ptr_nonnull(p);
	memset(p - 64, '0', 64);
	memset(&t, 0, sizeof(t));
	t.change = "SHA256SUMS";
	t.to = sums;
	tamper(good, bad, &t);
	expect(bad, "SHA256SUMS: line 6: the SHA-256 of notes/x.txt differs "
	       "from the manifest", NULL);
	/* A line dropped, a line garbled. */
	p = strstr(sums, "notes/x.txt\n");
	memmove(p - 66, p + strlen("notes/x.txt\n"),
		strlen(p + strlen("notes/x.txt\n")) + 1);
	sums[10] = 'X';
	tamper(good, bad, &t);
	expect(bad, "SHA256SUMS: line 1 is not",
	       "config.json: missing from SHA256SUMS",
	       "notes/x.txt: missing from SHA256SUMS", NULL);
	free(sums);

	/* A duplicate entry. */
	memset(&t, 0, sizeof(t));
	t.dup = "notes/y.txt";
	tamper(good, bad, &t);
	expect(bad, "notes/y.txt: appears 2 times in the archive", NULL);

	/* The bundle's own files missing. */
	memset(&t, 0, sizeof(t));
	t.drop = "manifest.json";
	tamper(good, bad, &t);
	expect(bad, "manifest.json is missing",
	       "SHA256SUMS: line 5: manifest.json is not in the archive",
	       NULL);
	t.drop = "SHA256SUMS";
	tamper(good, bad, &t);
	expect(bad, "SHA256SUMS is missing", NULL);
	fixture_done(&fx);
}
END_TEST

/* Extracted, changed and packed again with the system tar, as a person
 * would: names under "./", other owners and times. */
START_TEST(test_verify_repacked)
{
	struct fixture fx;
	char good[400], bad[400], x[400];

	fixture_init(&fx);
	bundle_path(&fx, ".tar.gz", "good", good, sizeof(good));
	bundle_path(&fx, ".tar.gz", "bad", bad, sizeof(bad));
	snprintf(x, sizeof(x), "%s/x", fx.dir);
	write_ok(&fx, good);
	ck_assert_int_eq(mkdir(x, 0755), 0);
	ck_assert_int_eq(run("tar -xzf '%s' -C '%s'", good, x), 0);
	ck_assert_int_eq(run("cd '%s' && tar -czf '%s' .", x, bad), 0);
	expect(bad, NULL);
	ck_assert_int_eq(run("sed -i 's/\"id\": 1/\"id\": 7/' "
			     "'%s/" TOP "/exceptions.jsonl'", x), 0);
	ck_assert_int_eq(run("cd '%s' && tar -czf '%s' .", x, bad), 0);
	expect(bad, "exceptions.jsonl: SHA-256 differs from the manifest",
	       NULL);
	ck_assert_int_eq(run("rm '%s/" TOP "/notes/y.txt' && cd '%s' && "
			     "tar -czf '%s' .", x, x, bad), 0);
	expect(bad, "exceptions.jsonl: SHA-256 differs from the manifest",
	       "notes/y.txt: listed in the manifest but missing from the "
	       "archive", NULL);
	fixture_done(&fx);
}
END_TEST

/* An archive that cannot be read to the end is an error, not a list of
 * problems. */
START_TEST(test_verify_unreadable)
{
	struct problems pr;
	struct sg_error err;
	struct fixture fx;
	char out[400], cut[400];
	size_t i, len;
	char *data;
	FILE *f;

	fixture_init(&fx);
	for (i = 0; i < 3; i++) {
		bundle_path(&fx, fmts[i], "t", out, sizeof(out));
		bundle_path(&fx, fmts[i], "cut", cut, sizeof(cut));
		write_ok(&fx, out);
		data = slurp(out, &len);
		f = fopen(cut, "wb");
		ck_assert_ptr_nonnull(f);
		fwrite(data, 1, len / 2, f);
		fclose(f);
		free(data);
		ck_assert_int_eq(verify(cut, &pr, &err), SG_ERR_PARSE);
		ck_assert_ptr_nonnull(strstr(err.path, "cut"));
		problems_free(&pr);
	}
	/* Not an archive at all. */
	bundle_path(&fx, ".tar.gz", "text", out, sizeof(out));
	put_file(out, "this is not an archive\n");
	ck_assert_int_eq(verify(out, &pr, &err), SG_ERR_PARSE);
	ck_assert_str_eq(err.path, out);
	problems_free(&pr);
	/* Not there. */
	bundle_path(&fx, ".zip", "absent", out, sizeof(out));
	ck_assert_int_eq(verify(out, &pr, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, out);
	problems_free(&pr);
	fixture_done(&fx);
}
END_TEST

static Suite *bundle_suite(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc;

	tc = tcase_create("write");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_module);
	tcase_add_test(tc, test_extract_and_sha256sum);
	tcase_add_test(tc, test_manifest);
	tcase_add_test(tc, test_entries);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_utf8_name);
	tcase_add_test(tc, test_out_option);
	tcase_add_test(tc, test_atomic);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_test(tc, test_unsafe_names);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_slices);
	tcase_add_test(tc, test_first_unreadable_file_named);
	tcase_add_test(tc, test_file_changed_while_bundled);
	tcase_add_test(tc, test_file_ready);
	tcase_add_test(tc, test_gzip_blocks);
	tcase_add_test(tc, test_unknown_suffix);
	tcase_add_test(tc, test_unwritable);
	tcase_add_loop_test(tc, test_packed_file, 0, 3);
	tcase_add_loop_test(tc, test_packed_file_changed, 0, 3);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_verify_good);
	tcase_add_test(tc, test_verify_tampered);
	tcase_add_test(tc, test_verify_repacked);
	tcase_add_test(tc, test_verify_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(bundle_suite());
}
