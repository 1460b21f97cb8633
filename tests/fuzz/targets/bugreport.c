/*
 * istioctl bug-report archives as check/run --snapshot FILE.tar.gz reads
 * them (bugreport_open, through libarchive). An input that starts with
 * "=== " is the archive's members (fuzz.h's parts, names unchecked: the
 * loader must refuse the bad ones; "NAME -> TO" is a symbolic link), packed
 * as a tar here so the mutations reach the layout; any other input is the
 * archive's bytes as they are (tar, gzip, ...). Then the cluster is read as
 * probes read it. An archive that makes libarchive start a program (lrzip,
 * lzop, ... inside the gzip) aborts: meshmedic runs only its allow-list.
 */
#include <archive.h>
#include <archive_entry.h>

#include "cluster/bugreport.h"
#include "cluster/cluster.h"
#include "fuzz.h"
#include "pods.h"

static la_ssize_t to_sbuf(struct archive *a, void *ctx, const void *buf, size_t n)
{
	(void)a;
	sb_addn(ctx, buf, n);
	return (la_ssize_t)n;
}

/* The parts as a tar (pax, so long names pass): new string, *len its size. */
static char *pack(const struct fuzz_part parts[], size_t n, size_t *len)
{
	struct sbuf out;
	sb_init(&out);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_none(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open(a, &out, NULL, to_sbuf, NULL);
	for (size_t i = 0; i < n; i++) {
		char *name = xstrndup(parts[i].name, parts[i].name_len);
		char *link = strstr(name, " -> ");
		struct archive_entry *e = archive_entry_new();
		if (link) {
			*link = '\0';
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, link + 4);
		} else {
			archive_entry_set_filetype(e, name[0] && name[strlen(name) - 1] == '/'
							      ? AE_IFDIR : AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)parts[i].len);
		}
		archive_entry_set_pathname(e, name);
		archive_entry_set_perm(e, 0644);
		if (archive_write_header(a, e) == ARCHIVE_OK && !link)
			archive_write_data(a, parts[i].data, parts[i].len);
		archive_entry_free(e);
		free(name);
	}
	archive_write_close(a);
	archive_write_free(a);
	*len = out.len;
	return sb_steal(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir, *p;
	if (size >= 4 && memcmp(data, "=== ", 4) == 0) {
		struct fuzz_part parts[FUZZ_MAX_PARTS];
		size_t n = fuzz_parts(data, size, parts), len;
		char *tar = pack(parts, n, &len);
		p = fuzz_file((const uint8_t *)tar, len, "bug-report.tar", &dir);
		free(tar);
	} else {
		p = fuzz_file(data, size, "bug-report.tar.gz", &dir);
	}
	struct mm_errors errs = {0};
	struct cluster *c = bugreport_open(p, &errs);
	/* reading an archive never starts a program (libarchive's external decompressors); the
	 * words after the prefix are libarchive's alone (a member's name could say them too) */
	static const char open_failed[] = "cannot read the archive: ";
	for (size_t i = 0; i < errs.n; i++)
		if (strncmp(errs.v[i].text, open_failed, strlen(open_failed)) == 0 &&
		    strstr(errs.v[i].text, "unable to run program"))
			abort();
	if (c)
		fuzz_read_pods(c);
	cluster_free(c);
	errs_free(&errs);
	fuzz_rm(p, dir);
	return 0;
}
