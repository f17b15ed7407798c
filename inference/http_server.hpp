#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "inference/router.hpp"
#include "inference/service_metrics.hpp"

namespace recsys::inference {

class DeadlineServer;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port; bind() returns it.
  // Worker threads. An open keep-alive connection occupies one while it lasts, so this is
  // also the number of clients served at once.
  int threads = 8;
  std::size_t max_body_bytes = 64 * 1024;      // Larger bodies get 413.
  std::size_t max_header_bytes = 16 * 1024;    // Larger header blocks get 431.
  std::chrono::seconds read_timeout{5};        // Maximum wait for each chunk of a request.
  std::chrono::seconds request_timeout{10};    // Maximum time to receive a whole request; 408.
  std::chrono::seconds write_timeout{5};       // Maximum time to send a whole response.
  std::chrono::seconds keep_alive_timeout{5};  // Idle time before a connection is closed.
  int keep_alive_max_requests = 1000;          // Requests per connection before it is closed.
  // After stop(), the time requests in progress get before their connections are closed.
  // 7 s plus a 2 s statement timeout ends before docker stop's SIGKILL, 10 s after SIGTERM.
  std::chrono::seconds shutdown_timeout{7};
  bool access_log = true;  // One log line per request.
};

// The HTTP front of the service on cpp-httplib: routing through a Router, size limits and
// timeouts, JSON bodies for every error (including those the library raises itself: 400,
// 408, 413, 414), one access-log line and the request metrics per request, and a shutdown
// that closes the connections still open after options.shutdown_timeout.
class HttpServer {
 public:
  // `model_version` returns the served model version for the access log ("-" for none).
  HttpServer(HttpServerOptions options, const Router& router, ServiceMetrics& metrics,
             std::function<std::string()> model_version);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket; returns the port. Throws recsys::Error when binding fails.
  int bind();
  // Serves until stop(). Requests in progress then get options.shutdown_timeout to finish;
  // the connections still open after it are closed, and serve() returns once their threads
  // have returned.
  void serve();
  // Stops accepting connections and closes idle ones; safe to call from any thread and more
  // than once. A call before serve() makes serve() return at once, unless serve() has already
  // begun; then only a call once the server listens stops it.
  void stop();

 private:
  void configure();
  void dispatch(const httplib::Request& request, httplib::Response& response);
  void log_request(const httplib::Request& request, const httplib::Response& response);
  // Closes the connections still open once options_.shutdown_timeout has passed after stop().
  void enforce_shutdown_timeout();
  // Marks the listening loop as ended and joins the thread of enforce_shutdown_timeout().
  void finish_drain();

  HttpServerOptions options_;
  const Router& router_;
  ServiceMetrics& metrics_;
  std::function<std::string()> model_version_;
  std::unique_ptr<DeadlineServer> server_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopped_{false};

  std::mutex drain_mutex_;
  std::condition_variable drain_done_;
  bool drained_ = false;        // serve() has returned from the listening loop.
  std::thread drain_watchdog_;  // Started by stop(); runs enforce_shutdown_timeout().
};

}  // namespace recsys::inference
