#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace recsys::testing {

// A slowloris client on a real loopback socket: it connects, sends `prefix` at once and then
// one byte of `drip` every `interval_ms` (repeating it), without ever finishing the request.
// A background thread reads whatever the server sends and notes when the server closes the
// connection. The destructor closes the socket and joins the thread.
class SlowClient {
 public:
  SlowClient(int port, std::string prefix, std::string drip, int interval_ms = 300);
  ~SlowClient();
  SlowClient(const SlowClient&) = delete;
  SlowClient& operator=(const SlowClient&) = delete;

  // True once the server closed or reset the connection.
  bool closed_by_server() const { return closed_.load(); }
  // True while the connection is open and has sent at least one byte of `drip`.
  bool dripping() const { return bytes_dripped_.load() > 0 && !closed_.load(); }
  // Everything the server sent, such as an error response.
  std::string received() const;

 private:
  void run(std::string drip, int interval_ms);

  int socket_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> closed_{false};
  std::atomic<long> bytes_dripped_{0};
  mutable std::mutex mutex_;
  std::string received_;
  std::thread thread_;
};

}  // namespace recsys::testing
