// Validation of the ingest wire format (data/event_wire.h), without a server.
#include "data/event_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::data {
namespace {

const std::string kGood = R"({"id":"e1","layer":"text","kind":"chat.message","time":"2026-11-21T19:05:00+01:00"})";

ParsedBatch Parse(const std::string& body, IngestLimits limits = {}) { return ParseEventBatch(body, limits); }

// Asserts the batch is refused with `code`, and that the first detail (if any)
// names `field` of event `index`.
void ExpectRefused(const std::string& body, int status, const std::string& code, const std::string& field = "",
                   size_t index = 0, IngestLimits limits = {}) {
  ParsedBatch b = Parse(body, limits);
  ASSERT_FALSE(b.ok) << body;
  EXPECT_TRUE(b.events.empty());
  EXPECT_EQ(b.error.http_status, status) << b.error.message;
  EXPECT_EQ(b.error.code, code) << b.error.message;
  if (!field.empty()) {
    ASSERT_FALSE(b.error.details.empty()) << b.error.message;
    EXPECT_EQ(b.error.details[0].field, field) << b.error.details[0].reason;
    EXPECT_EQ(b.error.details[0].index, index);
  }
}

std::string With(const std::string& extra) {
  return "[" + kGood.substr(0, kGood.size() - 1) + "," + extra + "}]";
}

TEST(Wire, ParsesAFullEvent) {
  ParsedBatch b = Parse(R"([{"id":"x","layer":"environmental","kind":"gps.fix","time":1700000000000000,
     "end":"2023-11-14T22:13:21Z","text":"héllo 日本","data":{"speed":3.5,"tags":["a"]},
     "geo":{"lat":48.85,"lon":2.35,"acc":12},"blobs":[")" + std::string(64, 'a') + R"("]}])");
  ASSERT_TRUE(b.ok) << b.error.message;
  ASSERT_EQ(b.events.size(), 1u);
  const Event& e = b.events[0];
  EXPECT_EQ(e.client_id, "x");
  EXPECT_EQ(e.layer, Layer::kEnvironmental);
  EXPECT_EQ(e.kind, "gps.fix");
  EXPECT_EQ(e.time.utc_micros, 1700000000000000);
  EXPECT_EQ(e.time.offset_seconds, 0);
  ASSERT_TRUE(e.end.has_value());
  EXPECT_EQ(e.end->utc_micros, 1700000001000000);
  EXPECT_EQ(*e.text, "héllo 日本");
  EXPECT_EQ(e.data_json, R"({"speed":3.5,"tags":["a"]})");
  ASSERT_TRUE(e.geo.has_value());
  EXPECT_DOUBLE_EQ(e.geo->lat, 48.85);
  EXPECT_DOUBLE_EQ(*e.geo->acc, 12);
  EXPECT_EQ(e.blobs.size(), 1u);
}

TEST(Wire, AcceptsNdjson) {
  ParsedBatch b = Parse(kGood + "\n\n" + R"({"id":"e2","layer":"auditory","kind":"audio.transcript","time":0})" + "\r\n");
  ASSERT_TRUE(b.ok) << b.error.message;
  EXPECT_EQ(b.events.size(), 2u);
}

TEST(Wire, MalformedJsonIsRefused) {
  ExpectRefused("[{\"id\":", 400, "malformed_json");
  ExpectRefused("[1,2", 400, "malformed_json");
  ExpectRefused(kGood + "\n{nope}", 400, "malformed_json");
  ParsedBatch b = Parse(kGood + "\n{nope}");
  EXPECT_NE(b.error.message.find("line 2"), std::string::npos) << b.error.message;
  ExpectRefused("", 400, "empty_batch");
  ExpectRefused("[]", 400, "empty_batch");
  ExpectRefused(std::string(100, '[') + std::string(100, ']'), 400, "malformed_json");
}

TEST(Wire, InvalidUtf8IsRefusedWithItsOffset) {
  std::string body = With("\"text\":\"ab\xC3\x28\"");
  ParsedBatch b = Parse(body);
  ASSERT_FALSE(b.ok);
  EXPECT_EQ(b.error.code, "invalid_utf8");
  EXPECT_NE(b.error.message.find("byte " + std::to_string(body.find('\xC3'))), std::string::npos) << b.error.message;
  ExpectRefused(With("\"text\":\"\xED\xA0\x80\""), 400, "invalid_utf8");  // a UTF-16 surrogate
  ExpectRefused(With("\"text\":\"\xC0\xAF\""), 400, "invalid_utf8");      // overlong
}

TEST(Wire, WrongTypesNameTheField) {
  ExpectRefused("[5]", 400, "invalid_events", "", 0);
  ExpectRefused(R"([{"layer":"text","kind":"a","time":0}])", 400, "invalid_events", "id");
  ExpectRefused(R"([{"id":7,"layer":"text","kind":"a","time":0}])", 400, "invalid_events", "id");
  ExpectRefused(R"([{"id":"","layer":"text","kind":"a","time":0}])", 400, "invalid_events", "id");
  ExpectRefused(R"([{"id":")" + std::string(257, 'x') + R"(","layer":"text","kind":"a","time":0}])", 400,
                "invalid_events", "id");
  ExpectRefused(R"([{"id":"a","layer":"smell","kind":"a","time":0}])", 400, "invalid_events", "layer");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"Chat.Message","time":0}])", 400, "invalid_events", "kind");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"chat..message","time":0}])", 400, "invalid_events", "kind");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"chat.","time":0}])", 400, "invalid_events", "kind");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"a","time":1.5}])", 400, "invalid_events", "time");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"a","time":"yesterday"}])", 400, "invalid_events", "time");
  ExpectRefused(With(R"("data":[1])"), 400, "invalid_events", "data");
  ExpectRefused(With(R"("text":5)"), 400, "invalid_events", "text");
  ExpectRefused(With(R"("text":"a\u0000b")"), 400, "invalid_events", "text");
  ExpectRefused(With(R"("geo":{"lat":91,"lon":0})"), 400, "invalid_events", "geo.lat");
  ExpectRefused(With(R"("geo":{"lat":0,"lon":-181})"), 400, "invalid_events", "geo.lon");
  ExpectRefused(With(R"("geo":{"lat":0,"lon":0,"acc":-1})"), 400, "invalid_events", "geo.acc");
  ExpectRefused(With(R"("geo":{"lat":0})"), 400, "invalid_events", "geo.lon");
  ExpectRefused(With(R"("geo":{"lat":"0","lon":0})"), 400, "invalid_events", "geo.lat");
  ExpectRefused(With(R"("blobs":["abc"])"), 400, "invalid_events", "blobs[0]");
  ExpectRefused(With(R"("blobs":"abc")"), 400, "invalid_events", "blobs");
  ExpectRefused(With(R"("colour":"red")"), 400, "invalid_events", "colour");
}

TEST(Wire, TimesOutOfRangeAndInvertedIntervals) {
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"a","time":"1899-12-31T23:59:59Z"}])", 400, "invalid_events", "time");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"a","time":"2200-01-01T00:00:00Z"}])", 400, "invalid_events", "time");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"a","time":99999999999999999}])", 400, "invalid_events", "time");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"a","time":18446744073709551615}])", 400, "invalid_events", "time");
  ExpectRefused(R"([{"id":"a","layer":"text","kind":"a","time":"2026-01-01T10:00:00Z","end":"2026-01-01T10:00:00+01:00"}])",
                400, "invalid_events", "end");
  EXPECT_TRUE(Parse(R"([{"id":"a","layer":"text","kind":"a","time":"1900-01-01T00:00:00Z","end":"1900-01-01T00:00:00Z"}])").ok);
}

TEST(Wire, OneErrorPerBadEventAndNothingAccepted) {
  std::string body = "[" + kGood + "," + R"({"id":"b","layer":"nope","kind":"a","time":0})" + "," + kGood + "," +
                     R"({"id":"d","layer":"text","kind":"a","time":"x"})" + "]";
  ParsedBatch b = Parse(body);
  ASSERT_FALSE(b.ok);
  ASSERT_EQ(b.error.details.size(), 2u);
  EXPECT_EQ(b.error.details[0].index, 1u);
  EXPECT_EQ(b.error.details[1].index, 3u);
  EXPECT_TRUE(b.events.empty());
}

TEST(Wire, LimitsAreEnforced) {
  IngestLimits limits;
  limits.max_batch_events = 2;
  limits.max_event_bytes = 200;
  limits.max_request_bytes = 1000;
  ExpectRefused("[" + kGood + "," + kGood + "," + kGood + "]", 413, "too_many_events", "", 0, limits);
  ExpectRefused(kGood + "\n" + kGood + "\n" + kGood, 413, "too_many_events", "", 0, limits);
  ExpectRefused(With("\"text\":\"" + std::string(300, 'x') + "\""), 413, "event_too_large", "", 0, limits);
  ExpectRefused("[" + With("\"text\":\"" + std::string(1000, 'x') + "\"") + "]", 413, "request_too_large", "", 0, limits);
  EXPECT_TRUE(Parse("[" + kGood + "," + kGood + "]", limits).ok);
}

TEST(Wire, StoredEventRoundTripsToJson) {
  ParsedBatch b = Parse(With(R"("text":"t","data":{"k":1},"geo":{"lat":1,"lon":2})"));
  ASSERT_TRUE(b.ok);
  StoredEvent s{42, "phone", 0, b.events[0]};
  nlohmann::json j = StoredEventToJson(s);
  EXPECT_EQ(j["seq"], 42);
  EXPECT_EQ(j["device"], "phone");
  EXPECT_EQ(j["time"], "2026-11-21T19:05:00+01:00");
  EXPECT_EQ(j["data"]["k"], 1);
  EXPECT_EQ(j["geo"]["lon"], 2.0);
  EXPECT_FALSE(j.contains("end"));
}

}  // namespace
}  // namespace hearth::data
