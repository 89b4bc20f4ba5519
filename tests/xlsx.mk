# tests of the xlsx sink: the plugin's code is linked in and driven through
# its descriptor with a fake host; the workbooks are read back by
# tests/xlsx/inspect_xlsx.py (python3-openpyxl).
check_PROGRAMS += tests/check_xlsx
TESTS += tests/check_xlsx
tests_check_xlsx_SOURCES = tests/check_xlsx.c $(XLSX_SOURCES)
tests_check_xlsx_CFLAGS = $(SG_TEST_CFLAGS) $(XLSXWRITER_CFLAGS) $(LIBARCHIVE_CFLAGS) \
	-I$(top_srcdir)/plugins/xlsx -DSG_PYTHON3='"$(PYTHON3)"'
tests_check_xlsx_LDADD = core/util/libsgutil.la core/util/libsgdeflate.la \
	$(XLSXWRITER_LIBS) $(LIBARCHIVE_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS) \
	$(CHECK_LIBS)
EXTRA_DIST += tests/xlsx/inspect_xlsx.py
