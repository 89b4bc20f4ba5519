# Developer tools: the pipeline generator and the benchmark.

# sg-gen: a deterministic, realistic pipeline in the canonical CSV layout
# (libc only; see the comment at the top of tools/sg-gen.c).
noinst_PROGRAMS += tools/sg-gen
tools_sg_gen_SOURCES = tools/sg-gen.c

EXTRA_DIST += tools/bench.sh tools/make-demo.sh tools/dev.sh \
	tools/hubspot_bench.sh tools/salesforce_bench.sh

# `make bench`: times `stageguard check` on generated pipelines of
# BENCH_SIZES opportunities (default "100000 1000000"), cached under
# BENCH_DIR (default $(builddir)/bench).  See docs/benchmarks.md.
.PHONY: bench demo-data
bench: all
	top_builddir='$(abs_top_builddir)' BENCH_SIZES='$(BENCH_SIZES)' \
	BENCH_DIR='$(BENCH_DIR)' BENCH_SEED='$(BENCH_SEED)' \
	BENCH_RUNS='$(BENCH_RUNS)' \
	$(SHELL) $(srcdir)/tools/bench.sh

# `make bench-hubspot`: the HubSpot source against tools/hubspot_fake.py
# (HUBSPOT_BENCH_SIZES deals, default 10000; HUBSPOT_BENCH_RATE requests
# per 10 s, default 100; HUBSPOT_BENCH_INCREMENTAL=0 skips the daily
# incremental case); see docs/benchmarks.md, "HubSpot".
.PHONY: bench-hubspot
bench-hubspot: all
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	HUBSPOT_BENCH_DIR='$(BENCH_DIR)' \
	HUBSPOT_BENCH_SIZES='$(HUBSPOT_BENCH_SIZES)' \
	HUBSPOT_BENCH_RATE='$(HUBSPOT_BENCH_RATE)' \
	$(SHELL) $(srcdir)/tools/hubspot_bench.sh

# `make bench-salesforce`: the Salesforce source against
# tools/salesforce_fake.py over REST and through Bulk API 2.0
# (SALESFORCE_BENCH_SIZES opportunities, default 10000); see
# docs/benchmarks.md, "Salesforce".
.PHONY: bench-salesforce
bench-salesforce: all
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	SALESFORCE_BENCH_DIR='$(BENCH_DIR)' \
	SALESFORCE_BENCH_SIZES='$(SALESFORCE_BENCH_SIZES)' \
	$(SHELL) $(srcdir)/tools/salesforce_bench.sh

# `make demo-data`: regenerates the bundled sample data in the source
# tree (configs/demo/), for a maintainer who changed the generator.
demo-data: tools/sg-gen$(EXEEXT)
	$(SHELL) $(srcdir)/tools/make-demo.sh \
		'$(abs_top_builddir)/tools/sg-gen$(EXEEXT)'

# sg-xlsx-bench: renders a synthetic exception list (default 500,000 rows,
# 14 columns) through the xlsx sink and prints the wall time and the peak
# RSS (docs/benchmarks.md, "xlsx sink: 500,000 exception rows").
noinst_PROGRAMS += tools/sg-xlsx-bench
tools_sg_xlsx_bench_SOURCES = tools/sg-xlsx-bench.c $(XLSX_SOURCES)
tools_sg_xlsx_bench_CFLAGS = $(AM_CFLAGS) $(XLSXWRITER_CFLAGS) $(LIBARCHIVE_CFLAGS) \
	-I$(top_srcdir)/plugins/xlsx
tools_sg_xlsx_bench_LDADD = core/util/libsgutil.la core/util/libsgdeflate.la $(XLSXWRITER_LIBS) $(ZLIB_LIBS) \
	$(LIBARCHIVE_LIBS)
