/*
 * verged's one logging helper: lines on stderr, which systemd's journal
 * picks up. Under the journal (JOURNAL_STREAM set) each line starts with
 * its syslog priority ("<3>") so journalctl shows the right level.
 */
#ifndef VERGED_LOG_H
#define VERGED_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6,
		 LOG_LVL_DEBUG = 7 };

void log_init(int verbose);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#endif
