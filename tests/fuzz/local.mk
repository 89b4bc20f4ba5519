# libFuzzer targets (docs/fuzzing.md), built only with --enable-fuzz
# CC=clang: configure then instruments every object for coverage and
# ASan/UBSan (-fsanitize=fuzzer-no-link,...), so the libraries a target
# links are fuzzed too, and the targets below link libFuzzer's main.
# `make fuzz` runs each over its crashes/ once and its corpus/ for
# FUZZ_SECONDS seconds.
SG_FUZZ_NAMES = csv config gate review bundle
SG_FUZZ_BINS = tests/fuzz/fuzz_csv$(EXEEXT) \
	tests/fuzz/fuzz_config$(EXEEXT) tests/fuzz/fuzz_gate$(EXEEXT) \
	tests/fuzz/fuzz_review$(EXEEXT) tests/fuzz/fuzz_bundle$(EXEEXT)
SG_FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined
SG_FUZZ_CFLAGS = $(AM_CFLAGS) $(SG_FUZZ_FLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/tests/fuzz
FUZZ_SECONDS = 60
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/corpus tests/fuzz/crashes

if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_csv tests/fuzz/fuzz_config \
	tests/fuzz/fuzz_gate tests/fuzz/fuzz_review tests/fuzz/fuzz_bundle
endif

# The RFC 4180 reader and the csv source's mapping parser, its one file
# compiled in as tests/check_csv does.
tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz_csv.c tests/fuzz/sg_fuzz.h \
	plugins/csv/csv_mapping.c plugins/csv/csv_mapping.h
tests_fuzz_fuzz_csv_CFLAGS = $(SG_FUZZ_CFLAGS) -I$(top_srcdir)/plugins/csv
tests_fuzz_fuzz_csv_LDFLAGS = $(SG_FUZZ_FLAGS)
tests_fuzz_fuzz_csv_LDADD = core/util/libsgutil.la $(JANSSON_LIBS)

# The rules config loader.
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c \
	tests/fuzz/sg_fuzz.h
tests_fuzz_fuzz_config_CFLAGS = $(SG_FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(SG_FUZZ_FLAGS)
tests_fuzz_fuzz_config_LDADD = core/libsgcore.la $(JANSSON_LIBS)

# `gate`'s standard input: the bounded reader and the move's JSON.
tests_fuzz_fuzz_gate_SOURCES = tests/fuzz/fuzz_gate.c tests/fuzz/sg_fuzz.h
tests_fuzz_fuzz_gate_CFLAGS = $(SG_FUZZ_CFLAGS)
tests_fuzz_fuzz_gate_LDFLAGS = $(SG_FUZZ_FLAGS)
tests_fuzz_fuzz_gate_LDADD = core/libsgcore.la $(JANSSON_LIBS)

# `review import`: a disposition CSV against a ledger of one run.
tests_fuzz_fuzz_review_SOURCES = tests/fuzz/fuzz_review.c \
	tests/fuzz/sg_fuzz.h tests/sg_test_ledger.h
tests_fuzz_fuzz_review_CFLAGS = $(SG_FUZZ_CFLAGS) $(SQLITE_CFLAGS)
tests_fuzz_fuzz_review_LDFLAGS = $(SG_FUZZ_FLAGS)
tests_fuzz_fuzz_review_LDADD = core/libsgcore.la $(SQLITE_LIBS) \
	$(JANSSON_LIBS)

# `bundle verify`: the bundle sink's files compiled in, as
# tests/check_bundle does.
tests_fuzz_fuzz_bundle_SOURCES = tests/fuzz/fuzz_bundle.c \
	tests/fuzz/sg_fuzz.h plugins/bundle/bundle.c \
	plugins/bundle/bundle_int.h plugins/bundle/bundle_gzip.c \
	plugins/bundle/bundle_manifest.c plugins/bundle/bundle_packed.c \
	plugins/bundle/bundle_verify.c
tests_fuzz_fuzz_bundle_CFLAGS = $(SG_FUZZ_CFLAGS) \
	-I$(top_srcdir)/plugins/bundle $(LIBARCHIVE_CFLAGS) \
	$(CRYPTO_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_bundle_LDFLAGS = $(SG_FUZZ_FLAGS)
tests_fuzz_fuzz_bundle_LDADD = core/util/libsgutil.la \
	core/util/libsgdeflate.la $(LIBARCHIVE_LIBS) \
	$(CRYPTO_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS)

if ENABLE_FUZZ
fuzz: $(SG_FUZZ_BINS)
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) \
		'$(top_srcdir)/tests/fuzz/run.sh' '$(top_srcdir)/tests/fuzz' \
		tests/fuzz $(SG_FUZZ_NAMES)
else
fuzz:
	@echo "make fuzz: the fuzz targets are not built; configure with" \
		"--enable-fuzz CC=clang (docs/fuzzing.md)" >&2; exit 1
endif

# What `make fuzz` wrote: corpora it grew, logs, findings.
clean-local: fuzz-clean
fuzz-clean:
	rm -rf tests/fuzz/work
.PHONY: fuzz fuzz-clean
