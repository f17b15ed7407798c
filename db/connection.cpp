#include "db/connection.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

namespace recsys::db {

namespace {

// Returns libpq's message without the trailing newline.
std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// Returns the first line of `sql`, shortened, to name a statement in error messages.
std::string statement_label(std::string_view sql) {
  auto line = sql.substr(0, sql.find('\n'));
  if (line.size() > 80) {
    return std::string(line.substr(0, 77)) + "...";
  }
  return std::string(line);
}

// True for the SQLSTATEs after which the server closes the session: class 08 (connection
// exception) and 57P01 to 57P03 (administrator shutdown, crash shutdown, cannot connect now).
// libpq may still report CONNECTION_OK until it reads the end of the socket.
bool ends_session(const std::string& sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

// Returns the password texts of `conninfo` as written (before percent-decoding): the URL's
// user information, a password= query parameter, or a password keyword, quotes removed.
std::vector<std::string> written_passwords(const std::string& conninfo) {
  // libpq takes only a lower-case scheme as a URL, but quotes the whole string when it
  // rejects another spelling, so every spelling is searched.
  static const std::regex url_password(R"(^\s*postgres(?:ql)?://[^:/@]*:([^@/]*)@)",
                                       std::regex::icase);
  static const std::regex query_password(R"([?&]password=([^&]*))", std::regex::icase);
  static const std::regex key_password(R"(password\s*=\s*(?:'((?:[^'\\]|\\.)*)'?|(\S+)))",
                                       std::regex::icase);
  static const std::regex url_scheme(R"(^\s*postgres(?:ql)?://)", std::regex::icase);
  std::vector<std::string> passwords;
  std::smatch match;
  if (std::regex_search(conninfo, match, url_password)) {
    passwords.push_back(match[1]);
  }
  bool is_url = std::regex_search(conninfo, url_scheme);
  for (auto it = std::sregex_iterator(conninfo.begin(), conninfo.end(),
                                      is_url ? query_password : key_password);
       it != std::sregex_iterator(); ++it) {
    passwords.push_back((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
  }
  return passwords;
}

// Replaces every password of `conninfo` in `text` by "***". libpq quotes the part of a
// connection string it cannot parse, and that part may be the password.
std::string without_passwords(std::string text, const std::string& conninfo) {
  for (const std::string& password : written_passwords(conninfo)) {
    if (password.empty()) {
      continue;
    }
    for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at + 3)) {
      text.replace(at, password.size(), "***");
    }
  }
  return text;
}

}  // namespace

std::string resolve_database_url(const std::string& option) {
  if (!option.empty()) {
    return option;
  }
  if (const char* url = std::getenv("DATABASE_URL"); url != nullptr && *url != '\0') {
    return url;
  }
  return "";
}

std::string redact_connection_string(const std::string& conninfo) {
  // postgresql://user:secret@host/db and password=secret (quoted or not), in any letter case.
  // The URL's password runs to the last '@', so that an unescaped '@' in it is hidden too. An
  // '@' in the query string then hides the host and database as well.
  static const std::regex url_password(R"(^(\s*postgres(?:ql)?://[^:/@]*:).*@)", std::regex::icase);
  static const std::regex key_password(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))",
                                       std::regex::icase);
  std::string redacted = std::regex_replace(conninfo, url_password, "$1***@");
  redacted = std::regex_replace(redacted, key_password, "$1***");
  return redacted;
}

// ---------------------------------------------------------------------------------------
// Result

int Result::rows() const {
  return result_ ? PQntuples(result_.get()) : 0;
}

int Result::columns() const {
  return result_ ? PQnfields(result_.get()) : 0;
}

bool Result::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::int64(int row, int column) const {
  auto field = text(row, column);
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size()) {
    throw Error("column '" + std::string(PQfname(result_.get(), column)) +
                "' is not an integer: '" + std::string(field) + "'");
  }
  return value;
}

double Result::float64(int row, int column) const {
  std::string field(text(row, column));
  char* end = nullptr;
  double value = std::strtod(field.c_str(), &end);
  if (field.empty() || *end != '\0') {
    throw Error("column '" + std::string(PQfname(result_.get(), column)) + "' is not a number: '" +
                field + "'");
  }
  return value;
}

std::int64_t Result::affected_rows() const {
  const char* count = PQcmdTuples(result_.get());
  return count != nullptr && *count != '\0' ? std::strtoll(count, nullptr, 10) : 0;
}

// ---------------------------------------------------------------------------------------
// Connection

Connection::Connection(const std::string& conninfo) {
  // libpq ends a URL's password at the first '@' and takes the rest as the host, which its
  // error message would then show.
  static const std::regex password_with_at(R"(^\s*postgres(?:ql)?://[^:/@]*:[^/?@]*@[^/?]*@)",
                                           std::regex::icase);
  if (std::regex_search(conninfo, password_with_at)) {
    throw DatabaseError("cannot connect to PostgreSQL at '" + redact_connection_string(conninfo) +
                            "': the password in the URL contains '@'; write it as %40",
                        "", true);
  }
  connection_ = PQconnectdb(conninfo.c_str());
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) {
    std::string message = connection_ != nullptr
                              ? without_passwords(trimmed(PQerrorMessage(connection_)), conninfo)
                              : "out of memory";
    PQfinish(connection_);
    connection_ = nullptr;
    std::string target = conninfo.empty() ? std::string("the server named by the PG* variables")
                                          : "'" + redact_connection_string(conninfo) + "'";
    throw DatabaseError("cannot connect to PostgreSQL at " + target + ": " + message +
                            "; set --database-url or DATABASE_URL (for a local server: "
                            "scripts/local-db.sh start)",
                        "", true);
  }
}

Connection::~Connection() {
  PQfinish(connection_);
}

Connection::Connection(Connection&& other) noexcept
    : connection_(other.connection_), prepared_(std::move(other.prepared_)) {
  other.connection_ = nullptr;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    PQfinish(connection_);
    connection_ = other.connection_;
    prepared_ = std::move(other.prepared_);
    other.connection_ = nullptr;
  }
  return *this;
}

Result Connection::check(PGresult* raw, std::string_view what) {
  Result result(raw);
  ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN ||
      status == PGRES_EMPTY_QUERY) {
    return result;
  }

  std::string message = raw != nullptr ? trimmed(PQresultErrorMessage(raw)) : "";
  if (message.empty()) {
    message = trimmed(PQerrorMessage(connection_));
  }
  const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  bool lost = PQstatus(connection_) != CONNECTION_OK || ends_session(sqlstate);
  throw DatabaseError("statement '" + std::string(what) + "' failed: " + message, sqlstate, lost);
}

Result Connection::execute(const std::string& sql) {
  return check(PQexec(connection_, sql.c_str()), statement_label(sql));
}

Result Connection::execute(const std::string& sql, const Parameters& parameters) {
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const auto& parameter : parameters) {
    values.push_back(parameter ? parameter->c_str() : nullptr);
  }
  return check(PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0),
               statement_label(sql));
}

void Connection::prepare(const std::string& name, const std::string& sql) {
  if (prepared_.contains(name)) {
    return;
  }
  check(PQprepare(connection_, name.c_str(), sql.c_str(), 0, nullptr), "PREPARE " + name);
  prepared_.insert(name);
}

bool Connection::is_prepared(const std::string& name) const {
  return prepared_.contains(name);
}

Result Connection::execute_prepared(const std::string& name, const Parameters& parameters) {
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const auto& parameter : parameters) {
    values.push_back(parameter ? parameter->c_str() : nullptr);
  }
  return check(PQexecPrepared(connection_, name.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0),
               "EXECUTE " + name);
}

bool Connection::is_healthy() {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) {
    return false;
  }
  Result result(PQexec(connection_, "SELECT 1"));
  return PQresultStatus(result.get()) == PGRES_TUPLES_OK;
}

std::string Connection::description() const {
  if (connection_ == nullptr) {
    return "(closed)";
  }
  const char* host = PQhost(connection_);
  std::string where = host != nullptr ? host : "";
  return where + ":" + PQport(connection_) + "/" + PQdb(connection_);
}

// ---------------------------------------------------------------------------------------
// Transaction

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.execute("BEGIN");
}

Transaction::~Transaction() {
  if (!open_) {
    return;
  }
  // A broken connection has already lost the transaction; the server rolls it back.
  if (PQstatus(connection_.get()) != CONNECTION_OK) {
    return;
  }
  try {
    connection_.execute("ROLLBACK");
  } catch (const Error& e) {
    spdlog::warn("ROLLBACK failed on {}: {}", connection_.description(), e.what());
  }
}

void Transaction::commit() {
  Result result = connection_.execute("COMMIT");
  open_ = false;
  // COMMIT of a transaction that already failed succeeds with the tag ROLLBACK.
  if (std::string_view(PQcmdStatus(result.get())) == "ROLLBACK") {
    throw DatabaseError("COMMIT rolled the transaction back because a statement in it failed",
                        "25P02", false);
  }
}

}  // namespace recsys::db
