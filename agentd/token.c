// SPDX-License-Identifier: Apache-2.0
/*
 * The REST token file (token.h). Created with O_EXCL and O_NOFOLLOW, so
 * a link planted at its path is never followed; read with O_NOFOLLOW.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "token.h"

/* RFC 6750's b64token */
#define TOKEN_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/="

static void base64url(const unsigned char *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				"qrstuvwxyz0123456789-_";
	unsigned v = 0, bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		v = (v << 8) | in[i];
		for (bits += 8; bits >= 6; bits -= 6)
			*out++ = a[(v >> (bits - 6)) & 63];
	}
	if (bits)
		*out++ = a[(v << (6 - bits)) & 63];
	*out = '\0';
}

static int create(const char *path, gid_t gid, bool has_group)
{
	unsigned char rnd[TOKEN_RANDOM_BYTES];
	char text[TOKEN_RANDOM_BYTES * 2];
	size_t len;
	int fd, err = 0;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	base64url(rnd, sizeof(rnd), text);
	memset(rnd, 0, sizeof(rnd));
	len = strlen(text);
	text[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0640);
	if (fd < 0)
		return -errno;
	if (has_group && fchown(fd, (uid_t)-1, gid))
		log_warn("rest: %s: chown to the socket's group: %s", path,
			 strerror(errno));
	if (fchmod(fd, 0640) || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd))
		err = errno ? -errno : -EIO;
	memset(text, 0, sizeof(text));
	close(fd);
	if (err) {
		unlink(path);
		return err;
	}
	log_info("rest: created the token file %s (mode 0640%s)", path,
		 has_group ? ", the socket's group" : "");
	return 0;
}

static int open_token(const char *path, gid_t gid, bool has_group)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;

	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	err = create(path, gid, has_group);
	if (err && err != -EEXIST)	/* EEXIST: another creator won */
		return err;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

int token_load(const char *path, gid_t gid, bool has_group,
	       char **ret_token)
{
	char buf[TOKEN_MAX + 2];
	struct stat sb;
	ssize_t n;
	int fd = open_token(path, gid, has_group), err = 0;

	if (fd < 0) {
		log_err("rest: token file %s: %s", path, strerror(-fd));
		return fd;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		log_err("rest: token file %s: not a regular file", path);
		err = -EINVAL;
	} else if (sb.st_mode & 0027) {
		log_err("rest: token file %s: mode %04o; it must not be"
			" writable by the group nor readable by others (chmod"
			" 0640)", path, (unsigned)(sb.st_mode & 07777));
		err = -EPERM;
	}
	n = err ? 0 : read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (err)
		return err;
	if (n < 0)
		return -EIO;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		     buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (!n || n > TOKEN_MAX || strspn(buf, TOKEN_CHARS) != (size_t)n) {
		log_err("rest: token file %s: expected 1-%d characters of"
			" a bearer token (RFC 6750 b64token)", path,
			TOKEN_MAX);
		err = -EINVAL;
	} else if (!(*ret_token = strdup(buf))) {
		err = -ENOMEM;
	}
	memset(buf, 0, sizeof(buf));
	return err;
}

bool token_equal(const char *want, const char *got)
{
	size_t i, n = strlen(want), gn = strnlen(got, TOKEN_MAX + 1);
	unsigned char diff = n != gn;

	/* every byte of want is compared, whatever got holds */
	for (i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^
			(unsigned char)got[i < gn ? i : 0];
	return !diff;
}
