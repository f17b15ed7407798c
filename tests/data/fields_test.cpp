#include "data/fields.hpp"

#include <gtest/gtest.h>

namespace recsys::test {
namespace {

TEST(FieldsTest, SplitsOnMultiCharacterSeparator) {
  std::vector<std::string_view> fields;
  split_fields("1::Star Trek: First Contact (1996)::Sci-Fi", "::", fields);
  ASSERT_EQ(fields.size(), 3U);
  EXPECT_EQ(fields[1], "Star Trek: First Contact (1996)");
  split_fields("a||b|", "|", fields);
  EXPECT_EQ(fields, (std::vector<std::string_view>{"a", "", "b", ""}));
}

TEST(FieldsTest, ParsesNumbersStrictly) {
  std::int64_t id = 0;
  EXPECT_TRUE(parse_id("242", id));
  EXPECT_EQ(id, 242);
  EXPECT_FALSE(parse_id("0", id));
  EXPECT_FALSE(parse_id(" 1", id));
  EXPECT_FALSE(parse_id("1 ", id));
  EXPECT_FALSE(parse_id("", id));
  EXPECT_FALSE(parse_id("99999999999999999999", id));
  float rating = 0;
  EXPECT_TRUE(parse_rating("3.5", rating));
  EXPECT_EQ(rating, 3.5F);
  EXPECT_FALSE(parse_rating("3.5x", rating));
  EXPECT_FALSE(parse_rating("nan", rating));
}

TEST(FieldsTest, ConvertsLatin1ToUtf8) {
  EXPECT_EQ(latin1_to_utf8("Mis\xe9rables"), "Mis\xc3\xa9rables");
  EXPECT_EQ(latin1_to_utf8("\xff"), "\xc3\xbf");
  EXPECT_EQ(latin1_to_utf8("plain"), "plain");
}

TEST(FieldsTest, FindsInvalidUtf8) {
  EXPECT_EQ(find_invalid_utf8("Mis\xc3\xa9rables \xe2\x80\x93 \xf0\x9f\x8e\xac"),
            std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xe9"), 2U);            // A Latin-1 byte.
  EXPECT_EQ(find_invalid_utf8("\xc0\xaf"), 0U);          // Overlong '/'.
  EXPECT_EQ(find_invalid_utf8("x\xed\xa0\x80"), 1U);     // A UTF-16 surrogate.
  EXPECT_EQ(find_invalid_utf8("\xf4\x90\x80\x80"), 0U);  // Above U+10FFFF.
  EXPECT_EQ(find_invalid_utf8("\xe2\x80"), 0U);          // Cut short.
}

TEST(FieldsTest, SplitsCsvRecords) {
  std::vector<std::string> fields;
  EXPECT_EQ(split_csv_record("11,\"American President, The (1995)\",Comedy", fields), "");
  EXPECT_EQ(fields, (std::vector<std::string>{"11", "American President, The (1995)", "Comedy"}));
  EXPECT_EQ(split_csv_record("1,\"say \"\"hi\"\"\",", fields), "");
  EXPECT_EQ(fields, (std::vector<std::string>{"1", "say \"hi\"", ""}));
  EXPECT_EQ(split_csv_record("1,\"open", fields), "a quoted field has no closing quote");
  EXPECT_TRUE(csv_record_continues("1,\"open"));
  EXPECT_FALSE(csv_record_continues("1,\"a \"\"b\"\"\",c"));
}

TEST(FieldsTest, ReadsYearFromTitle) {
  EXPECT_EQ(year_from_title("Toy Story (1995)"), 1995);
  EXPECT_EQ(year_from_title("Babylon 5 (1994) "), 1994);
  EXPECT_EQ(year_from_title("Cosmos (1980-1981)"), 1980);
  EXPECT_EQ(year_from_title("Show (2006\xe2\x80\x93 2007)"), 2006);
  EXPECT_FALSE(year_from_title("unknown").has_value());
  EXPECT_FALSE(year_from_title("Brazil (a.k.a. x)").has_value());
  EXPECT_FALSE(year_from_title("Number (-123)").has_value());
}

TEST(FieldsTest, QuotesValuesForMessages) {
  EXPECT_EQ(quote_value("abc"), "\"abc\"");
  EXPECT_EQ(quote_value(std::string("a\0b", 3)), "\"a\\x00b\"");
  EXPECT_EQ(quote_value(std::string(70, 'x')), "\"" + std::string(60, 'x') + "\"...");
}

}  // namespace
}  // namespace recsys::test
