#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int log_prefix;
static int log_verbose;

void log_init(int verbose)
{
	log_prefix = getenv("JOURNAL_STREAM") != NULL;
	log_verbose = verbose;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {
		[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning",
		[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
	};
	char line[1024];
	va_list ap;

	if (level == LOG_LVL_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_prefix)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "verged: %s: %s\n", names[level], line);
}
