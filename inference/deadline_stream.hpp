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
// one for sending each response. httplib's own stream bounds each read and write separately,
// so a client that sends or reads one byte at a time could hold a worker thread forever.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(socket_t socket, ConnectionTimeouts timeouts);

  // Starts the clock of the next request; call before httplib reads it.
  void begin_request();
  // True when bytes of the next request are already buffered.
  bool has_buffered_input() const { return buffer_begin_ < buffer_end_; }
  // True when the current request was not received within the timeouts.
  bool timed_out() const { return timed_out_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* data, size_t size) override;
  ssize_t write(const char* data, size_t size) override;
  using httplib::Stream::write;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return socket_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Waits up to the read timeout, cut at the request deadline, for input.
  bool wait_readable() const;

  socket_t socket_;
  ConnectionTimeouts timeouts_;
  Clock::time_point request_deadline_;
  Clock::time_point write_deadline_;
  bool writing_ = false;  // Set by the first write after a read; a read clears it.
  mutable bool timed_out_ = false;
  std::array<char, 4096> buffer_{};
  std::size_t buffer_begin_ = 0;
  std::size_t buffer_end_ = 0;
};

}  // namespace recsys::inference
