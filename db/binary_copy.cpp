#include "db/binary_copy.hpp"

#include <endian.h>

#include <bit>
#include <limits>

namespace recsys::db {

namespace {

// Chunks of this size keep the number of PQputCopyData calls low without a large buffer.
constexpr std::size_t kChunkBytes = 256 * 1024;

// Type OIDs of the array elements, fixed in PostgreSQL's catalog (pg_type.dat).
constexpr std::uint32_t kTextOid = 25;
constexpr std::uint32_t kInt8Oid = 20;

// Signature, flags and header extension length of the binary COPY format.
constexpr std::string_view kHeader{"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19};

std::uint32_t checked_length(std::size_t length) {
  if (length > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw Error("a COPY field of " + std::to_string(length) + " bytes exceeds the 2 GiB limit");
  }
  return static_cast<std::uint32_t>(length);
}

}  // namespace

BinaryCopy::BinaryCopy(Connection& connection, const std::string& copy_statement)
    : connection_(connection), statement_(copy_statement) {
  Result result = connection_.execute(copy_statement);
  if (PQresultStatus(result.get()) != PGRES_COPY_IN) {
    throw DatabaseError("statement '" + statement_ + "' did not start a COPY FROM STDIN", "",
                        false);
  }
  buffer_.reserve(kChunkBytes + 64 * 1024);
  buffer_.append(kHeader);
}

BinaryCopy::~BinaryCopy() {
  if (finished_ || PQstatus(connection_.get()) != CONNECTION_OK) {
    return;
  }
  PQputCopyEnd(connection_.get(), "COPY cancelled by the client");
  // Consume the error result so that the connection can take the next statement.
  while (PGresult* result = PQgetResult(connection_.get())) {
    PQclear(result);
  }
}

void BinaryCopy::put_uint16(std::uint16_t value) {
  value = htobe16(value);
  buffer_.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void BinaryCopy::put_uint32(std::uint32_t value) {
  value = htobe32(value);
  buffer_.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void BinaryCopy::put_uint64(std::uint64_t value) {
  value = htobe64(value);
  buffer_.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void BinaryCopy::begin_row(int fields) {
  flush_if_full();
  put_uint16(static_cast<std::uint16_t>(fields));
  ++rows_;
}

void BinaryCopy::add_null() {
  put_uint32(0xFFFFFFFFU);
}

void BinaryCopy::add_int32(std::int32_t value) {
  put_uint32(4);
  put_uint32(static_cast<std::uint32_t>(value));
}

void BinaryCopy::add_int64(std::int64_t value) {
  put_uint32(8);
  put_uint64(static_cast<std::uint64_t>(value));
}

void BinaryCopy::add_text(std::string_view value) {
  put_uint32(checked_length(value.size()));
  buffer_.append(value);
}

// Arrays: dimensions, has-null flag, element type, then per dimension its size and lower
// bound, then each element as length and bytes. An empty array has zero dimensions.
void BinaryCopy::add_text_array(const std::vector<std::string>& values) {
  std::size_t bytes = values.empty() ? 12 : 20;
  for (const auto& value : values) {
    bytes += 4 + value.size();
  }
  put_uint32(checked_length(bytes));
  put_uint32(values.empty() ? 0 : 1);
  put_uint32(0);
  put_uint32(kTextOid);
  if (!values.empty()) {
    put_uint32(checked_length(values.size()));
    put_uint32(1);
  }
  for (const auto& value : values) {
    put_uint32(checked_length(value.size()));
    buffer_.append(value);
  }
}

void BinaryCopy::add_int64_array(std::span<const std::int64_t> values) {
  std::size_t bytes = (values.empty() ? 12 : 20) + values.size() * 12;
  put_uint32(checked_length(bytes));
  put_uint32(values.empty() ? 0 : 1);
  put_uint32(0);
  put_uint32(kInt8Oid);
  if (!values.empty()) {
    put_uint32(checked_length(values.size()));
    put_uint32(1);
  }
  for (std::int64_t value : values) {
    put_uint32(8);
    put_uint64(static_cast<std::uint64_t>(value));
  }
}

void BinaryCopy::add_vector(std::span<const float> values) {
  if (values.size() > std::numeric_limits<std::uint16_t>::max()) {
    throw Error("a vector of " + std::to_string(values.size()) +
                " dimensions exceeds pgvector's limit of 16000");
  }
  put_uint32(checked_length(4 + 4 * values.size()));
  put_uint16(static_cast<std::uint16_t>(values.size()));
  put_uint16(0);
  for (float value : values) {
    put_uint32(std::bit_cast<std::uint32_t>(value));
  }
}

void BinaryCopy::flush_if_full() {
  if (buffer_.size() >= kChunkBytes) {
    send_buffer();
    if (on_chunk_sent_) {
      on_chunk_sent_(rows_);
    }
  }
}

void BinaryCopy::send_buffer() {
  if (buffer_.empty()) {
    return;
  }
  if (PQputCopyData(connection_.get(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    throw DatabaseError(
        "sending COPY data failed: " + std::string(PQerrorMessage(connection_.get())), "",
        PQstatus(connection_.get()) != CONNECTION_OK);
  }
  buffer_.clear();
}

std::int64_t BinaryCopy::finish() {
  put_uint16(0xFFFF);
  send_buffer();
  finished_ = true;
  if (PQputCopyEnd(connection_.get(), nullptr) != 1) {
    throw DatabaseError("ending COPY failed: " + std::string(PQerrorMessage(connection_.get())), "",
                        PQstatus(connection_.get()) != CONNECTION_OK);
  }

  Result result(PQgetResult(connection_.get()));
  // A COPY has exactly one result; the trailing null ends the command.
  while (PGresult* extra = PQgetResult(connection_.get())) {
    PQclear(extra);
  }
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    std::string message = PQresultErrorMessage(result.get());
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    throw DatabaseError("statement '" + statement_ + "' failed: " + message,
                        state != nullptr ? state : "",
                        PQstatus(connection_.get()) != CONNECTION_OK);
  }
  return result.affected_rows();
}

}  // namespace recsys::db
