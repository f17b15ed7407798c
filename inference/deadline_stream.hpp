#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>

namespace recsys::inference {

// Time limits of one HTTP connection.
struct ConnectionTimeouts {
  std::chrono::milliseconds read{5000};      // Maximum wait for each chunk of a request.
  std::chrono::milliseconds request{10000};  // Maximum time to receive one whole request.
  std::chrono::milliseconds write{5000};     // Maximum time to send one whole response.
};

// cpp-httplib's Stream over a connected socket with a deadline for receiving each request and
// one for sending each response, and a limit on the bytes of each request's head (request line
// and headers). httplib's own stream bounds each read and write separately, so a client that
// sends or reads one byte at a time could hold a worker thread forever, and httplib keeps
// every header line in memory before any size check.
// Writes are buffered until flush(), a read or kMaxPendingOutput bytes, so that a response's
// head and body, which httplib writes separately, leave in one send().
class DeadlineStream : public httplib::Stream {
 public:
  // `max_head_bytes` bounds the request line plus the headers, line ends included.
  DeadlineStream(socket_t socket, ConnectionTimeouts timeouts, std::size_t max_head_bytes);

  // Starts the clock of the next request; call before httplib reads it.
  void begin_request();
  // True when bytes of the next request are already buffered.
  bool has_buffered_input() const { return buffer_begin_ < buffer_end_; }
  // True when the current request was not received within the timeouts.
  bool timed_out() const { return timed_out_; }
  // True when the current request's head went past max_head_bytes. Reads then fail, except
  // that an unfinished request line is first ended with a line feed, so that httplib parses
  // what it has and responds with an error instead of closing without a response.
  bool head_too_large() const { return head_too_large_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* data, size_t size) override;
  // Appends `data` to the output buffer. When the buffer would pass kMaxPendingOutput bytes,
  // sends the buffer and then `data` instead.
  ssize_t write(const char* data, size_t size) override;
  using httplib::Stream::write;
  // Sends the buffered output within the write timeout. Returns false when that failed.
  bool flush();
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return socket_; }

 private:
  using Clock = std::chrono::steady_clock;

  // NOTE: a streamed response (an httplib content provider) would be held back until this
  // many bytes are buffered or the response ends. No route streams today.
  static constexpr std::size_t kMaxPendingOutput = 64 * 1024;

  // Waits up to the read timeout, cut at the request deadline, for input.
  bool wait_readable() const;
  // Receives into the empty input buffer and returns recv()'s result.
  ssize_t fill_buffer();
  // Sends `size` bytes within the write deadline. Returns false when that failed.
  bool send_all(const char* data, std::size_t size);
  // How many of the next `count` buffered bytes may be handed to httplib under the head limit;
  // 0 once it is reached. Marks the end of the head when it is among them.
  std::size_t count_head_bytes(std::size_t count);

  socket_t socket_;
  ConnectionTimeouts timeouts_;
  Clock::time_point request_deadline_;
  Clock::time_point write_deadline_;
  bool writing_ = false;  // Set by the first write after a read; a read clears it.
  mutable bool timed_out_ = false;
  std::size_t max_head_bytes_;
  std::size_t head_bytes_ = 0;  // Bytes of the current request's head handed out so far.
  bool in_head_ = true;         // False once the blank line after the headers was read.
  bool request_line_ended_ = false;
  unsigned last_bytes_ = 0;  // The last three head bytes, to spot "\n\r\n".
  bool head_too_large_ = false;
  std::array<char, 4096> buffer_{};
  std::size_t buffer_begin_ = 0;
  std::size_t buffer_end_ = 0;
  std::string pending_output_;
  bool output_failed_ = false;  // A send failed: the connection is unusable.
};

}  // namespace recsys::inference
