// SPDX-License-Identifier: Apache-2.0
/*
 * verge-acpi: the DT-to-ACPI converter on the host.
 *   verge-acpi from-dtb BOARD.dtb -o DIR [--describe] [--base ADDR]
 * writes DIR/<SIG>.dat per table (iasl -d reads them), DIR/tables.bin
 * (the whole image as it sits at ADDR) and, with --describe, prints what
 * was mapped from which DT node and what was left out and why.
 */
#include <acpi/acpi.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXIT_CONVERT	1	/* the DTB cannot be converted */
#define EXIT_USAGE	2
#define EXIT_IO		3
#define DTB_MAX		(64u << 20)
#define OUT_SIZE	(1u << 20)
#define DEFAULT_BASE	0x40000000ull	/* for --describe only */

static const char usage_text[] =
	"usage: verge-acpi from-dtb BOARD.dtb -o DIR [--describe] [--base ADDR] [--align N]\n"
	"       verge-acpi --help\n"
	"\n"
	"Converts a flattened device tree into ACPI tables: RSDP, XSDT, FADT,\n"
	"DSDT, MADT, GTDT, SPCR, DBG2, MCFG and IORT as the board needs them.\n"
	"\n"
	"  -o, --output DIR   write DIR/<SIG>.dat for each table and DIR/tables.bin\n"
	"  -d, --describe     print what was mapped from which DT node, and what\n"
	"                     was left out and why\n"
	"  -b, --base ADDR    physical address the tables will sit at (default 0x40000000)\n"
	"  -a, --align N      table alignment, a power of two >= 16 (default 16)\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0 done, 1 the DTB cannot be converted, 2 usage error,\n"
	"3 a file could not be read or written.\n";

/* DT names and strings may hold any byte: print them as '?' when they
 * are not printable ASCII, so a hostile DTB cannot drive the terminal. */
static void put_clean(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s >= 0x20 && *s <= 0x7e ? *s : '?', f);
}

static void note(void *ctx, enum acpi_note_kind kind, const char *node,
		 const char *msg)
{
	(void)ctx;
	printf("%-9s ", kind == ACPI_NOTE_MAPPED ? "mapped" : "left out");
	put_clean(stdout, node);
	fputs(": ", stdout);
	put_clean(stdout, msg);
	putchar('\n');
}

static void *read_file(const char *path, size_t *ret_size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "verge-acpi: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (n == cap) {
			char *nb;

			if (cap >= DTB_MAX) {
				fprintf(stderr, "verge-acpi: %s: larger than %u MiB\n",
					path, DTB_MAX >> 20);
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb)
				goto fail;
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "verge-acpi: %s: read error\n", path);
		goto fail;
	}
	fclose(f);
	*ret_size = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

static int write_file(const char *dir, const char *name, const void *p,
		      size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "verge-acpi: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return 0;
}

static int write_tables(const char *dir, const uint8_t *buf,
			const struct acpi_result *res)
{
	char name[16];

	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "verge-acpi: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < res->ntables; i++) {
		const struct acpi_table_ref *t = &res->table[i];

		snprintf(name, sizeof(name), "%s.dat", t->sig);
		if (write_file(dir, name, buf + t->offset, t->length) < 0)
			return -1;
	}
	return write_file(dir, "tables.bin", buf, res->used);
}

static int parse_num(const char *s, unsigned long long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoull(s, &end, 0);
	return errno || !*s || *end ? -1 : 0;
}

static int from_dtb(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "describe", no_argument, NULL, 'd' },
		{ "base", required_argument, NULL, 'b' },
		{ "align", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct acpi_params prm = { DEFAULT_BASE, 16, NULL, NULL };
	struct acpi_result res;
	struct hv_err err = { "" };
	const char *out = NULL;
	unsigned long long v;
	uint8_t *buf;
	void *dtb;
	size_t size;
	int c, r;

	while ((c = getopt_long(argc, argv, "o:db:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'd':
			prm.note = note;
			break;
		case 'b':
		case 'a':
			if (parse_num(optarg, &v) < 0 || (c == 'a' && v > 65536)) {
				fprintf(stderr, "verge-acpi: bad number '%s'\n", optarg);
				fputs(usage_text, stderr);
				return EXIT_USAGE;
			}
			if (c == 'b')
				prm.base = v;
			else
				prm.align = (uint32_t)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (!out && !prm.note)) {
		fprintf(stderr, "verge-acpi: from-dtb needs one BOARD.dtb and -o DIR or --describe\n");
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	dtb = read_file(argv[optind], &size);
	if (!dtb)
		return EXIT_IO;
	buf = aligned_alloc(16, OUT_SIZE);
	if (!buf) {
		free(dtb);
		return EXIT_IO;
	}
	r = acpi_build(dtb, size, buf, OUT_SIZE, &prm, &res, &err);
	if (r < 0) {
		fprintf(stderr, "verge-acpi: %s: ", argv[optind]);
		put_clean(stderr, err.msg);
		fputc('\n', stderr);
		r = r == -EINVAL || r == -E2BIG ? EXIT_CONVERT : EXIT_USAGE;
	} else {
		if (prm.note)
			for (unsigned i = 0; i < res.ntables; i++)
				printf("table     %s at 0x%llx, %u bytes\n",
				       res.table[i].sig,
				       (unsigned long long)(prm.base + res.table[i].offset),
				       res.table[i].length);
		r = out && write_tables(out, buf, &res) < 0 ? EXIT_IO : 0;
	}
	free(buf);
	free(dtb);
	return r;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "from-dtb"))
		return from_dtb(argc - 1, argv + 1);
	fprintf(stderr, "verge-acpi: %s\n", argc < 2 ? "no command given" :
		"unknown command (the only command is from-dtb)");
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}
