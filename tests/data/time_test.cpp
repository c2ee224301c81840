// common/time.h: strict RFC 3339 <-> UTC micros + offset.
#include "common/time.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(Rfc3339, ParsesOffsetsIntoUtcMicros) {
  auto t = ParseRfc3339("2026-11-21T19:05:00+01:00");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->utc_micros, (DaysFromCivil(2026, 11, 21) * 86400 + 18 * 3600 + 5 * 60) * 1'000'000LL);
  EXPECT_EQ(t->offset_seconds, 3600);

  auto z = ParseRfc3339("2026-11-21T18:05:00Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->utc_micros, t->utc_micros);
  EXPECT_EQ(z->offset_seconds, 0);

  auto neg = ParseRfc3339("2026-11-21t13:35:00.5-04:30");
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(neg->utc_micros, t->utc_micros + 500'000);
  EXPECT_EQ(neg->offset_seconds, -(4 * 3600 + 30 * 60));
}

TEST(Rfc3339, FractionsAreTruncatedToMicros) {
  auto a = ParseRfc3339("1970-01-01T00:00:00.123456789Z");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->utc_micros, 123456);
  auto b = ParseRfc3339("1970-01-01T00:00:00.1Z");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->utc_micros, 100000);
}

TEST(Rfc3339, BeforeTheEpochAndLeapDays) {
  auto t = ParseRfc3339("1900-02-28T23:59:59Z");
  ASSERT_TRUE(t.ok());
  EXPECT_LT(t->utc_micros, 0);
  EXPECT_EQ(FormatRfc3339(*t), "1900-02-28T23:59:59Z");
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2023-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("1900-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339("2000-02-29T00:00:00Z").ok());
}

TEST(Rfc3339, RoundTripsInTheOriginalOffset) {
  for (const char* text : {"2026-11-21T19:05:00+01:00", "2026-11-21T19:05:00.000001-09:30", "1969-12-31T23:59:59.999999Z",
                           "2199-12-31T23:59:59Z", "1901-01-01T00:00:00+14:00"}) {
    auto t = ParseRfc3339(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
    EXPECT_EQ(FormatRfc3339(*t), text);
  }
}

TEST(Rfc3339, RejectsMalformedInputNamingTheByte) {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"", "byte 0"},
      {"2026-11-21", "byte 10"},
      {"2026-11-21T19:05:00", "byte 19"},          // no offset
      {"2026-11-21 19:05:00Z", "byte 10"},         // space separator
      {"2026-13-01T00:00:00Z", "month"},
      {"2026-04-31T00:00:00Z", "day"},
      {"2026-11-21T24:00:00Z", "hour"},
      {"2026-11-21T23:60:00Z", "minute"},
      {"2026-12-31T23:59:60Z", "leap"},
      {"2026-11-21T19:05:00.Z", "digits after"},
      {"2026-11-21T19:05:00.1234567890Z", "9 fraction"},
      {"2026-11-21T19:05:00+1:00", "offset hour"},
      {"2026-11-21T19:05:00+01:00 ", "unexpected"},
      {"2026-11-21T19:05:00+24:00", "offset hour"},
      {"+2026-11-21T19:05:00Z", "year"},
  };
  for (const Case& c : cases) {
    auto t = ParseRfc3339(c.text);
    ASSERT_FALSE(t.ok()) << "accepted '" << c.text << "'";
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.needle), std::string::npos)
        << "'" << c.text << "' -> " << t.status().message();
  }
}

TEST(Rfc3339, FormatsWholeSecondsWithoutFraction) {
  EXPECT_EQ(FormatRfc3339({0, 0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339({1, 0}), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatRfc3339({-1, 0}), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339({0, -3600}), "1969-12-31T23:00:00-01:00");
}

}  // namespace
}  // namespace hearth
