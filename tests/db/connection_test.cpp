#include "db/connection.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "db/binary_copy.hpp"
#include "db/vector_text.hpp"
#include "postgres_environment.hpp"

namespace recsys::testing {
namespace {

TEST(RedactConnectionString, HidesUrlPassword) {
  EXPECT_EQ(db::redact_connection_string("postgresql://recsys:s3cret@127.0.0.1:5432/recsys"),
            "postgresql://recsys:***@127.0.0.1:5432/recsys");
  EXPECT_EQ(db::redact_connection_string("postgres://u:p%40ss@h/db"), "postgres://u:***@h/db");
  EXPECT_EQ(db::redact_connection_string("postgresql://recsys@127.0.0.1/recsys"),
            "postgresql://recsys@127.0.0.1/recsys");
}

TEST(RedactConnectionString, HidesUnusualUrlPasswords) {
  // libpq fails on a password with an unescaped '@', and the message must not show it.
  EXPECT_EQ(db::redact_connection_string("postgresql://u:p@ss@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(db::redact_connection_string("POSTGRESQL://u:s3cret@h/db"), "POSTGRESQL://u:***@h/db");
  EXPECT_EQ(db::redact_connection_string("host=h PASSWORD=s3cret"), "host=h PASSWORD=***");
}

// libpq rejects these without contacting a server; its messages quote the connection string.
TEST(ConnectionError, ShowsNoPassword) {
  for (const std::string conninfo :
       {"POSTGRESQL://u:s3cret@127.0.0.1:1/db", " postgresql://u:s3cret@127.0.0.1:1/db",
        "postgresql://u:s3cret@prod@127.0.0.1:1/db", "host=127.0.0.1 port=1 PASSWORD=s3cret"}) {
    SCOPED_TRACE(conninfo);
    try {
      db::Connection connection(conninfo);
      ADD_FAILURE() << "expected a connection error";
    } catch (const db::DatabaseError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
      EXPECT_EQ(message.find("prod@"), std::string::npos) << message;
    }
  }
}

TEST(ConnectionError, AtInUrlPasswordAsksForPercentEncoding) {
  try {
    db::Connection connection("postgresql://u:s3cret@prod@127.0.0.1:1/db");
    ADD_FAILURE() << "expected a connection error";
  } catch (const db::DatabaseError& error) {
    EXPECT_NE(std::string(error.what()).find("write it as %40"), std::string::npos) << error.what();
  }
}

TEST(RedactConnectionString, HidesKeywordPassword) {
  EXPECT_EQ(db::redact_connection_string("host=h password=s3cret dbname=d"),
            "host=h password=*** dbname=d");
  EXPECT_EQ(db::redact_connection_string("host=h password = 'a b\\'c' dbname=d"),
            "host=h password = *** dbname=d");
}

TEST(ResolveDatabaseUrl, OptionThenEnvironment) {
  setenv("DATABASE_URL", "postgresql://from-environment/db", 1);
  EXPECT_EQ(db::resolve_database_url("postgresql://from-option/db"), "postgresql://from-option/db");
  EXPECT_EQ(db::resolve_database_url(""), "postgresql://from-environment/db");
  unsetenv("DATABASE_URL");
  EXPECT_EQ(db::resolve_database_url(""), "");
}

// Without a URL, libpq reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE; the test
// cluster listens on a port other than PostgreSQL's 5432, so PGPORT must be honored.
TEST(Connection, PgVariablesNameTheServer) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(PostgresEnvironment::database_url().c_str(), &error);
  ASSERT_NE(options, nullptr) << (error != nullptr ? error : "");
  const std::vector<std::pair<std::string, std::string>> names = {{"host", "PGHOST"},
                                                                  {"port", "PGPORT"},
                                                                  {"user", "PGUSER"},
                                                                  {"password", "PGPASSWORD"},
                                                                  {"dbname", "PGDATABASE"}};
  std::string port;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    for (const auto& [keyword, variable] : names) {
      if (keyword == option->keyword && option->val != nullptr) {
        setenv(variable.c_str(), option->val, 1);
        port = keyword == "port" ? option->val : port;
      }
    }
  }
  PQconninfoFree(options);
  unsetenv("DATABASE_URL");

  db::Connection connection(db::resolve_database_url(""));
  EXPECT_TRUE(connection.is_healthy());
  if (!port.empty()) {
    EXPECT_EQ(std::string(PQport(connection.get())), port);
  }
  for (const auto& [keyword, variable] : names) {
    unsetenv(variable.c_str());
  }
}

TEST(Connection, FailureMessageHidesPassword) {
  // Port 1 on loopback has no server: the connection is refused at once.
  try {
    db::Connection connection("postgresql://recsys:s3cret@127.0.0.1:1/recsys?connect_timeout=5");
    FAIL() << "connected to a port without a server";
  } catch (const db::DatabaseError& e) {
    std::string message = e.what();
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    EXPECT_NE(message.find("recsys:***@127.0.0.1:1"), std::string::npos) << message;
    EXPECT_NE(message.find("DATABASE_URL"), std::string::npos) << message;
    EXPECT_TRUE(e.connection_lost());
  }
}

// libpq quotes parts of a connection string it cannot parse, which may be the password.
TEST(Connection, ParseErrorHidesPassword) {
  const std::vector<std::string> conninfos = {
      "postgresql://recsys:pa%zzs3cret@127.0.0.1:1/recsys",  // Invalid percent-encoding.
      "postgresql://recsys:s3cret@[::1/recsys",              // Unterminated IPv6 address.
      "postgresql://recsys@127.0.0.1:1/recsys?password=pa%zzs3cret",
      "host=127.0.0.1 port=1 password='pa\\%s3cret",  // Unterminated quote.
  };
  for (const auto& conninfo : conninfos) {
    try {
      db::Connection connection(conninfo);
      FAIL() << "connected with " << conninfo;
    } catch (const db::DatabaseError& e) {
      std::string message = e.what();
      EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
      EXPECT_NE(message.find("***"), std::string::npos) << message;
    }
  }
}

TEST(Connection, StatementErrorCarriesSqlstate) {
  db::Connection connection(PostgresEnvironment::database_url());
  try {
    connection.execute("SELECT * FROM no_such_table_anywhere");
    FAIL() << "the statement succeeded";
  } catch (const db::DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_FALSE(e.connection_lost());
    EXPECT_NE(std::string(e.what()).find("no_such_table_anywhere"), std::string::npos);
  }
  EXPECT_TRUE(connection.is_healthy());
}

TEST(Transaction, RollsBackUnlessCommitted) {
  db::Connection connection(PostgresEnvironment::database_url());
  connection.execute("DROP TABLE IF EXISTS transaction_probe");
  {
    db::Transaction transaction(connection);
    connection.execute("CREATE TABLE transaction_probe (id integer)");
  }
  EXPECT_EQ(connection.execute("SELECT to_regclass('transaction_probe') IS NULL").text(0, 0), "t");

  {
    db::Transaction transaction(connection);
    connection.execute("CREATE TABLE transaction_probe (id integer)");
    transaction.commit();
  }
  EXPECT_EQ(connection.execute("SELECT to_regclass('transaction_probe') IS NULL").text(0, 0), "f");
  connection.execute("DROP TABLE transaction_probe");
}

TEST(Transaction, CommitAfterFailedStatementThrows) {
  db::Connection connection(PostgresEnvironment::database_url());
  db::Transaction transaction(connection);
  EXPECT_THROW(connection.execute("SELECT 1 / 0"), db::DatabaseError);
  EXPECT_THROW(transaction.commit(), db::DatabaseError);
}

TEST(BinaryCopy, RoundTripsEveryFieldType) {
  db::Connection connection(PostgresEnvironment::database_url());
  connection.execute("DROP TABLE IF EXISTS copy_probe");
  connection.execute(
      "CREATE TABLE copy_probe (id bigint, small integer, name text, tags text[], "
      "ids bigint[], embedding vector(3))");
  const std::vector<float> vector = {0.1F, -2.5e-8F, 3.0e7F};
  const std::vector<std::int64_t> ids = {-1, 0, 9000000000};
  {
    db::BinaryCopy copy(connection, "COPY copy_probe FROM STDIN (FORMAT binary)");
    copy.begin_row(6);
    copy.add_int64(-42);
    copy.add_int32(7);
    copy.add_text("l'été \"quoted\"\ttab");
    copy.add_text_array({"Children's", "Sci-Fi", ""});
    copy.add_int64_array(ids);
    copy.add_vector(vector);
    copy.begin_row(6);
    copy.add_int64(1);
    copy.add_null();
    copy.add_null();
    copy.add_text_array({});
    copy.add_int64_array({});
    copy.add_null();
    EXPECT_EQ(copy.finish(), 2);
  }

  db::Result rows = connection.execute(
      "SELECT id, small, name, array_to_json(tags)::text, ids::text, embedding::text, "
      "cardinality(tags) FROM copy_probe ORDER BY id");
  ASSERT_EQ(rows.rows(), 2);
  EXPECT_EQ(rows.int64(0, 0), -42);
  EXPECT_EQ(rows.int64(0, 1), 7);
  EXPECT_EQ(rows.text(0, 2), "l'été \"quoted\"\ttab");
  EXPECT_EQ(rows.text(0, 3), "[\"Children's\",\"Sci-Fi\",\"\"]");
  EXPECT_EQ(rows.text(0, 4), "{-1,0,9000000000}");
  EXPECT_EQ(db::parse_vector_text(rows.text(0, 5)), vector);
  EXPECT_TRUE(rows.is_null(1, 1));
  EXPECT_TRUE(rows.is_null(1, 2));
  EXPECT_EQ(rows.text(1, 4), "{}");
  EXPECT_TRUE(rows.is_null(1, 5));
  EXPECT_EQ(rows.int64(1, 6), 0);
  connection.execute("DROP TABLE copy_probe");
}

TEST(BinaryCopy, AbandonedCopyLeavesConnectionUsable) {
  db::Connection connection(PostgresEnvironment::database_url());
  connection.execute("DROP TABLE IF EXISTS copy_probe");
  connection.execute("CREATE TABLE copy_probe (id bigint)");
  {
    db::BinaryCopy copy(connection, "COPY copy_probe FROM STDIN (FORMAT binary)");
    copy.begin_row(1);
    copy.add_int64(1);
  }
  EXPECT_TRUE(connection.is_healthy());
  EXPECT_EQ(connection.execute("SELECT count(*) FROM copy_probe").int64(0, 0), 0);
  connection.execute("DROP TABLE copy_probe");
}

TEST(VectorText, RoundTripsShortestDigits) {
  const std::vector<float> values = {1.0F, -0.1F, 1.17549435e-38F, 3.4028235e38F, 0.0F};
  std::string text = db::format_vector_text(values);
  EXPECT_EQ(text.front(), '[');
  EXPECT_EQ(db::parse_vector_text(text), values);
  EXPECT_THROW(db::parse_vector_text("1,2"), Error);
  EXPECT_THROW(db::parse_vector_text("[1,x]"), Error);
  const std::vector<float> nan = {std::numeric_limits<float>::quiet_NaN()};
  EXPECT_THROW(db::format_vector_text(nan), Error);
}

}  // namespace
}  // namespace recsys::testing
