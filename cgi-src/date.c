/* date.c - parse and show the dates articles carry. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "date.h"

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* Reads exactly N digits at *P and advances; false if any is not a digit. */
static bool
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool
expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int
days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

bool
date_parse(const char *text, struct xp_date *out)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, oh = 0, om = 0, sign = 0;
	char iso[64];
	struct tm tm;
	size_t n;

	if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !digits(&p, 2, &d))
		return false;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	memset(out, 0, sizeof(*out));
	if (*p != '\0') {
		if (*p != 'T' && *p != 't')
			return false;
		p++;
		if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) ||
		    !expect(&p, ':') || !digits(&p, 2, &s))
			return false;
		if (h > 23 || mi > 59 || s > 60)
			return false;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return false;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if (!digits(&p, 2, &oh) || !expect(&p, ':') ||
			    !digits(&p, 2, &om) || oh > 23 || om > 59)
				return false;
		} else {
			return false;
		}
		if (*p != '\0')
			return false;
		out->has_time = true;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s == 60 ? 59 : s;
	out->instant = timegm(&tm) - sign * (oh * 3600 + om * 60);
	out->year = y;
	out->month = mo;
	out->day = d;
	if (!out->has_time)
		snprintf(iso, sizeof(iso), "%04d-%02d-%02dT00:00:00Z", y, mo, d);
	else if (sign == 0)
		snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    y, mo, d, h, mi, s);
	else
		snprintf(iso, sizeof(iso),
		    "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi,
		    s, sign > 0 ? '+' : '-', oh, om);
	/* The fields were checked above, so it fits; out->iso is sized for
	 * exactly that, as every article keeps two dates. */
	if ((n = strlen(iso)) >= sizeof(out->iso))
		return false;
	memcpy(out->iso, iso, n + 1);
	return true;
}

const char *
date_month_name(int month)
{
	return month >= 1 && month <= 12 ? month_names[month - 1] : "?";
}

void
date_display(const struct xp_date *d, char *out, size_t size)
{
	snprintf(out, size, "%s %d, %d", month_names[d->month - 1], d->day,
	    d->year);
}

void
date_http(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

time_t
date_http_parse(const char *text)
{
	static const char *const wdays[7] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const char *p = text + 5;
	int d, y, h, mi, s, m = -1;
	bool wday_ok = false;
	struct tm tm;

	/* IMF-fixdate exactly: "Sun, 06 Nov 1994 08:49:37 GMT". */
	if (strlen(text) != 29 || text[3] != ',' || text[4] != ' ')
		return (time_t)-1;
	for (int i = 0; i < 7; i++)
		wday_ok |= strncmp(text, wdays[i], 3) == 0;
	if (!wday_ok || !digits(&p, 2, &d) || !expect(&p, ' '))
		return (time_t)-1;
	for (int i = 0; i < 12; i++)
		if (strncmp(p, mon[i], 3) == 0)
			m = i;
	p += 3;
	if (m < 0 || !expect(&p, ' ') || !digits(&p, 4, &y) ||
	    !expect(&p, ' ') || !digits(&p, 2, &h) || !expect(&p, ':') ||
	    !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &s) ||
	    strcmp(p, " GMT") != 0)
		return (time_t)-1;
	if (y < 1 || d < 1 || d > days_in_month(y, m + 1) || h > 23 ||
	    mi > 59 || s > 60)
		return (time_t)-1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mon = m;
	tm.tm_mday = d;
	tm.tm_year = y - 1900;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s == 60 ? 59 : s;
	return timegm(&tm);
}
