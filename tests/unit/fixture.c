// SPDX-License-Identifier: Apache-2.0
/* Loading the QEMU virt DTB fixture. */
#include "fixture.h"
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

static const char *virt_dtb_path(char *buf, size_t len)
{
	const char *p = getenv("VERGE_VIRT_DTB");
	const char *cache = getenv("VERGE_CACHE");

	if (p && *p)
		return p;
	if (cache && *cache) {
		snprintf(buf, len, "%s/virt.dtb", cache);
		return buf;
	}
	return ".cache/virt.dtb";
}

void *fixture_virt_dtb(size_t *ret_size)
{
	char buf[4096];
	const char *path = virt_dtb_path(buf, sizeof(buf));
	FILE *f = fopen(path, "rb");
	void *fdt = NULL;
	long size;

	if (!f) {
		perror(path);
		fprintf(stderr, "(run `make fixtures`, or set VERGE_VIRT_DTB)\n");
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (fdt = malloc(size)) &&
	    fread(fdt, 1, size, f) == (size_t)size && !fdt_check_header(fdt) &&
	    fdt_totalsize(fdt) <= (size_t)size) {
		fclose(f);
		*ret_size = size;
		return fdt;
	}
	fprintf(stderr, "%s: cannot read a device tree blob\n", path);
	free(fdt);
	fclose(f);
	return NULL;
}

void *fixture_dt_copy(const void *fdt, size_t extra)
{
	size_t size = fdt_totalsize(fdt) + extra;
	void *copy = malloc(size);

	if (copy && fdt_open_into(fdt, copy, (int)size)) {
		free(copy);
		copy = NULL;
	}
	return copy;
}
