/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verged's one logging helper: lines on stderr, which systemd's journal
 * picks up. Under the journal (JOURNAL_STREAM set) each line starts with
 * its syslog priority ("<3>") so journalctl shows the right level.
 * A message is always one line that starts with verged's own prefix:
 * its text, which may quote a guest, is escaped (log_escape).
 */
#include <stddef.h>
#ifndef VERGED_LOG_H
#define VERGED_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6,
		 LOG_LVL_DEBUG = 7 };

void log_init(int verbose);
/*
 * Copies in to out (size bytes, NUL-terminated, cut at a whole escape)
 * with LF, CR and TAB as \n, \r, \t and every other C0 control, DEL, C1
 * control (in UTF-8: 0xc2 0x80-0x9f) and byte that is not UTF-8 as
 * \xNN, one per byte. 4 * strlen(in) + 1 bytes always suffice. Returns
 * the length written.
 */
size_t log_escape(const char *in, char *out, size_t size);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#endif
