// SPDX-License-Identifier: Apache-2.0
/*
 * Disks and network cards (agentd/devices.c): the spec parsers, the image
 * header probe and QEMU's options, which must name every block node and
 * its format so that QEMU opens no file by name and probes no format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"

static json_t *disk(const char *spec, int want, const char *why_part)
{
	json_t *in = json_string(spec), *out = NULL;
	char why[512] = "";
	int e = dev_disk_parse(in, &out, why, sizeof(why));

	json_decref(in);
	if (e != want || (why_part && !strstr(why, why_part)))
		fail_msg("%s: %d (%s), wanted %d (%s)", spec, e, why, want,
			 why_part ? why_part : "-");
	return out;
}

static void disk_specs(void **state)
{
	json_t *d;

	(void)state;
	d = disk("/img/a.raw", 0, NULL);
	assert_string_equal(json_string_value(json_object_get(d, "path")),
			    "/img/a.raw");
	assert_null(json_object_get(d, "format"));
	assert_true(json_is_false(json_object_get(d, "readonly")));
	json_decref(d);
	d = disk("/img/b.qcow2,format=qcow2,overlay", 0, NULL);
	assert_true(json_is_true(json_object_get(d, "overlay")));
	json_decref(d);
	disk("img/a.raw", -EINVAL, "must be absolute");
	disk("", -EINVAL, "must be absolute");
	disk("/a,format=vmdk", -EINVAL, "raw or qcow2");
	disk("/a,readonly,snapshot", -EINVAL, "exclude each other");
	disk("/a,cache=none", -EINVAL, "unknown option 'cache=none'");
	disk("/a,", -EINVAL, "an empty option");
	disk("/a,,readonly", -EINVAL, "an empty option");
}

static void disk_objects(void **state)
{
	json_t *in, *out = NULL;
	char why[256];

	(void)state;
	in = json_pack("{ss sb}", "path", "/x", "readonly", 1);
	assert_int_equal(dev_disk_parse(in, &out, why, sizeof(why)), 0);
	assert_true(json_is_true(json_object_get(out, "readonly")));
	json_decref(out);
	json_decref(in);
	in = json_pack("{ss si}", "path", "/x", "readonly", 1);
	assert_int_equal(dev_disk_parse(in, &out, why, sizeof(why)), -EINVAL);
	json_decref(in);
	in = json_pack("{ss ss}", "path", "/x", "overlay_path", "/etc/x");
	assert_int_equal(dev_disk_parse(in, &out, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "unknown key 'overlay_path'"));
	json_decref(in);
	in = json_pack("{ss}", "path", "/a,b");	/* QEMU's separator */
	assert_int_equal(dev_disk_parse(in, &out, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "may not hold ','"));
	json_decref(in);
	in = json_integer(3);
	assert_int_equal(dev_disk_parse(in, &out, why, sizeof(why)), -EINVAL);
	json_decref(in);
}

static int nic(const char *spec, json_t **out, const char *why_part)
{
	json_t *in = json_string(spec);
	char why[512] = "";
	int e = dev_nic_parse(in, out, why, sizeof(why));

	json_decref(in);
	if (why_part && !strstr(why, why_part))
		fail_msg("%s: '%s' lacks '%s'", spec, why, why_part);
	return e;
}

static void nic_specs(void **state)
{
	json_t *n = NULL;

	(void)state;
	assert_int_equal(nic("user,hostfwd=tcp:127.0.0.1:2222-:22,"
			     "hostfwd=udp:0.0.0.0:5353-10.0.2.15:53", &n, NULL),
			 0);
	assert_int_equal(json_array_size(json_object_get(n, "hostfwd")), 2);
	assert_int_equal(strlen(json_string_value(json_object_get(n, "mac"))),
			 17);
	assert_memory_equal(json_string_value(json_object_get(n, "mac")),
			    "52:54:00:", 9);
	assert_true(json_is_false(json_object_get(n, "restrict")));
	json_decref(n);
	assert_int_equal(nic("user,restrict", &n, NULL), 0);
	assert_true(json_is_true(json_object_get(n, "restrict")));
	json_decref(n);
	assert_int_equal(nic("user,mac=02:00:00:00:00:01", &n, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(n, "mac")),
			    "02:00:00:00:00:01");
	json_decref(n);
	assert_int_equal(nic("user,mac=ff:ff:ff:ff:ff:ff", &n, "unicast"),
			 -EINVAL);
	assert_int_equal(nic("user,mac=00:00:00:00:00:00", &n, "unicast"),
			 -EINVAL);
	assert_int_equal(nic("user,mac=52:54:00:1:2:3", &n, "unicast"),
			 -EINVAL);
	assert_int_equal(nic("user,hostfwd=tcp:127.0.0.1:80-:80", &n,
			     "1024-65535"), -EINVAL);
	assert_int_equal(nic("user,hostfwd=tcp:127.0.0.1:99999-:80", &n,
			     "1024-65535"), -EINVAL);
	assert_int_equal(nic("user,hostfwd=tcp:127.0.0.1:2222-:0", &n,
			     "1-65535"), -EINVAL);
	assert_int_equal(nic("user,hostfwd=tcp:localhost:2222-:22", &n,
			     NULL), -EINVAL);
	assert_int_equal(nic("user,hostfwd=tcp:1.2.3.4:2222-:22,x", &n,
			     "unknown option 'x'"), -EINVAL);
	/* a comma in a rule cannot smuggle a QEMU option in */
	assert_int_equal(nic("user,hostfwd=tcp:127.0.0.1:2222-:22,smb=/",
			     &n, "unknown option 'smb=/'"), -EINVAL);
	assert_int_equal(nic("user,hostfwd=tcp:127.0.0.1:2222-:22 ", &n,
			     NULL), -EINVAL);
	assert_int_equal(nic("tap,bridge=br0,mac=02:00:00:00:00:02", &n,
			     NULL), 0);
	assert_string_equal(json_string_value(json_object_get(n, "bridge")),
			    "br0");
	assert_null(json_object_get(n, "restrict"));
	json_decref(n);
	assert_int_equal(nic("tap", &n, "needs bridge=NAME"), -EINVAL);
	assert_int_equal(nic("tap,bridge=", &n, "not an interface name"),
			 -EINVAL);
	assert_int_equal(nic("tap,bridge=0123456789abcdef", &n,
			     "not an interface name"), -EINVAL);
	assert_int_equal(nic("tap,bridge=../x", &n, "not an interface name"),
			 -EINVAL);
	assert_int_equal(nic("tap,bridge=br0,restrict", &n,
			     "user mode only"), -EINVAL);
	assert_int_equal(nic("tap,bridge=br0,hostfwd=tcp:127.0.0.1:2222-:22",
			     &n, "user mode only"), -EINVAL);
	assert_int_equal(nic("user,bridge=br0", &n, "tap mode only"),
			 -EINVAL);
	assert_int_equal(nic("socket", &n, "mode must be user or tap"),
			 -EINVAL);
	assert_int_equal(nic("user,", &n, "an empty option"), -EINVAL);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void image_probe(void **state)
{
	char path[] = "/tmp/verged-dev-XXXXXX", why[256];
	unsigned char h[4096] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
	struct dev_image im;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	h[31] = 0x40;		/* the virtual size: 0x100040 */
	h[29] = 0x10;
	write_file(path, h, sizeof(h));
	fd = open(path, O_RDONLY);
	assert_int_equal(dev_image_probe(fd, &im, why, sizeof(why)), 0);
	assert_string_equal(im.format, "qcow2");
	assert_int_equal(im.size, 0x100040);
	assert_false(im.backing);
	close(fd);
	h[15] = 0x48;		/* a backing file offset */
	write_file(path, h, sizeof(h));
	fd = open(path, O_RDONLY);
	assert_int_equal(dev_image_probe(fd, &im, why, sizeof(why)), 0);
	assert_true(im.backing);
	close(fd);
	h[7] = 9;		/* an unknown version */
	write_file(path, h, sizeof(h));
	fd = open(path, O_RDONLY);
	assert_int_equal(dev_image_probe(fd, &im, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "version 9"));
	close(fd);
	write_file(path, h, 40);	/* a truncated header */
	fd = open(path, O_RDONLY);
	assert_int_equal(dev_image_probe(fd, &im, why, sizeof(why)), -EINVAL);
	close(fd);
	memset(h, 0, sizeof(h));	/* raw: the file's size */
	write_file(path, h, 1024);
	fd = open(path, O_RDONLY);
	assert_int_equal(dev_image_probe(fd, &im, why, sizeof(why)), 0);
	assert_string_equal(im.format, "raw");
	assert_int_equal(im.size, 1024);
	close(fd);
	write_file(path, h, 100);
	fd = open(path, O_RDONLY);
	assert_int_equal(dev_image_probe(fd, &im, why, sizeof(why)), -EINVAL);
	close(fd);
	unlink(path);
}

struct argv {
	char *v[64];
	int n;
};

static int collect(void *ctx, const char *arg)
{
	struct argv *a = ctx;

	if (a->n >= 63)
		return -E2BIG;
	a->v[a->n++] = strdup(arg);
	return 0;
}

static bool has(const struct argv *a, const char *s)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], s))
			return true;
	return false;
}

static void qemu_options(void **state)
{
	json_t *disks = json_pack("[{ss ss sb sb} {ss ss sb ss}]",
				  "path", "/a.raw", "format", "raw",
				  "readonly", 1, "snapshot", 0,
				  "path", "/b.qcow2", "format", "qcow2",
				  "overlay", 1, "overlay_path", "/s/o.qcow2");
	json_t *nics = json_pack("[{ss ss s[s]} {ss ss s[] sb} {ss ss ss}]",
				 "mode", "user", "mac", "52:54:00:aa:bb:cc",
				 "hostfwd", "tcp:127.0.0.1:2222-:22", "mode",
				 "user", "mac", "52:54:00:aa:bb:cd", "hostfwd",
				 "restrict", 1, "mode", "tap", "mac",
				 "52:54:00:aa:bb:ce", "bridge", "br0");
	struct argv a = { 0 };
	int i;

	(void)state;
	assert_int_equal(dev_fd_count(disks, nics), 4);
	assert_true(dev_needs_host_net(nics));
	assert_int_equal(dev_qemu_args(disks, nics, 4, collect, &a), 0);
	/* the descriptors, in order, each its own set */
	assert_true(has(&a, "fd=4,set=1"));
	assert_true(has(&a, "fd=5,set=2"));
	assert_true(has(&a, "fd=6,set=3"));
	/* every node names its driver; qcow2 its backing (null or verged's) */
	assert_true(has(&a, "{\"driver\":\"file\",\"node-name\":\"disk0-file\","
			"\"filename\":\"/dev/fdset/1\",\"read-only\":true}"));
	assert_true(has(&a, "{\"driver\":\"raw\",\"node-name\":\"disk0\","
			"\"file\":\"disk0-file\",\"read-only\":true}"));
	assert_true(has(&a, "{\"driver\":\"qcow2\",\"node-name\":\"disk1-base\","
			"\"file\":\"disk1-file\",\"read-only\":true,"
			"\"backing\":null}"));
	assert_true(has(&a, "{\"driver\":\"qcow2\",\"node-name\":\"disk1\","
			"\"file\":\"disk1-overlay\",\"read-only\":false,"
			"\"backing\":\"disk1-base\"}"));
	assert_true(has(&a, "virtio-blk-pci,drive=disk1,id=disk1"));
	assert_true(has(&a, "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22"));
	assert_true(has(&a, "user,id=net1,restrict=on"));
	assert_true(has(&a, "virtio-net-pci,netdev=net0,"
			"mac=52:54:00:aa:bb:cc,romfile="));
	/* the tap's descriptor follows the disks' */
	assert_true(has(&a, "tap,id=net2,fd=7"));
	assert_true(has(&a, "virtio-net-pci,netdev=net2,"
			"mac=52:54:00:aa:bb:ce,romfile="));
	/* no path of an image reaches QEMU */
	for (i = 0; i < a.n; i++) {
		assert_null(strstr(a.v[i], "/a.raw"));
		assert_null(strstr(a.v[i], "o.qcow2"));
		free(a.v[i]);
	}
	json_decref(disks);
	/* a tap card alone keeps the jail's own network namespace */
	json_array_remove(nics, 0);
	json_array_remove(nics, 0);
	assert_false(dev_needs_host_net(nics));
	json_decref(nics);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(disk_specs),
		cmocka_unit_test(disk_objects),
		cmocka_unit_test(nic_specs),
		cmocka_unit_test(image_probe),
		cmocka_unit_test(qemu_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
