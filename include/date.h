/* date.h - the two date forms of the article format, and how they show. */
#ifndef XP_DATE_H
#define XP_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct xp_date {
	time_t instant;      /* the moment, UTC; a plain date is its midnight UTC */
	int year, month, day;/* the calendar date as the writer wrote it */
	bool has_time;
	char iso[26];        /* RFC 3339, e.g. 2026-03-14T09:30:00+01:00 */
};

/* Parses "YYYY-MM-DD" or an RFC 3339 date-time ("...T09:30:00Z",
 * "...T09:30:00.5+01:00").  Returns false for anything else, including
 * impossible dates such as 2026-02-30. */
bool date_parse(const char *text, struct xp_date *out);

/* "January" for 1 ... "December" for 12. */
const char *date_month_name(int month);

/* Writes "March 14, 2026" into OUT. */
void date_display(const struct xp_date *d, char *out, size_t size);

/* Writes the RFC 9110 HTTP-date of T ("Sat, 14 Mar 2026 09:30:00 GMT"). */
void date_http(time_t t, char *out, size_t size);

/* Parses an HTTP-date (IMF-fixdate only, as RFC 9110 says senders use);
 * returns (time_t)-1 when TEXT is not one. */
time_t date_http_parse(const char *text);

#endif
