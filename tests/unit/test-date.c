/* test-date.c - date_parse, date_display, date_http, date_http_parse. */
#include "unit.h"

#include "date.h"

struct parse_row {
	const char *text;
	bool ok;
	time_t instant;
	bool has_time;
	int year, month, day;
	const char *iso;
};

static const struct parse_row parse_rows[] = {
	/* plain dates are midnight UTC */
	{ "2026-03-14", true, 1773446400, false, 2026, 3, 14, "2026-03-14T00:00:00Z" },
	{ "1970-01-01", true, 0, false, 1970, 1, 1, "1970-01-01T00:00:00Z" },
	{ "2024-02-29", true, 1709164800, false, 2024, 2, 29, "2024-02-29T00:00:00Z" },
	{ "2000-02-29", true, 951782400, false, 2000, 2, 29, "2000-02-29T00:00:00Z" },
	{ "2026-12-31", true, 1798675200, false, 2026, 12, 31, "2026-12-31T00:00:00Z" },
	/* date-times */
	{ "2026-03-14T09:30:00Z", true, 1773480600, true, 2026, 3, 14, "2026-03-14T09:30:00Z" },
	{ "2026-03-14t09:30:00z", true, 1773480600, true, 2026, 3, 14, "2026-03-14T09:30:00Z" },
	{ "2026-03-14T09:30:00+01:00", true, 1773477000, true, 2026, 3, 14, "2026-03-14T09:30:00+01:00" },
	{ "2026-03-14T09:30:00-05:30", true, 1773500400, true, 2026, 3, 14, "2026-03-14T09:30:00-05:30" },
	{ "2026-03-14T09:30:00+00:00", true, 1773480600, true, 2026, 3, 14, "2026-03-14T09:30:00+00:00" },
	{ "2026-03-14T09:30:00.5Z", true, 1773480600, true, 2026, 3, 14, "2026-03-14T09:30:00Z" },
	{ "2026-03-14T09:30:00.123456789+01:00", true, 1773477000, true, 2026, 3, 14, "2026-03-14T09:30:00+01:00" },
	{ "2026-12-31T23:59:59Z", true, 1798761599, true, 2026, 12, 31, "2026-12-31T23:59:59Z" },
	/* the offset can move the instant into another UTC day and year */
	{ "2026-12-31T23:00:00-06:00", true, 1798779600, true, 2026, 12, 31, "2026-12-31T23:00:00-06:00" },
	{ "2026-03-14T00:00:00+14:00", true, 1773446400 - 14 * 3600, true, 2026, 3, 14, "2026-03-14T00:00:00+14:00" },

	/* impossible dates */
	{ "2026-02-29", false, 0, false, 0, 0, 0, NULL },
	{ "2026-02-30", false, 0, false, 0, 0, 0, NULL },
	{ "1900-02-29", false, 0, false, 0, 0, 0, NULL },
	{ "2026-04-31", false, 0, false, 0, 0, 0, NULL },
	{ "2026-13-01", false, 0, false, 0, 0, 0, NULL },
	{ "2026-00-10", false, 0, false, 0, 0, 0, NULL },
	{ "2026-01-00", false, 0, false, 0, 0, 0, NULL },
	{ "2026-01-32", false, 0, false, 0, 0, 0, NULL },
	{ "0000-01-01", false, 0, false, 0, 0, 0, NULL },
	/* wrong shapes */
	{ "", false, 0, false, 0, 0, 0, NULL },
	{ "26-03-14", false, 0, false, 0, 0, 0, NULL },
	{ "2026-3-14", false, 0, false, 0, 0, 0, NULL },
	{ "2026/03/14", false, 0, false, 0, 0, 0, NULL },
	{ "20260314", false, 0, false, 0, 0, 0, NULL },
	{ "March 14, 2026", false, 0, false, 0, 0, 0, NULL },
	{ " 2026-03-14", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14 ", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14x", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14 09:30:00Z", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30Z", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T9:30:00Z", false, 0, false, 0, 0, 0, NULL },
	/* hours, minutes, offsets out of range */
	{ "2026-03-14T24:00:00Z", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:60:00Z", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:61Z", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00+24:00", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00+01:60", false, 0, false, 0, 0, 0, NULL },
	/* missing or malformed offset */
	{ "2026-03-14T09:30:00", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00+0100", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00+01", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00 Z", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00UTC", false, 0, false, 0, 0, 0, NULL },
	/* fractions need a digit */
	{ "2026-03-14T09:30:00.Z", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00,5Z", false, 0, false, 0, 0, 0, NULL },
	/* trailing junk */
	{ "2026-03-14T09:30:00Zjunk", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00+01:00 ", false, 0, false, 0, 0, 0, NULL },
	{ "2026-03-14T09:30:00Z\n", false, 0, false, 0, 0, 0, NULL },
};

static void
test_parse_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(parse_rows); i++) {
		const struct parse_row *r = &parse_rows[i];
		struct xp_date d;
		bool ok;

		memset(&d, 0x5a, sizeof(d));
		d.iso[sizeof(d.iso) - 1] = '\0';
		ok = date_parse(r->text, &d);
		CHECK(ok == r->ok, "row %zu (\"%s\"): date_parse %s, want %s", i,
		    r->text, ok ? "accepted" : "rejected",
		    r->ok ? "accepted" : "rejected");
		if (!ok || !r->ok)
			continue;
		CHECK(d.instant == r->instant, "row %zu (\"%s\"): instant %lld, want %lld",
		    i, r->text, (long long)d.instant, (long long)r->instant);
		CHECK(d.has_time == r->has_time, "row %zu (\"%s\"): has_time %d", i,
		    r->text, d.has_time);
		CHECK(d.year == r->year && d.month == r->month && d.day == r->day,
		    "row %zu (\"%s\"): calendar %d-%d-%d, want %d-%d-%d", i, r->text,
		    d.year, d.month, d.day, r->year, r->month, r->day);
		CHECK(strcmp(d.iso, r->iso) == 0, "row %zu (\"%s\"): iso \"%s\", want \"%s\"",
		    i, r->text, d.iso, r->iso);
	}
	CHECK_DONE();
}

/* Date-times in different offsets that name one moment compare equal;
 * later moments compare greater. */
static void
test_instant_order(void **state)
{
	static const struct { const char *a, *b; int cmp; } rows[] = {
		{ "2026-03-14T09:30:00+01:00", "2026-03-14T08:30:00Z", 0 },
		{ "2026-03-14T00:00:00-01:00", "2026-03-14T01:00:00Z", 0 },
		{ "2026-03-14", "2026-03-14T00:00:00Z", 0 },
		{ "2026-03-14", "2026-03-13T23:59:59Z", 1 },
		{ "2026-03-14T10:00:00+02:00", "2026-03-14T09:00:00+00:00", -1 },
		{ "2026-03-15", "2026-03-14T23:00:00-02:00", -1 },
		{ "2026-03-15", "2026-03-14T21:00:00-02:00", 1 },
		{ "2026-03-14T12:00:00.999Z", "2026-03-14T12:00:00Z", 0 },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct xp_date a, b;
		int cmp;

		assert_true(date_parse(rows[i].a, &a));
		assert_true(date_parse(rows[i].b, &b));
		cmp = a.instant < b.instant ? -1 : a.instant > b.instant;
		CHECK(cmp == rows[i].cmp, "row %zu (%s vs %s): %d, want %d", i,
		    rows[i].a, rows[i].b, cmp, rows[i].cmp);
	}
	CHECK_DONE();
}

static void
test_display(void **state)
{
	static const struct { const char *text, *shown; } rows[] = {
		{ "2026-03-14", "March 14, 2026" },
		{ "2026-01-05", "January 5, 2026" },
		{ "2024-02-29", "February 29, 2024" },
		{ "2026-12-31", "December 31, 2026" },
		/* the calendar date as written, not the UTC one */
		{ "2026-12-31T23:30:00-05:00", "December 31, 2026" },
		{ "2026-01-01T00:30:00+09:00", "January 1, 2026" },
		{ "2026-06-09T12:00:00Z", "June 9, 2026" },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct xp_date d;
		char out[64];

		assert_true(date_parse(rows[i].text, &d));
		date_display(&d, out, sizeof(out));
		CHECK(strcmp(out, rows[i].shown) == 0, "row %zu (%s): \"%s\", want \"%s\"",
		    i, rows[i].text, out, rows[i].shown);
	}
	/* a small buffer is cut, not overrun */
	{
		struct xp_date d;
		char out[8];

		assert_true(date_parse("2026-03-14", &d));
		memset(out, 'x', sizeof(out));
		date_display(&d, out, 6);
		CHECK(strcmp(out, "March") == 0 && out[6] == 'x',
		    "small buffer: \"%.8s\"", out);
	}
	CHECK_DONE();
}

static void
test_http(void **state)
{
	static const struct { time_t t; const char *text; } rows[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 1773480600, "Sat, 14 Mar 2026 09:30:00 GMT" },
		{ 1709164800, "Thu, 29 Feb 2024 00:00:00 GMT" },
		{ 1798761599, "Thu, 31 Dec 2026 23:59:59 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		char out[64];
		time_t back;

		date_http(rows[i].t, out, sizeof(out));
		CHECK(strcmp(out, rows[i].text) == 0, "row %zu (%lld): \"%s\", want \"%s\"",
		    i, (long long)rows[i].t, out, rows[i].text);
		back = date_http_parse(rows[i].text);
		CHECK(back == rows[i].t, "row %zu (%s): parsed %lld, want %lld", i,
		    rows[i].text, (long long)back, (long long)rows[i].t);
		back = date_http_parse(out);
		CHECK(back == rows[i].t, "row %zu: round trip %lld", i, (long long)back);
	}
	CHECK_DONE();
}

static void
test_http_parse_rejects(void **state)
{
	static const char *const rows[] = {
		"",
		"garbage",
		"Sat, 14 Mar 2026 09:30:00 UTC",
		"Sat, 14 Mar 2026 09:30:00 GMT ",
		" Sat, 14 Mar 2026 09:30:00 GMT",
		"Sat, 14 Mar 2026 09:30:00 gmt",
		"Sat, 14 Mar 2026 09:30 GMT",
		"Sat, 4 Mar 2026 09:30:00 GMT",
		"Saturday, 14-Mar-26 09:30:00 GMT",    /* RFC 850 */
		"Sat Mar 14 09:30:00 2026",            /* asctime */
		"Sat, 14 Foo 2026 09:30:00 GMT",
		"Sat, 14 mar 2026 09:30:00 GMT",
		"Sat, 00 Mar 2026 09:30:00 GMT",
		"Sat, 32 Mar 2026 09:30:00 GMT",
		"Sat, 14 Mar 2026 24:00:00 GMT",
		"Sat, 14 Mar 2026 09:60:00 GMT",
		"Sat, 14 Mar 2026 09:30:61 GMT",
		"Sat, 14 Mar 2026T09:30:00 GMT",
		"2026-03-14T09:30:00Z",
		/* not a real calendar day: must not roll over into March */
		"Sat, 31 Feb 2026 09:30:00 GMT",
		/* IMF-fixdate has exactly two digits in each field */
		"Sat, 14 Mar 2026  9:30:00 GMT",
		"Sat, +4 Mar 2026 09:30:00 GMT",
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		time_t t = date_http_parse(rows[i]);

		CHECK(t == (time_t)-1, "row %zu (\"%s\"): parsed as %lld, want -1", i,
		    rows[i], (long long)t);
	}
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_instant_order),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_parse_rejects),
	};

	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
