#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.hpp"

namespace recsys::db {

// Streams rows to "COPY table (columns) FROM STDIN (FORMAT binary)" through PQputCopyData.
// Binary COPY sends integers and floats as they are in memory (in network byte order), so
// the server parses no text and the vectors arrive bit-exact. The format is described in
// the PostgreSQL manual, "COPY", section "Binary Format".
class BinaryCopy {
 public:
  // Starts the COPY; `copy_statement` must end in FROM STDIN (FORMAT binary).
  BinaryCopy(Connection& connection, const std::string& copy_statement);
  // Cancels the COPY unless finish() ran; the surrounding transaction then fails.
  ~BinaryCopy();
  BinaryCopy(const BinaryCopy&) = delete;
  BinaryCopy& operator=(const BinaryCopy&) = delete;

  // Called after each chunk sent to the server with the number of rows sent so far.
  void on_chunk_sent(std::function<void(std::int64_t rows)> callback) {
    on_chunk_sent_ = std::move(callback);
  }

  void begin_row(int fields);
  void add_null();
  void add_int32(std::int32_t value);
  void add_int64(std::int64_t value);
  void add_text(std::string_view value);
  void add_text_array(const std::vector<std::string>& values);
  void add_int64_array(std::span<const std::int64_t> values);
  // A pgvector "vector": uint16 dimension, uint16 unused, then float32 values.
  void add_vector(std::span<const float> values);

  // Sends the rest, ends the COPY and returns the number of rows the server stored.
  std::int64_t finish();

 private:
  void put_uint16(std::uint16_t value);
  void put_uint32(std::uint32_t value);
  void put_uint64(std::uint64_t value);
  void flush_if_full();
  void send_buffer();

  Connection& connection_;
  std::string statement_;
  std::string buffer_;
  std::int64_t rows_ = 0;
  bool finished_ = false;
  std::function<void(std::int64_t)> on_chunk_sent_;
};

}  // namespace recsys::db
