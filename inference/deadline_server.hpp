#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_set>

#include "inference/deadline_stream.hpp"

namespace recsys::inference {

// How long connections may stay open and idle.
struct ConnectionOptions {
  ConnectionTimeouts timeouts;
  std::chrono::milliseconds keep_alive_timeout{5000};  // Idle time before the next request.
  std::size_t keep_alive_max_requests = 1000;          // Requests per connection.
  std::size_t max_head_bytes = 16 * 1024;  // Request line plus headers; see DeadlineStream.
};

// cpp-httplib's server with time limits per request and per response and with connections
// that can be closed from another thread. httplib 0.11 reads each connection on a worker
// thread with only a per-read timeout, and Server::stop() waits for every connection to end,
// so slow clients could hold all workers and stall a shutdown forever. This class overrides
// httplib's per-connection loop, the virtual process_and_close_socket, with one that reads
// through DeadlineStream and tracks the open sockets. Accepting, parsing and routing stay
// httplib's.
class DeadlineServer : public httplib::Server {
 public:
  explicit DeadlineServer(ConnectionOptions options);
  ~DeadlineServer() override;
  DeadlineServer(const DeadlineServer&) = delete;
  DeadlineServer& operator=(const DeadlineServer&) = delete;

  // Stops accepting connections and closes the idle ones, as httplib's stop() does; requests
  // in progress go on. Call once, while the server listens.
  void begin_shutdown();
  // Shuts down every connection still open, so that the threads serving them return at their
  // next read or write. Returns how many there were.
  std::size_t close_connections();

  // True when the request handled on the calling worker thread was not received in time.
  static bool request_timed_out();
  // True when the head of the request handled on the calling worker thread went past
  // ConnectionOptions::max_head_bytes, so httplib saw only part of it.
  static bool request_head_too_large();
  // Closes the connection of the calling worker thread once the current response is sent,
  // whatever the request asked. Needed after every rejected request: the bytes httplib left
  // unread (the rest of a malformed head, a body) must not be parsed as the next request.
  static void close_after_response();

 private:
  bool process_and_close_socket(socket_t socket) override;
  // Waits for the next request on `stream`; false when the connection should be closed.
  bool wait_for_request(const DeadlineStream& stream) const;
  // Reads and drops what the client still sends, for a short while, after the response that
  // rejected its request, so that closing does not reset the connection before the client
  // has read that response.
  void drain_before_close(socket_t socket) const;

  ConnectionOptions options_;
  int shutdown_pipe_[2] = {-1, -1};  // Readable once begin_shutdown() ran.
  std::mutex mutex_;
  std::unordered_set<socket_t> connections_;
};

}  // namespace recsys::inference
