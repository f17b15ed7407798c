#include <gtest/gtest.h>

#include "core/error.hpp"

namespace recsys {
namespace {

TEST(InputError, PrefixesFileAndLine) {
  InputError error("u.data", 12, "invalid rating '7'");
  EXPECT_STREQ(error.what(), "u.data:12: invalid rating '7'");
  EXPECT_EQ(error.file(), "u.data");
  EXPECT_EQ(error.line(), 12);
}

TEST(InputError, OmitsLineZero) {
  InputError error("u.data", 0, "file is empty");
  EXPECT_STREQ(error.what(), "u.data: file is empty");
}

}  // namespace
}  // namespace recsys
