// SPDX-License-Identifier: Apache-2.0
/*
 * Disks and network cards of a VM (devices.h). The parsers and the QEMU
 * options are pure; opening images, probing their headers and making
 * qcow2 overlays touch files and run qemu-img.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ascaller.h"
#include "devices.h"
#include "jail.h"
#include "log.h"
#include "verged.h"
#include "vm.h"

#define HOSTFWD_MAX	16

static int fail(char *why, size_t n, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t n, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return e;
}

/* --- specs ---------------------------------------------------------------- */

/* A spec with an empty item ("a,,b", "a,") is a typing error. */
static bool empty_item(const char *s, const char *what, char *why, size_t n)
{
	size_t len = strlen(s);

	if (!strstr(s, ",,") && (len == 0 || s[len - 1] != ','))
		return false;
	fail(why, n, 0, "%s '%s': an empty option", what, s);
	return true;
}

/* "a,b=c,d" -> the next item of s (up to ',' or the end) in buf. */
static const char *next_item(const char *s, char *buf, size_t n)
{
	size_t len = strcspn(s, ",");

	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	s += strcspn(s, ",");
	return *s ? s + 1 : s;
}

static bool set_flag(json_t *o, const char *key, json_t *v, char *why,
		     size_t n)
{
	if (!v)
		v = json_true();
	if (!json_is_boolean(v)) {
		fail(why, n, 0, "disk: %s must be true or false", key);
		return false;
	}
	json_object_set(o, key, v);
	return true;
}

static int disk_check(json_t *o, char *why, size_t n)
{
	const char *path = json_string_value(json_object_get(o, "path"));
	const char *fmt = json_string_value(json_object_get(o, "format"));
	bool ro = json_is_true(json_object_get(o, "readonly"));
	bool snap = json_is_true(json_object_get(o, "snapshot"));
	bool ov = json_is_true(json_object_get(o, "overlay"));

	if (!path || path[0] != '/')
		return fail(why, n, -EINVAL, "disk: the path must be absolute"
			    " (%s)", path ? path : "none given");
	if (strlen(path) > 4000 || strchr(path, ','))
		return fail(why, n, -EINVAL, "disk %s: a path may not hold"
			    " ',' or exceed 4000 bytes", path);
	if (json_object_get(o, "format") && (!fmt || (strcmp(fmt, "raw") &&
					     strcmp(fmt, "qcow2"))))
		return fail(why, n, -EINVAL, "disk %s: format must be raw or"
			    " qcow2", path);
	if (snap + ov + ro > 1)
		return fail(why, n, -EINVAL, "disk %s: readonly, snapshot and"
			    " overlay exclude each other", path);
	return 0;
}

int dev_disk_parse(json_t *in, json_t **ret, char *why, size_t n)
{
	static const char *const flags[] = { "readonly", "snapshot",
					     "overlay" };
	json_t *o = json_object();
	const char *s, *key;
	char item[4096];
	json_t *v;
	size_t i;
	int e = -EINVAL;

	if (json_is_string(in)) {
		if (empty_item(json_string_value(in), "disk", why, n))
			goto out;
		s = next_item(json_string_value(in), item, sizeof(item));
		json_object_set_new(o, "path", json_string(item));
		while (*s) {
			s = next_item(s, item, sizeof(item));
			if (!strncmp(item, "format=", 7)) {
				json_object_set_new(o, "format",
						    json_string(item + 7));
				continue;
			}
			for (i = 0; i < 3; i++)
				if (!strcmp(item, flags[i]))
					break;
			if (i == 3) {
				fail(why, n, 0, "disk: unknown option '%s';"
				     " say format=raw|qcow2, readonly,"
				     " snapshot or overlay", item);
				goto out;
			}
			json_object_set_new(o, flags[i], json_true());
		}
	} else if (json_is_object(in)) {
		json_object_foreach(in, key, v) {
			if (!strcmp(key, "path") || !strcmp(key, "format")) {
				if (!json_is_string(v)) {
					fail(why, n, 0, "disk: %s must be a"
					     " string", key);
					goto out;
				}
				json_object_set(o, key, v);
				continue;
			}
			for (i = 0; i < 3; i++)
				if (!strcmp(key, flags[i]))
					break;
			if (i == 3) {
				fail(why, n, 0, "disk: unknown key '%s'", key);
				goto out;
			}
			if (!set_flag(o, key, v, why, n))
				goto out;
		}
	} else {
		fail(why, n, 0, "a disk is a string \"PATH[,options]\" or an"
		     " object");
		goto out;
	}
	for (i = 0; i < 3; i++)
		if (!json_object_get(o, flags[i]))
			json_object_set_new(o, flags[i], json_false());
	if ((e = disk_check(o, why, n)))
		goto out;
	*ret = o;
	return 0;
out:
	json_decref(o);
	return -EINVAL;
}

/* PROTO:HADDR:HPORT-[GADDR]:GPORT, the host address an IPv4 literal. */
static bool hostfwd_ok(const char *s, char *why, size_t n)
{
	char proto[8], haddr[32], gaddr[32];
	unsigned hport, gport;
	struct in_addr a;
	int used = 0;

	if (strchr(s, ':') && strchr(s, ':')[1] == ':') {
		fail(why, n, 0, "hostfwd '%s': addresses are IPv4 literals"
		     " and the host's may not be left out (127.0.0.1 keeps"
		     " the port on this host)", s);
		return false;
	}
	if (strlen(s) > 80 ||
	    sscanf(s, "%7[a-z]:%31[0-9.]:%5u-%31[0-9.]:%5u%n", proto, haddr,
		   &hport, gaddr, &gport, &used) != 5 || s[used]) {
		gaddr[0] = '\0';
		used = 0;
		if (strlen(s) > 80 ||
		    sscanf(s, "%7[a-z]:%31[0-9.]:%5u-:%5u%n", proto, haddr,
			   &hport, &gport, &used) != 4 || s[used]) {
			fail(why, n, 0, "hostfwd '%s': say PROTO:HOSTADDR:"
			     "PORT-[GUESTADDR]:PORT, e.g. "
			     "tcp:127.0.0.1:2222-:22", s);
			return false;
		}
	}
	if (strcmp(proto, "tcp") && strcmp(proto, "udp")) {
		fail(why, n, 0, "hostfwd '%s': the protocol is tcp or udp", s);
		return false;
	}
	if (inet_pton(AF_INET, haddr, &a) != 1 ||
	    (gaddr[0] && inet_pton(AF_INET, gaddr, &a) != 1)) {
		fail(why, n, 0, "hostfwd '%s': addresses are IPv4 literals"
		     " (the host's may not be left out: 127.0.0.1 keeps the"
		     " port on this host)", s);
		return false;
	}
	if (hport < 1024 || hport > 65535 || gport < 1 || gport > 65535) {
		fail(why, n, 0, "hostfwd '%s': the host port is 1024-65535"
		     " (QEMU runs unprivileged), the guest's 1-65535", s);
		return false;
	}
	return true;
}

static bool mac_ok(const char *s)
{
	unsigned b[6];
	int used = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &used) != 6 || s[used] ||
	    strlen(s) != 17)
		return false;
	return !(b[0] & 1) && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]);
}

static json_t *make_mac(void)
{
	unsigned char r[3];
	char mac[18];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return NULL;
	/* QEMU's own OUI for guests, as libvirt and QEMU use it */
	snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:%02x", r[0], r[1], r[2]);
	return json_string(mac);
}

static int add_hostfwd(json_t *fwd, const char *s, char *why, size_t n)
{
	if (json_array_size(fwd) >= HOSTFWD_MAX)
		return fail(why, n, -EINVAL, "network card: at most %d"
			    " hostfwd rules", HOSTFWD_MAX);
	if (!hostfwd_ok(s, why, n))
		return -EINVAL;
	json_array_append_new(fwd, json_string(s));
	return 0;
}

/* An interface name the kernel takes: 1-15 bytes, no '/', ':' or space,
 * not "." or "..". */
static bool ifname_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == '/' || *s == ':' || *s >= 0x7f)
			return false;
	return true;
}

/* tap: a bridge and nothing of user mode; user: no bridge. */
static int tap_check(json_t *o, bool tap, char *why, size_t n)
{
	const char *br = json_string_value(json_object_get(o, "bridge"));

	if (!tap) {
		if (br)
			return fail(why, n, -EINVAL, "network card: bridge="
				    " goes with tap mode only");
		return 0;
	}
	if (!br)
		return fail(why, n, -EINVAL, "network card: tap mode needs"
			    " bridge=NAME (an existing Linux bridge)");
	if (!ifname_ok(br))
		return fail(why, n, -EINVAL, "network card: bridge '%s' is not"
			    " an interface name (1-%d bytes, no '/', ':' or"
			    " spaces)", br, IFNAMSIZ - 1);
	if (json_array_size(json_object_get(o, "hostfwd")) ||
	    json_object_get(o, "restrict"))
		return fail(why, n, -EINVAL, "network card: hostfwd and"
			    " restrict go with user mode only (a tap card is"
			    " on the bridge's network)");
	return 0;
}

int dev_nic_parse(json_t *in, json_t **ret, char *why, size_t n)
{
	json_t *o = json_object(), *fwd = json_array(), *v, *m;
	const char *s, *key, *mode = NULL;
	char item[128];
	size_t i;
	int e = -EINVAL;

	json_object_set_new(o, "hostfwd", fwd);
	if (json_is_string(in)) {
		if (empty_item(json_string_value(in), "network card", why, n))
			goto out;
		s = next_item(json_string_value(in), item, sizeof(item));
		json_object_set_new(o, "mode", json_string(item));
		while (*s) {
			s = next_item(s, item, sizeof(item));
			if (!strncmp(item, "hostfwd=", 8)) {
				if ((e = add_hostfwd(fwd, item + 8, why, n)))
					goto out;
			} else if (!strcmp(item, "restrict")) {
				json_object_set_new(o, "restrict", json_true());
			} else if (!strncmp(item, "mac=", 4)) {
				json_object_set_new(o, "mac",
						    json_string(item + 4));
			} else if (!strncmp(item, "bridge=", 7)) {
				json_object_set_new(o, "bridge",
						    json_string(item + 7));
			} else {
				e = fail(why, n, -EINVAL, "network card:"
					 " unknown option '%s'; say hostfwd=,"
					 " restrict, mac= or bridge=", item);
				goto out;
			}
		}
	} else if (json_is_object(in)) {
		json_object_foreach(in, key, v) {
			if (!strcmp(key, "hostfwd")) {
				if (!json_is_array(v)) {
					e = fail(why, n, -EINVAL, "network"
						 " card: hostfwd is an array"
						 " of strings");
					goto out;
				}
				json_array_foreach(v, i, m)
					if (!json_is_string(m) ||
					    (e = add_hostfwd(fwd,
						json_string_value(m), why, n))) {
						if (!json_is_string(m))
							e = fail(why, n, -EINVAL,
								 "network card:"
								 " hostfwd holds"
								 " strings");
						goto out;
					}
			} else if (!strcmp(key, "restrict")) {
				if (!json_is_boolean(v)) {
					e = fail(why, n, -EINVAL, "network"
						 " card: restrict must be true"
						 " or false");
					goto out;
				}
				json_object_set(o, key, v);
			} else if (!strcmp(key, "mode") || !strcmp(key, "mac") ||
				   !strcmp(key, "bridge")) {
				if (!json_is_string(v)) {
					e = fail(why, n, -EINVAL, "network"
						 " card: %s must be a string",
						 key);
					goto out;
				}
				json_object_set(o, key, v);
			} else {
				e = fail(why, n, -EINVAL, "network card:"
					 " unknown key '%s'", key);
				goto out;
			}
		}
	} else {
		e = fail(why, n, -EINVAL, "a network card is a string"
			 " \"user[,hostfwd=...]\" or an object");
		goto out;
	}
	mode = json_string_value(json_object_get(o, "mode"));
	if (!mode || (strcmp(mode, "user") && strcmp(mode, "tap"))) {
		e = fail(why, n, -EINVAL, "network card: mode must be user or"
			 " tap (%s)", mode ? mode : "none given");
		goto out;
	}
	if ((e = tap_check(o, !strcmp(mode, "tap"), why, n)))
		goto out;
	if (!json_object_get(o, "restrict") && !strcmp(mode, "user"))
		json_object_set_new(o, "restrict", json_false());
	v = json_object_get(o, "mac");
	if (v && !mac_ok(json_string_value(v))) {
		e = fail(why, n, -EINVAL, "network card: mac '%s' is not a"
			 " unicast address like 52:54:00:12:34:56",
			 json_string_value(v));
		goto out;
	}
	if (!v) {
		if (!(v = make_mac())) {
			e = fail(why, n, -EIO, "no random numbers for a MAC");
			goto out;
		}
		json_object_set_new(o, "mac", v);
	}
	*ret = o;
	return 0;
out:
	json_decref(o);
	return e;
}

bool dev_needs_host_net(const json_t *nics)
{
	const json_t *v;
	size_t i;

	/* user mode opens host sockets; a tap's descriptor works anywhere */
	json_array_foreach(nics, i, v) {
		const char *m = json_string_value(json_object_get(v, "mode"));

		if (!m || !strcmp(m, "user"))
			return true;
	}
	return false;
}

/* --- images --------------------------------------------------------------- */

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int dev_image_probe(int fd, struct dev_image *ret, char *why, size_t n)
{
	unsigned char h[72];
	struct stat st;
	uint64_t size;
	ssize_t got;

	memset(ret, 0, sizeof(*ret));
	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size))
			return -errno;
	} else {
		return fail(why, n, -EINVAL, "not a regular file or a block"
			    " device");
	}
	got = pread(fd, h, sizeof(h), 0);
	if (got < 0)
		return -errno;
	if (got >= 4 && !memcmp(h, "QFI\xfb", 4)) {
		/* the qcow2 header (QEMU's docs/interop/qcow2.txt) */
		if (got < 72)
			return fail(why, n, -EINVAL, "a truncated qcow2"
				    " header");
		if (be32(h + 4) != 2 && be32(h + 4) != 3)
			return fail(why, n, -EINVAL, "qcow2 version %u (2 or"
				    " 3 are known)", be32(h + 4));
		ret->format = "qcow2";
		ret->backing = be64(h + 8) != 0;
		ret->size = be64(h + 24);
		ret->encrypted = be32(h + 32) != 0;
	} else {
		ret->format = "raw";
		ret->size = size;
	}
	if (ret->size < 512)
		return fail(why, n, -EINVAL, "an image smaller than one"
			    " sector (%llu bytes)",
			    (unsigned long long)ret->size);
	return 0;
}

/* Keeps the last n - 1 bytes of what is appended, NUL-terminated. */
static void tail_add(char *tail, size_t n, const char *p, size_t len)
{
	size_t have = strlen(tail);

	if (len >= n - 1) {
		memcpy(tail, p + len - (n - 1), n - 1);
		tail[n - 1] = '\0';
		return;
	}
	if (have + len > n - 1) {
		memmove(tail, tail + (have + len - (n - 1)), n - 1 - len);
		have = n - 1 - len;
	}
	memcpy(tail + have, p, len);
	tail[have + len] = '\0';
}

/*
 * Runs qemu-img with argv (argv[0] ignored), fd (if >= 0) as its fd 3;
 * the first outn - 1 bytes of its output (stdout and stderr) in out, the
 * last tailn - 1 in tail (if not NULL): all of it is read, however long.
 * Its exit status (256 for a signal), or a negative errno with why.
 */
static int run_img(char **argv, int fd, char *out, size_t outn, char *tail,
		   size_t tailn, char *why, size_t n)
{
	char *bin = jail_which("qemu-img"), buf[4096];
	int p[2], st = 0, e = 0;
	size_t got = 0;
	ssize_t k;
	pid_t pid;

	out[0] = '\0';
	if (tail)
		tail[0] = '\0';
	if (!bin)
		return fail(why, n, -ENOENT, "qemu-img is not in PATH (Debian"
			    " package qemu-utils)");
	if (pipe2(p, O_CLOEXEC)) {
		e = fail(why, n, -errno, "pipe: %s", strerror(errno));
		free(bin);
		return e;
	}
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (fd == 3)
			fcntl(3, F_SETFD, 0);
		else if (fd >= 0)
			dup2(fd, 3);	/* without O_CLOEXEC */
		argv[0] = bin;
		execv(bin, argv);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && ((k = read(p[0], buf, sizeof(buf) - 1)) > 0 ||
			   (k < 0 && errno == EINTR))) {
		if (k <= 0)
			continue;
		if (got < outn - 1) {
			size_t take = (size_t)k < outn - 1 - got ? (size_t)k :
				      outn - 1 - got;

			memcpy(out + got, buf, take);
			got += take;
		}
		if (tail)
			tail_add(tail, tailn, buf, (size_t)k);
	}
	close(p[0]);
	out[got] = '\0';
	if (pid < 0)
		e = fail(why, n, -errno, "fork: %s", strerror(errno));
	else
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR) {
				e = fail(why, n, -errno, "waitpid: %s",
					 strerror(errno));
				break;
			}
	free(bin);
	if (e)
		return e;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 256;
}

/* Runs qemu-img with argv (argv[0] ignored); its first error line in why. */
static int qemu_img(char **argv, char *why, size_t n)
{
	char out[512];
	int st = run_img(argv, -1, out, sizeof(out), NULL, 0, why, n);

	if (st < 0)
		return st;
	out[strcspn(out, "\n")] = '\0';
	if (st)
		return fail(why, n, -EIO, "qemu-img: %s", *out ? out :
			    "failed");
	return 0;
}

/* qemu-img check's arguments: the image open as fd 3, read-only, its
 * backing file left alone, QEMU's lock not taken. */
static const char *const check_args[] = { "check", "-U", "--output=json",
	"json:{\"driver\":\"qcow2\",\"backing\":null,\"file\":"
	"{\"driver\":\"file\",\"filename\":\"/dev/fd/3\"}}", NULL };

/*
 * What qemu-img check of path says, from its exit status st (256: a
 * signal), the start (out) and the end (tail) of its output: 0 if the
 * image is sound or only leaks clusters (harmless), else -EINVAL with why
 * naming what is wrong.
 */
static int check_verdict(int st, char *out, const char *tail,
			 const char *path, char *why, size_t n)
{
	json_t *j;
	long long bad = -1;

	if (st == 0 || st == 3)	/* 3: leaked clusters only */
		return 0;
	/* the JSON report comes last, after any ERROR lines on stderr */
	if (st == 2 && (j = json_loads(strstr(tail, "{\n") ?: tail, 0,
				      NULL))) {
		bad = json_integer_value(json_object_get(j, "corruptions"));
		json_decref(j);
	}
	if (bad > 0)
		return fail(why, n, -EINVAL, "disk %s: qemu-img check finds"
			    " %lld corruption%s: the image is damaged (repair"
			    " a copy with qemu-img check -r all, or restore"
			    " it)", path, bad, bad == 1 ? "" : "s");
	out[strcspn(out, "\n")] = '\0';
	return fail(why, n, -EINVAL, "disk %s: qemu-img check cannot check"
		    " it (status %d): %s", path, st, *out ? out : "no output");
}

/* A new qcow2 file over a base of format fmt and size bytes, mode 0600. */
static int make_overlay(const char *out, const char *base, const char *fmt,
			uint64_t size, char *why, size_t n)
{
	char sz[32], *argv[] = { NULL, "create", "-q", "-f", "qcow2", "-u",
				 "-F", (char *)fmt, "-b", (char *)base,
				 (char *)out, sz, NULL };
	mode_t old;
	int e;

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	unlink(out);
	old = umask(077);
	e = qemu_img(argv, why, n);
	umask(old);
	return e;
}

/* STATE_DIR/disks, verged's own (0700): overlays live there. */
static int disks_dir(const char *state_dir, char *why, size_t n)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/disks", state_dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail(why, n, -errno, "%s: %s", dir, strerror(errno));
	return 0;
}

static char *overlay_path(const char *dir, const char *uuid, size_t i,
			  const char *kind)
{
	char *p;

	if (asprintf(&p, "%s/disks/%s-%zu%s.qcow2", dir, uuid, i, kind) < 0)
		return NULL;
	return p;
}

void dev_disks_remove_files(json_t *disks, size_t from)
{
	json_t *d;
	size_t i;

	json_array_foreach(disks, i, d) {
		const char *p = json_string_value(json_object_get(d,
							"overlay_path"));

		if (i >= from && p && unlink(p) && errno != ENOENT)
			log_err("%s: %s", p, strerror(errno));
	}
}

int dev_disks_prepare(json_t *disks, size_t from, const char *state_dir,
		      const char *uuid, uid_t uid, gid_t gid,
		      const gid_t *groups, int ngroups, char *why, size_t n)
{
	struct dev_image im;
	char sub[256];
	json_t *d;
	size_t i;
	struct as_caller who = { uid, gid, groups, ngroups };
	int fd, e = 0;

	json_array_foreach(disks, i, d) {
		const char *path = json_string_value(json_object_get(d, "path"));
		const char *fmt = json_string_value(json_object_get(d,
							"format"));
		bool rw = !json_is_true(json_object_get(d, "readonly")) &&
			  !json_is_true(json_object_get(d, "snapshot")) &&
			  !json_is_true(json_object_get(d, "overlay"));

		if (i < from)
			continue;
		e = as_caller_open(&who, path, rw ? O_RDWR : O_RDONLY, &fd);
		if (e) {
			e = fail(why, n, e, "disk %s: %s for uid %u%s", path,
				 strerror(-e), (unsigned)uid, rw &&
				 (e == -EACCES || e == -EPERM ||
				  e == -EROFS) ?
				 " (read and write: add ,readonly, ,snapshot"
				 " or ,overlay to leave it unchanged)" : "");
			goto out;
		}
		e = dev_image_probe(fd, &im, sub, sizeof(sub));
		close(fd);
		if (e) {
			if (e != -EINVAL)
				snprintf(sub, sizeof(sub), "%s", strerror(-e));
			e = fail(why, n, -EINVAL, "disk %s: %s", path, sub);
			goto out;
		}
		if (fmt && strcmp(fmt, im.format)) {
			e = fail(why, n, -EINVAL, "disk %s: it is a %s image,"
				 " not %s", path, im.format, fmt);
			goto out;
		}
		if (im.backing || im.encrypted) {
			e = fail(why, n, -EINVAL, "disk %s: a qcow2 image with"
				 " %s is not accepted (verged opens every file"
				 " a VM uses itself); give its base with"
				 " ,overlay", path, im.backing ?
				 "a backing file" : "encryption");
			goto out;
		}
		json_object_set_new(d, "format", json_string(im.format));
		json_object_set_new(d, "size", json_integer((json_int_t)im.size));
		if (json_is_true(json_object_get(d, "overlay"))) {
			char *ov = overlay_path(state_dir, uuid, i, "");

			if (!ov || (e = disks_dir(state_dir, why, n))) {
				if (!ov)
					e = fail(why, n, -ENOMEM, "out of"
						 " memory");
				free(ov);
				goto out;
			}
			e = make_overlay(ov, path, im.format, im.size, why, n);
			if (!e)
				json_object_set_new(d, "overlay_path",
						    json_string(ov));
			free(ov);
			if (e)
				goto out;
		}
	}
	return 0;
out:
	dev_disks_remove_files(disks, from);
	return e;
}

/* --- tap devices ---------------------------------------------------------- */

static bool is_tap(const json_t *nic)
{
	const char *mode = json_string_value(json_object_get(nic, "mode"));

	return mode && !strcmp(mode, "tap");
}

/*
 * Is br a bridge in verged's network namespace? 0, -ENODEV (no such
 * interface), -EINVAL (one that is no bridge) or -errno. Asked of the
 * kernel through a socket (ethtool's driver name): /sys/class/net shows
 * the namespace of whoever mounted /sys, not necessarily verged's.
 */
static int bridge_state(const char *br)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int s, e = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", br);
	ifr.ifr_data = (void *)&info;
	if (ioctl(s, SIOCETHTOOL, &ifr))
		e = errno == EOPNOTSUPP ? -EINVAL : -errno;
	else if (strcmp(info.driver, "bridge"))
		e = -EINVAL;
	close(s);
	return e;
}

static int bridge_check(const char *br, char *why, size_t n)
{
	int e = bridge_state(br);

	if (e == -ENODEV)
		return fail(why, n, -ENOENT, "network card: bridge '%s' does"
			    " not exist in verged's network namespace; create"
			    " it first, e.g. ip link add %s type bridge", br,
			    br);
	if (e == -EINVAL)
		return fail(why, n, -EINVAL, "network card: '%s' is not a"
			    " Linux bridge", br);
	if (e)
		return fail(why, n, e, "network card: bridge '%s': %s", br,
			    strerror(-e));
	return 0;
}

int dev_nics_check(const json_t *nics, size_t from, char *why, size_t n)
{
	const json_t *v;
	size_t i;
	int e;

	json_array_foreach(nics, i, v) {
		const char *br = json_string_value(json_object_get(v,
							"bridge"));

		if (i < from || !is_tap(v))
			continue;
		if (geteuid() != 0)
			return fail(why, n, -EPERM, "network card: tap mode"
				    " needs verged to run as root (it creates"
				    " the tap device and puts it on %s)", br);
		if ((e = bridge_check(br, why, n)))
			return e;
	}
	return 0;
}

/*
 * vg<jail uid>n<card>: the jail's uid ([jail] uid_base + the VM's id)
 * rather than the id alone, so two verged in one network namespace, whose
 * jails must not share uids anyway, do not pick the same name; a name
 * that is taken all the same is refused by tap_open() (IFF_TUN_EXCL).
 */
void dev_tap_name(const struct vm *vm, size_t i, char *buf, size_t n)
{
	/* at most 2000000000 + 1000000 and i < DEV_NICS_MAX: 13 < IFNAMSIZ */
	if (snprintf(buf, n, "vg%lun%zu", (unsigned long)jail_uid(vm), i) >=
	    (int)n)
		log_err("%s: tap name vg%lun%zu is too long", vm->def.name,
			(unsigned long)jail_uid(vm), i);
}

/*
 * A tap device named name on bridge br, up; its descriptor (the device
 * lives as long as a descriptor does: it goes when QEMU exits).
 */
static int tap_open(const char *name, const char *br, char *why, size_t n)
{
	struct ifreq ifr;
	int fd, s = -1, e = 0, idx;

	if ((e = bridge_check(br, why, n)))
		return e;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(why, n, -errno, "network card: /dev/net/tun: %s",
			    strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	/* IFF_TUN_EXCL: never attach to a device of that name that is
	 * already there (a persistent tap of someone else's, or another
	 * verged's with the same [jail] uid_base): refuse instead.
	 * ifr_flags is a short and IFF_TUN_EXCL is 0x8000: the bits as
	 * they are. */
	ifr.ifr_flags = (short)(uint16_t)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
					  IFF_TUN_EXCL);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		if (errno == EBUSY)
			e = fail(why, n, -EEXIST, "network card: tap %s:"
				 " a network device of that name already"
				 " exists in verged's network namespace"
				 " (another verged with the same [jail]"
				 " uid_base, or made by hand); give each"
				 " verged its own uid_base", name);
		else
			e = fail(why, n, -errno, "network card: tap %s: %s",
				 name, strerror(errno));
		goto out;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFINDEX, &ifr)) {
		e = fail(why, n, -errno, "network card: tap %s: %s", name,
			 strerror(errno));
		goto out;
	}
	idx = ifr.ifr_ifindex;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", br);
	ifr.ifr_ifindex = idx;
	if (ioctl(s, SIOCBRADDIF, &ifr)) {
		e = fail(why, n, -errno, "network card: tap %s onto bridge"
			 " %s: %s", name, br, strerror(errno));
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr)))
		e = fail(why, n, -errno, "network card: tap %s up: %s", name,
			 strerror(errno));
out:
	if (s >= 0)
		close(s);
	if (e) {
		close(fd);	/* not persistent: the device goes with it */
		return e;
	}
	return fd;
}

/* --- a start -------------------------------------------------------------- */

static int disk_fd_count(const json_t *disks)
{
	const json_t *d;
	size_t i;
	int n = 0;

	json_array_foreach(disks, i, d)
		n += 1 + (json_is_true(json_object_get(d, "snapshot")) ||
			  json_object_get(d, "overlay_path") != NULL);
	return n;
}

int dev_fd_count(const json_t *disks, const json_t *nics)
{
	const json_t *v;
	size_t i;
	int n = disk_fd_count(disks);

	json_array_foreach(nics, i, v)
		n += is_tap(v);
	return n;
}

/* QEMU's image locks (its block/file-posix.c): a process holds a read
 * lock on byte 100 + P for each permission P it uses, and on 200 + P for
 * each it does not share; P 1 is "write". */
#define QEMU_LOCK_PERM		100
#define QEMU_LOCK_SHARED	200
#define QEMU_PERM_WRITE		1

static bool byte_locked(int fd, off_t at)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = at, .l_len = 1 };

	return !fcntl(fd, F_OFD_GETLK, &fl) && fl.l_type != F_UNLCK;
}

/* Does a disk of d, given as path with mode rw, share its file with st? */
static bool same_file(const json_t *d, const struct stat *st, bool *ret_rw)
{
	const char *path = json_string_value(json_object_get(d, "path"));
	struct stat o;

	if (!path || stat(path, &o) || o.st_dev != st->st_dev ||
	    o.st_ino != st->st_ino)
		return false;
	*ret_rw = !json_is_true(json_object_get(d, "readonly")) &&
		  !json_is_true(json_object_get(d, "snapshot")) &&
		  !json_object_get(d, "overlay_path");
	return true;
}

/*
 * May this VM open the image fd (path) as rw says? Not while another VM
 * of this verged that runs writes it, or reads it while this one would
 * write; nor while another process holds QEMU's lock against it (a VM
 * of another verged, a qemu-img at work).
 */
static int check_holders(const struct vm *self, int fd, const char *path,
			 bool rw, char *why, size_t n)
{
	const struct vm *vm;
	const json_t *d;
	struct stat st;
	bool orw;
	size_t i;

	if (fstat(fd, &st))
		return fail(why, n, -errno, "disk %s: %s", path,
			    strerror(errno));
	for (vm = self->d->vms; vm; vm = vm->next) {
		if (vm == self || !vm_is_active(vm))
			continue;
		json_array_foreach(vm->disks, i, d)
			if (same_file(d, &st, &orw) && (rw || orw))
				return fail(why, n, -EBUSY, "disk %s: VM '%s',"
					    " which is %s, has it %s; an image"
					    " another VM writes can be used by"
					    " no other", path, vm->def.name,
					    vm_state_name(vm->state), orw ?
					    "read-write" : "open");
	}
	if (byte_locked(fd, QEMU_LOCK_PERM + QEMU_PERM_WRITE) ||
	    (rw && byte_locked(fd, QEMU_LOCK_SHARED + QEMU_PERM_WRITE)))
		return fail(why, n, -EBUSY, "disk %s: another process holds"
			    " QEMU's lock on it (%s): a VM of another verged,"
			    " or qemu-img, uses it", path, rw ?
			    "it has the image open and does not share"
			    " writing" : "it writes the image");
	return 0;
}

void dev_close_all(struct dev_fds *fds)
{
	for (int i = 0; i < fds->n; i++)
		if (fds->fd[i] >= 0)
			close(fds->fd[i]);
	fds->n = 0;
	for (int i = 0; i < fds->ncheck; i++)
		free(fds->check_path[i]);
	fds->ncheck = 0;
}

/* The descriptor last opened (of path) is a qcow2 image to check. */
static int note_check(struct dev_fds *fds, const char *path, char *why,
		      size_t n)
{
	char *p = strdup(path);

	if (!p)
		return fail(why, n, -ENOMEM, "out of memory");
	fds->check[fds->ncheck] = fds->n - 1;
	fds->check_path[fds->ncheck++] = p;
	return 0;
}

int dev_open_all(const struct vm *vm, struct dev_fds *fds, char *why,
		 size_t n)
{
	gid_t groups[JAIL_GROUPS_MAX];
	const struct vm_record *r = &vm->def;
	int ng = jail_groups_parse(r->owner_groups, groups, JAIL_GROUPS_MAX);
	struct dev_image im;
	char sub[256];
	struct as_caller who = { (uid_t)r->owner_uid, (gid_t)r->owner_gid,
				  groups, ng };
	json_t *d;
	size_t i;
	int fd, e;

	fds->n = fds->ncheck = 0;
	if (ng < 0)
		return fail(why, n, -EINVAL, "the owner's groups are unreadable");
	json_array_foreach(vm->disks, i, d) {
		const char *path = json_string_value(json_object_get(d, "path"));
		const char *fmt = json_string_value(json_object_get(d, "format"));
		const char *ov = json_string_value(json_object_get(d,
							"overlay_path"));
		bool snap = json_is_true(json_object_get(d, "snapshot"));
		bool rw = !json_is_true(json_object_get(d, "readonly")) &&
			  !snap && !ov;

		e = as_caller_open(&who, path, rw ? O_RDWR : O_RDONLY, &fd);
		if (e) {
			e = fail(why, n, e, "disk %s: %s for uid %lld, who"
				 " defined the VM", path, strerror(-e),
				 (long long)r->owner_uid);
			goto fail;
		}
		fds->fd[fds->n++] = fd;
		if ((e = check_holders(vm, fd, path, rw, why, n)))
			goto fail;
		/* The format is the one fixed at define and QEMU is told it:
		 * a raw disk is never probed again, so whatever its guest
		 * wrote (a qcow2 header naming /etc/shadow, say) stays data.
		 * A qcow2 image must still be one, for a clear error. */
		e = dev_image_probe(fd, &im, sub, sizeof(sub));
		if (e && e != -EINVAL)
			snprintf(sub, sizeof(sub), "%s", strerror(-e));
		if (e || (!strcmp(fmt, "qcow2") && strcmp(im.format, fmt))) {
			e = fail(why, n, -EINVAL, "disk %s: %s", path, e ? sub :
				 "no longer a qcow2 image");
			goto fail;
		}
		if (!strcmp(fmt, "qcow2") && (e = note_check(fds, path, why,
							     n)))
			goto fail;
		if (snap) {	/* a fresh overlay for this run */
			char *p = overlay_path(vm->d->cfg.state_dir,
					       r->uuid, i, "-snapshot");

			if (!p || (e = disks_dir(vm->d->cfg.state_dir, why,
						 n))) {
				if (!p)
					e = fail(why, n, -ENOMEM, "out of"
						 " memory");
				free(p);
				goto fail;
			}
			e = make_overlay(p, path, fmt, im.size, why, n);
			fd = e ? -1 : open(p, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 && !e)
				e = fail(why, n, -errno, "%s: %s", p,
					 strerror(errno));
			unlink(p);	/* QEMU holds it; nothing to clean */
			free(p);
			if (e)
				goto fail;
			fds->fd[fds->n++] = fd;
		} else if (ov) {
			fd = open(ov, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				e = fail(why, n, -errno, "disk %s: its overlay"
					 " %s: %s", path, ov, strerror(errno));
				goto fail;
			}
			fds->fd[fds->n++] = fd;
			if ((e = check_holders(vm, fd, ov, true, why, n)) ||
			    (e = note_check(fds, ov, why, n)))
				goto fail;
		}
	}
	json_array_foreach(vm->nics, i, d) {
		char name[IFNAMSIZ];

		if (!is_tap(d))
			continue;
		dev_tap_name(vm, i, name, sizeof(name));
		fd = tap_open(name, json_string_value(json_object_get(d,
					"bridge")), why, n);
		if (fd < 0) {
			e = fd;
			goto fail;
		}
		fds->fd[fds->n++] = fd;
		log_info("%s: tap %s on bridge %s", vm->def.name, name,
			 json_string_value(json_object_get(d, "bridge")));
	}
	return 0;
fail:
	dev_close_all(fds);
	return e;
}

/* --- qemu-img check, off the loop ---------------------------------------- */

/*
 * One qemu-img check child: its process and the read end of the pipe that
 * is its stdout and stderr. It outlives its dev_check when that is
 * cancelled (chk NULL): the child is killed and reaped all the same.
 */
struct check_run {
	struct dev_check *chk;
	uv_process_t proc;
	uv_pipe_t out;
	int open;		/* handles not yet closed */
	bool exited, eof;
	int status;		/* exit status, 256 for a signal */
	size_t got;
	char head[512], tail[4096];
};

struct dev_check {
	struct vm *vm;
	struct dev_fds fds;
	dev_check_cb done;
	int next;		/* fds.check[next]: the image under check */
	struct check_run *run;
};

static void run_closed(uv_handle_t *h)
{
	struct check_run *r = h->data;

	if (--r->open == 0)
		free(r);
}

static void run_close(struct check_run *r)
{
	if (!uv_is_closing((uv_handle_t *)&r->out))
		uv_close((uv_handle_t *)&r->out, run_closed);
	if (r->exited && !uv_is_closing((uv_handle_t *)&r->proc))
		uv_close((uv_handle_t *)&r->proc, run_closed);
}

static int check_next(struct dev_check *k, char *why, size_t n);

/* Ends the check: done is told, with the descriptors. */
static void check_end(struct dev_check *k, int e, const char *why)
{
	struct vm *vm = k->vm;
	struct dev_fds fds = k->fds;
	dev_check_cb done = k->done;

	vm->checking = NULL;
	free(k);
	done(vm, &fds, e, why);
}

/* The child of r exited and its output is all read: the verdict. */
static void run_done(struct check_run *r)
{
	struct dev_check *k = r->chk;
	char why[1024];
	int e;

	run_close(r);
	if (!k)
		return;
	k->run = NULL;
	e = check_verdict(r->status, r->head, r->tail,
			  k->fds.check_path[k->next], why, sizeof(why));
	if (!e) {
		k->next++;
		e = check_next(k, why, sizeof(why));
		if (e == 1)
			return;		/* the next image */
	}
	check_end(k, e, why);
}

static void run_exit(uv_process_t *p, int64_t status, int sig)
{
	struct check_run *r = p->data;

	r->exited = true;
	r->status = sig ? 256 : (int)status;
	if (r->eof)
		run_done(r);
	else if (!r->chk)
		run_close(r);
}

static void run_alloc(uv_handle_t *h, size_t want, uv_buf_t *b)
{
	static char buf[4096];

	(void)h;
	(void)want;
	*b = uv_buf_init(buf, sizeof(buf));
}

static void run_read(uv_stream_t *s, ssize_t k, const uv_buf_t *b)
{
	struct check_run *r = s->data;

	if (k > 0) {
		if (r->got < sizeof(r->head) - 1) {
			size_t take = (size_t)k < sizeof(r->head) - 1 - r->got ?
				      (size_t)k : sizeof(r->head) - 1 - r->got;

			memcpy(r->head + r->got, b->base, take);
			r->got += take;
			r->head[r->got] = '\0';
		}
		tail_add(r->tail, sizeof(r->tail), b->base, (size_t)k);
		return;
	}
	if (k == 0)
		return;
	/* EOF, or an error: the child's output is over either way */
	uv_read_stop(s);
	r->eof = true;
	if (r->exited)
		run_done(r);
}

/* Starts qemu-img check of the image k->next: 1, or 0 when none is left,
 * or a negative errno with why. */
static int check_next(struct dev_check *k, char *why, size_t n)
{
	uv_loop_t *loop = k->vm->d->loop;
	struct check_run *r;
	uv_process_options_t o;
	uv_stdio_container_t io[4];
	char *bin, *argv[8];
	int p[2], e, i;

	if (k->next >= k->fds.ncheck)
		return 0;
	bin = jail_which("qemu-img");
	if (!bin)
		return fail(why, n, -ENOENT, "qemu-img is not in PATH (Debian"
			    " package qemu-utils)");
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(bin);
		return fail(why, n, -ENOMEM, "out of memory");
	}
	if (pipe2(p, O_CLOEXEC)) {
		e = fail(why, n, -errno, "pipe: %s", strerror(errno));
		free(r);
		free(bin);
		return e;
	}
	argv[0] = bin;
	for (i = 0; check_args[i]; i++)
		argv[i + 1] = (char *)check_args[i];
	argv[i + 1] = NULL;
	memset(&o, 0, sizeof(o));
	io[0].flags = UV_IGNORE;
	io[1].flags = io[2].flags = UV_INHERIT_FD;
	io[1].data.fd = io[2].data.fd = p[1];
	io[3].flags = UV_INHERIT_FD;
	io[3].data.fd = k->fds.fd[k->fds.check[k->next]];
	o.file = bin;
	o.args = argv;
	o.stdio = io;
	o.stdio_count = 4;
	o.exit_cb = run_exit;
	r->chk = k;
	r->proc.data = r->out.data = r;
	uv_pipe_init(loop, &r->out, 0);
	r->open = 2;
	e = uv_spawn(loop, &r->proc, &o);
	close(p[1]);
	free(bin);
	if (e) {
		/* a handle whose spawn failed must still be closed */
		close(p[0]);
		uv_close((uv_handle_t *)&r->proc, run_closed);
		uv_close((uv_handle_t *)&r->out, run_closed);
		return fail(why, n, e, "qemu-img: %s", uv_strerror(e));
	}
	if ((e = uv_pipe_open(&r->out, p[0])))
		close(p[0]);
	else
		e = uv_read_start((uv_stream_t *)&r->out, run_alloc, run_read);
	if (e) {	/* the child is killed, reaped by run_exit */
		r->chk = NULL;
		r->eof = true;
		uv_process_kill(&r->proc, SIGKILL);
		uv_close((uv_handle_t *)&r->out, run_closed);
		return fail(why, n, e, "qemu-img's output: %s",
			    uv_strerror(e));
	}
	k->run = r;
	return 1;
}

int dev_check_images(struct vm *vm, struct dev_fds *fds, dev_check_cb done,
		     char *why, size_t n)
{
	struct dev_check *k;
	int e;

	if (fds->ncheck == 0)
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k) {
		dev_close_all(fds);
		return fail(why, n, -ENOMEM, "out of memory");
	}
	k->vm = vm;
	k->fds = *fds;
	k->done = done;
	fds->n = fds->ncheck = 0;
	e = check_next(k, why, n);
	if (e < 0) {
		dev_close_all(&k->fds);
		free(k);
		return e;
	}
	vm->checking = k;
	return 1;
}

void dev_check_cancel(struct vm *vm)
{
	struct dev_check *k = vm->checking;
	struct check_run *r;

	if (!k)
		return;
	vm->checking = NULL;
	if ((r = k->run)) {
		r->chk = NULL;
		if (!r->exited)
			uv_process_kill(&r->proc, SIGKILL);
		if (!r->eof) {
			uv_read_stop((uv_stream_t *)&r->out);
			r->eof = true;
		}
		run_close(r);	/* the process handle once it is reaped */
	}
	dev_close_all(&k->fds);
	free(k);
}

/* --- QEMU's options ------------------------------------------------------- */

static int add_json(int (*add)(void *, const char *), void *ctx, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int e;

	json_decref(o);
	if (!s)
		return -ENOMEM;
	e = add(ctx, "-blockdev") ?: add(ctx, s);
	free(s);
	return e;
}

static int add_fmt(int (*add)(void *, const char *), void *ctx,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int add_fmt(int (*add)(void *, const char *), void *ctx,
		   const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return add(ctx, buf);
}

/* -add-fd of descriptor fd as set `set`, and a file node on it. */
static int add_file(int (*add)(void *, const char *), void *ctx, int fd,
		    int set, const char *node, bool ro)
{
	char fdset[32];

	snprintf(fdset, sizeof(fdset), "/dev/fdset/%d", set);
	return add(ctx, "-add-fd") ?:
	       add_fmt(add, ctx, "fd=%d,set=%d", fd, set) ?:
	       add_json(add, ctx, json_pack("{ss ss ss sb}", "driver", "file",
					    "node-name", node, "filename",
					    fdset, "read-only", ro));
}

/* A format node over a file node; qcow2 with no backing, or with one. */
static int add_format(int (*add)(void *, const char *), void *ctx,
		      const char *fmt, const char *node, const char *file,
		      bool ro, const char *backing)
{
	json_t *o = json_pack("{ss ss ss sb}", "driver", fmt, "node-name",
			      node, "file", file, "read-only", ro);

	if (!strcmp(fmt, "qcow2"))
		json_object_set_new(o, "backing", backing ?
				    json_string(backing) : json_null());
	return add_json(add, ctx, o);
}

int dev_qemu_args(const json_t *disks, const json_t *nics, int first_fd,
		  int (*add)(void *ctx, const char *arg), void *ctx)
{
	char node[32], file[40], base[40], ofile[40];
	int fd = first_fd, set = 1, e = 0;
	json_t *d;
	size_t i;

	json_array_foreach(disks, i, d) {
		const char *fmt = json_string_value(json_object_get(d, "format"));
		bool ro = json_is_true(json_object_get(d, "readonly"));
		bool upper = json_is_true(json_object_get(d, "snapshot")) ||
			     json_object_get(d, "overlay_path");

		snprintf(node, sizeof(node), "disk%zu", i);
		snprintf(file, sizeof(file), "disk%zu-file", i);
		snprintf(base, sizeof(base), "disk%zu-base", i);
		snprintf(ofile, sizeof(ofile), "disk%zu-overlay", i);
		e = add_file(add, ctx, fd++, set++, file, ro || upper) ?:
		    add_format(add, ctx, fmt, upper ? base : node, file,
			       ro || upper, NULL);
		if (!e && upper)
			e = add_file(add, ctx, fd++, set++, ofile, false) ?:
			    add_format(add, ctx, "qcow2", node, ofile, false,
				       base);
		if (!e)
			e = add(ctx, "-device") ?:
			    add_fmt(add, ctx, "virtio-blk-pci,drive=%s,id=%s",
				    node, node);
		if (e)
			return e;
	}
	json_array_foreach(nics, i, d) {
		const json_t *fwd = json_object_get(d, "hostfwd"), *f;
		char net[1600];
		size_t k, len;

		if (is_tap(d)) {	/* verged's tap device, fd after disks */
			e = add(ctx, "-netdev") ?:
			    add_fmt(add, ctx, "tap,id=net%zu,fd=%d", i, fd++);
			goto device;
		}
		/* restrict=on: the guest reaches neither the host (10.0.2.2
		 * is the host's loopback otherwise) nor beyond; only the
		 * forwarded ports come in */
		len = (size_t)snprintf(net, sizeof(net), "user,id=net%zu%s", i,
				       json_is_true(json_object_get(d,
				       "restrict")) ? ",restrict=on" : "");
		json_array_foreach(fwd, k, f)
			len += (size_t)snprintf(net + len, sizeof(net) - len,
						",hostfwd=%s",
						json_string_value(f));
		if (len >= sizeof(net))
			return -E2BIG;
		e = add(ctx, "-netdev") ?: add(ctx, net);
device:
		/* romfile=: no option ROM (verge-hv boots Linux directly) */
		e = e ?: add(ctx, "-device") ?:
		    add_fmt(add, ctx, "virtio-net-pci,netdev=net%zu,mac=%s,"
			    "romfile=", i, json_string_value(
				json_object_get(d, "mac")));
		if (e)
			return e;
	}
	return 0;
}
