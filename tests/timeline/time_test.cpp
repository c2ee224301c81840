// RFC 3339, the wire format, time zones (DST, the TZif footer) and time
// expressions.
#include <gtest/gtest.h>

#include "timeline/civil_time.h"
#include "timeline/event.h"
#include "timeline/time_expression.h"
#include "timeline/time_zone.h"

namespace hearth::timeline {
namespace {

int64_t T(const char* rfc3339) {
  auto r = ParseRfc3339(rfc3339);
  EXPECT_TRUE(r.ok()) << rfc3339 << ": " << r.status().ToString();
  return r.ok() ? *r : 0;
}

TEST(CivilTimeTest, Rfc3339RoundTrips) {
  int32_t off = 0;
  auto t = ParseRfc3339("2026-11-03T19:05:00.25+01:00", &off);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(off, 3600);
  EXPECT_EQ(*t, T("2026-11-03T18:05:00.250Z"));
  EXPECT_EQ(FormatRfc3339(*t, off), "2026-11-03T19:05:00.250000+01:00");
  EXPECT_EQ(FormatRfc3339(T("1969-12-31T23:59:59Z")), "1969-12-31T23:59:59Z");
  EXPECT_EQ(WeekdayFromDays(DaysFromCivil({2026, 11, 19})), 3);  // a Thursday
}

TEST(CivilTimeTest, BadTimesNameTheByte) {
  for (const char* bad : {"2026-02-30T00:00:00Z", "2026-11-03", "2026-11-03T25:00:00Z", "2026-11-03T10:00:00",
                          "2026-11-03T10:00:00+0100", "2026-11-03T10:00:00Zjunk", "yesterday"}) {
    auto r = ParseRfc3339(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("byte"), std::string::npos) << r.status().message();
  }
}

TEST(WireTest, ParsesAndWritesEvents) {
  auto j = nlohmann::json::parse(R"({"id":"p1","layer":"environmental","kind":"gps.fix",
      "time":"2026-11-03T19:05:00+01:00","geo":{"lat":52.5,"lon":13.4,"acc":12},"data":{"x":1}})");
  auto e = EventFromWire(j, "phone", "phone.ndjson line 1");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->device, "phone");
  EXPECT_EQ(e->start_us, T("2026-11-03T18:05:00Z"));
  EXPECT_EQ(e->utc_offset_s, 3600);
  ASSERT_TRUE(e->geo.has_value());
  EXPECT_EQ(e->geo->acc_m, 12);
  auto back = EventFromWire(EventToWire(*e), "phone", "again");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->start_us, e->start_us);
  EXPECT_EQ(back->data, e->data);
  auto micros = EventFromWire(nlohmann::json::parse(R"({"id":"h","layer":"residential","kind":"home.state","time":1000000,"end":2000000})"), "hub", "w");
  ASSERT_TRUE(micros.ok());
  EXPECT_EQ(*micros->end_us, 2'000'000);
}

TEST(WireTest, BadEventsNameTheField) {
  struct Case { const char* json; const char* field; };
  for (const Case& c : {Case{R"({"layer":"text","kind":"k","time":0})", "'id'"},
                        Case{R"({"id":"a","layer":"smell","kind":"k","time":0})", "'layer'"},
                        Case{R"({"id":"a","layer":"text","kind":"k","time":"noon"})", "'time'"},
                        Case{R"({"id":"a","layer":"text","kind":"k","time":10,"end":5})", "'end'"},
                        Case{R"({"id":"a","layer":"text","kind":"k","time":0,"geo":{"lat":91,"lon":0}})", "'geo.lat'"},
                        Case{R"({"id":"a","layer":"text","kind":"k","time":0,"data":[1]})", "'data'"}}) {
    auto r = EventFromWire(nlohmann::json::parse(c.json), "d", "f line 3");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("f line 3"), std::string::npos);
  }
  auto nd = ParseNdjsonEvents("{\"id\":\"a\",\"layer\":\"text\",\"kind\":\"k\",\"time\":0}\n{oops\n", "d", "x.ndjson");
  ASSERT_FALSE(nd.ok());
  EXPECT_NE(nd.status().message().find("x.ndjson line 2"), std::string::npos);
}

class ZoneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto z = TimeZone::Load("Europe/Berlin");
    if (!z.ok()) GTEST_SKIP() << "no system time zone database: " << z.status().ToString();
    berlin_ = std::move(z).value();
  }
  TimeZone berlin_ = TimeZone::Utc();
};

TEST_F(ZoneTest, OffsetsFollowDaylightSaving) {
  EXPECT_EQ(berlin_.OffsetAt(T("2026-01-15T12:00:00Z") / 1'000'000), 3600);
  EXPECT_EQ(berlin_.OffsetAt(T("2026-07-15T12:00:00Z") / 1'000'000), 7200);
  // Spring forward at 01:00Z on 29 March 2026.
  EXPECT_EQ(berlin_.OffsetAt(T("2026-03-29T00:59:59Z") / 1'000'000), 3600);
  EXPECT_EQ(berlin_.OffsetAt(T("2026-03-29T01:00:00Z") / 1'000'000), 7200);
  // Beyond the table (2037) the footer rule takes over.
  EXPECT_EQ(berlin_.OffsetAt(T("2051-07-01T12:00:00Z") / 1'000'000), 7200);
  EXPECT_EQ(berlin_.OffsetAt(T("2051-12-01T12:00:00Z") / 1'000'000), 3600);
  EXPECT_EQ(berlin_.OffsetAt(T("2051-03-26T00:59:59Z") / 1'000'000), 3600);  // last Sunday of March 2051
  EXPECT_EQ(berlin_.OffsetAt(T("2051-03-26T01:00:00Z") / 1'000'000), 7200);
  auto sydney = TimeZone::Load("Australia/Sydney");
  ASSERT_TRUE(sydney.ok());
  EXPECT_EQ(sydney->OffsetAt(T("2051-01-15T00:00:00Z") / 1'000'000), 11 * 3600);
  EXPECT_EQ(sydney->OffsetAt(T("2051-07-15T00:00:00Z") / 1'000'000), 10 * 3600);
}

TEST_F(ZoneTest, SkippedAndRepeatedWallTimes) {
  const int64_t skipped = (T("2026-03-29T02:30:00Z")) / 1'000'000;  // as local wall time
  EXPECT_EQ(berlin_.LocalToUtc(skipped) * 1'000'000, T("2026-03-29T03:30:00+02:00"));
  const int64_t repeated = (T("2026-10-25T02:30:00Z")) / 1'000'000;
  EXPECT_EQ(berlin_.LocalToUtc(repeated) * 1'000'000, T("2026-10-25T02:30:00+02:00"));  // the earlier
}

TEST_F(ZoneTest, BadNamesAreRefused) {
  for (const char* bad : {"../../etc/passwd", "/etc/localtime", "Mars/Olympus_Mons", "", "Europe/Berlin;rm"}) {
    auto z = TimeZone::Load(bad);
    ASSERT_FALSE(z.ok()) << bad;
    EXPECT_NE(z.status().message().find("time zone"), std::string::npos) << z.status().message();
  }
  EXPECT_FALSE(TimeZone::FromTzif("junk", "TZif2 but truncated").ok());
  EXPECT_FALSE(TimeZone::FromTzif("junk", "").ok());
}

class ExpressionTest : public ZoneTest {
 protected:
  // Thursday 19 November 2026, 15:00 in Berlin.
  TimeRange R(const char* text, const char* now = "2026-11-19T15:00:00+01:00") {
    auto r = ResolveTimeExpression(text, berlin_, T(now));
    EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    return r.ok() ? *r : TimeRange{};
  }
  void ExpectRange(const char* text, const char* from, const char* to,
                   const char* now = "2026-11-19T15:00:00+01:00") {
    TimeRange r = R(text, now);
    EXPECT_EQ(FormatRfc3339(r.from_us, 3600), FormatRfc3339(T(from), 3600)) << text;
    EXPECT_EQ(FormatRfc3339(r.to_us, 3600), FormatRfc3339(T(to), 3600)) << text;
  }
};

TEST_F(ExpressionTest, DaysAndPartsOfDay) {
  ExpectRange("yesterday", "2026-11-18T00:00:00+01:00", "2026-11-19T00:00:00+01:00");
  ExpectRange("Today", "2026-11-19T00:00:00+01:00", "2026-11-20T00:00:00+01:00");
  ExpectRange("this morning", "2026-11-19T06:00:00+01:00", "2026-11-19T12:00:00+01:00");
  ExpectRange("last tuesday evening", "2026-11-17T18:00:00+01:00", "2026-11-18T00:00:00+01:00");
  ExpectRange("tuesday 19:00", "2026-11-17T19:00:00+01:00", "2026-11-17T20:00:00+01:00");
  ExpectRange("on tuesday at 7pm", "2026-11-17T19:00:00+01:00", "2026-11-17T20:00:00+01:00");
  ExpectRange("thursday", "2026-11-19T00:00:00+01:00", "2026-11-20T00:00:00+01:00");
  ExpectRange("last thursday", "2026-11-12T00:00:00+01:00", "2026-11-13T00:00:00+01:00");
  ExpectRange("last night", "2026-11-18T18:00:00+01:00", "2026-11-19T06:00:00+01:00");
  ExpectRange("2 days ago", "2026-11-17T00:00:00+01:00", "2026-11-18T00:00:00+01:00");
  ExpectRange("2026-11-03", "2026-11-03T00:00:00+01:00", "2026-11-04T00:00:00+01:00");
  ExpectRange("2026-11-03 19:00", "2026-11-03T19:00:00+01:00", "2026-11-03T20:00:00+01:00");
  ExpectRange("3 hours ago", "2026-11-19T12:00:00+01:00", "2026-11-19T13:00:00+01:00");
  ExpectRange("last 2 days", "2026-11-17T15:00:00+01:00", "2026-11-19T15:00:00+01:00");
}

TEST_F(ExpressionTest, WeeksMonthsYears) {
  ExpectRange("last week", "2026-11-09T00:00:00+01:00", "2026-11-16T00:00:00+01:00");
  ExpectRange("this week", "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00");
  ExpectRange("in March", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00");
  ExpectRange("december", "2025-12-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00");  // latest that began
  ExpectRange("March 2025", "2025-03-01T00:00:00+01:00", "2025-04-01T00:00:00+02:00");
  ExpectRange("last month", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00");
  ExpectRange("2025", "2025-01-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00");
}

TEST_F(ExpressionTest, DaysAcrossDaylightSavingChanges) {
  // The day clocks spring forward has 23 hours, the day they fall back 25.
  TimeRange spring = R("yesterday", "2026-03-30T12:00:00+02:00");
  EXPECT_EQ(spring.to_us - spring.from_us, 23LL * 3600 * 1'000'000);
  EXPECT_EQ(spring.from_us, T("2026-03-29T00:00:00+01:00"));
  TimeRange fall = R("yesterday", "2026-10-26T12:00:00+01:00");
  EXPECT_EQ(fall.to_us - fall.from_us, 25LL * 3600 * 1'000'000);
  // "sunday 02:30" on the spring-forward night names a skipped time.
  TimeRange skipped = R("sunday 02:30", "2026-03-30T12:00:00+02:00");
  EXPECT_EQ(skipped.from_us, T("2026-03-29T03:30:00+02:00"));
  // The same wall-clock evening before and after the change is an hour apart in UTC.
  TimeRange before = R("saturday evening", "2026-03-30T12:00:00+02:00");
  TimeRange after = R("sunday evening", "2026-03-30T12:00:00+02:00");
  EXPECT_EQ(after.from_us - before.from_us, 23LL * 3600 * 1'000'000);
}

TEST_F(ExpressionTest, UnparseableTextIsAClearError) {
  for (const char* bad : {"", "blorp", "last fooday", "tuesday 25:00", "yesterday banana", "7 parsecs ago",
                          "2026-13-01", "tuesday evening please"}) {
    auto r = ResolveTimeExpression(bad, berlin_, T("2026-11-19T15:00:00+01:00"));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("cannot resolve time expression"), std::string::npos) << r.status().message();
  }
  auto named = ResolveTimeExpression("last fooday", berlin_, 0);
  EXPECT_NE(named.status().message().find("'fooday'"), std::string::npos) << named.status().message();
}

}  // namespace
}  // namespace hearth::timeline
