/*
 * xlsx_verify.c - a finished workbook read back before it takes its
 * name.  libxlsxwriter writes rows to temporary files with stdio and
 * does not look at every write's result: on a full disk a sheet can lose
 * its middle while the zip around it stays sound.  So the workbook is
 * trusted only when its temporary row files reported no error, and when
 * it reads back whole: every member inflates with its CRC right and
 * every sheet ends with its closing tag.
 *
 * A sheet whose rows the sink streamed itself is not inflated again:
 * each write of its rows was checked, and the part libxlsxwriter wrote
 * was inflated with its CRC checked when the rows were put in
 * (xlsx_repack.c).  At a million rows that read would be 3 s.
 */
#include "xlsx_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>

#define XLSX_VERIFY_BLOCK (256u * 1024u)
#define XLSX_SHEET_END "</worksheet>"

int xlsx_check_row_files(lxw_workbook *wb, struct sg_error *err)
{
	lxw_worksheet *ws;

	LXW_FOREACH_WORKSHEET(ws, wb) {
		FILE *f = ws->optimize_tmpfile;

		if (f != NULL && (fflush(f) != 0 || ferror(f)))
			return sg_error_set(err, SG_ERR_IO, "a temporary file "
					    "of the sheet \"%s\" could not be "
					    "written (a full disk?); check "
					    "the free space of TMPDIR",
					    ws->name);
	}
	return SG_OK;
}

/* Is name a sheet's XML part ("xl/worksheets/sheet3.xml")? */
static int xlsx_is_sheet(const char *name)
{
	size_t n = strlen(name);

	return strncmp(name, "xl/worksheets/sheet", 19) == 0 && n > 4 &&
	       strcmp(name + n - 4, ".xml") == 0;
}

/* Reads one member whole; its last bytes kept in tail (NUL-ended). */
static int xlsx_read_member(struct archive *a, char *tail, size_t size)
{
	const void *block;
	size_t len, kept = 0, n;
	la_int64_t offset;
	int r;

	tail[0] = '\0';
	while ((r = archive_read_data_block(a, &block, &len, &offset)) ==
	       ARCHIVE_OK) {
		if (len == 0)
			continue;
		n = len < size - 1 ? len : size - 1;
		if (kept + n > size - 1) {
			memmove(tail, tail + (kept + n - (size - 1)),
				size - 1 - n);
			kept = size - 1 - n;
		}
		memcpy(tail + kept, (const char *)block + len - n, n);
		kept += n;
		tail[kept] = '\0';
	}
	return r == ARCHIVE_EOF ? 0 : -1;
}

int xlsx_verify_file(const char *path, const struct xlsx_layout *streamed,
		     struct sg_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char tail[32];
	const char *name, *why = NULL;
	int r, members = 0, workbook = 0;

	if (a == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_filename(a, path, XLSX_VERIFY_BLOCK) !=
	    ARCHIVE_OK)
		why = archive_error_string(a);
	while (why == NULL && (r = archive_read_next_header(a, &ae)) !=
	       ARCHIVE_EOF) {
		if (r != ARCHIVE_OK) {
			why = archive_error_string(a);
			break;
		}
		name = archive_entry_pathname(ae);
		members++;
		workbook |= name != NULL && strcmp(name, "xl/workbook.xml") == 0;
		if (streamed != NULL && name != NULL &&
		    xlsx_streamed_sheet(streamed, name, strlen(name)) !=
		    NULL) {
			if (archive_read_data_skip(a) != ARCHIVE_OK)
				why = archive_error_string(a);
			continue;
		}
		if (xlsx_read_member(a, tail, sizeof(tail)) != 0)
			why = archive_error_string(a);
		else if (name != NULL && xlsx_is_sheet(name) &&
			 (strlen(tail) < strlen(XLSX_SHEET_END) ||
			  strcmp(tail + strlen(tail) -
				 strlen(XLSX_SHEET_END), XLSX_SHEET_END)))
			why = "a sheet is cut short";
	}
	if (why == NULL && (members == 0 || !workbook))
		why = "it holds no workbook";
	if (why != NULL)
		sg_error_set(err, SG_ERR_IO, "the workbook written does not "
			     "read back (%s): it was not put in place; check "
			     "the free space of the folder and of TMPDIR",
			     why != NULL && why[0] != '\0' ? why :
			     "damaged");
	archive_read_free(a);
	return why != NULL ? SG_ERR_IO : SG_OK;
}
