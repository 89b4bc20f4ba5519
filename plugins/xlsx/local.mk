# The xlsx sink: the leadership report as an Excel workbook (libxlsxwriter).
XLSX_SOURCES = plugins/xlsx/xlsx.c plugins/xlsx/xlsx_layout.c \
	plugins/xlsx/xlsx_cells.c plugins/xlsx/xlsx_blocks.c \
	plugins/xlsx/xlsx_stream.c plugins/xlsx/xlsx_repack.c \
	plugins/xlsx/xlsx_verify.c plugins/xlsx/xlsx_int.h
pkglib_LTLIBRARIES += plugins/xlsx/xlsx.la
plugins_xlsx_xlsx_la_SOURCES = $(XLSX_SOURCES)
plugins_xlsx_xlsx_la_CFLAGS = $(AM_CFLAGS) $(XLSXWRITER_CFLAGS) \
	$(LIBARCHIVE_CFLAGS) $(ZLIB_CFLAGS) -fvisibility=hidden
plugins_xlsx_xlsx_la_LDFLAGS = $(SG_PLUGIN_LDFLAGS)
plugins_xlsx_xlsx_la_LIBADD = core/util/libsgutil.la \
	core/util/libsgdeflate.la $(XLSXWRITER_LIBS) $(LIBARCHIVE_LIBS) \
	$(ZLIB_LIBS)
