#include "inference/http_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <exception>
#include <optional>

#include "core/error.hpp"
#include "inference/api_error.hpp"
#include "inference/api_json.hpp"
#include "inference/deadline_server.hpp"

namespace recsys::inference {

namespace {

// Route and start time of the request handled on this worker thread, for the access log and
// the metrics. The pre-routing handler sets them, and the post-routing handler, which runs on
// the same thread just before the response is sent, reads and resets them.
struct RequestContext {
  bool active = false;
  std::chrono::steady_clock::time_point start;
  std::string route = kUnmatchedRoute;
};

thread_local RequestContext current_request;

// The method label: one of the methods the server parses, anything else "other", so that a
// client cannot add label values.
std::string method_label(const std::string& method) {
  static const std::array<std::string, 9> known = {"GET",     "HEAD",  "POST",    "PUT",  "DELETE",
                                                   "OPTIONS", "PATCH", "CONNECT", "TRACE"};
  return std::find(known.begin(), known.end(), method) != known.end() ? method : "other";
}

// The body length that the Content-Length headers of a request declare, once checked.
struct DeclaredLength {
  enum class Kind { kNone, kValid, kInvalid, kConflicting, kTooLarge } kind = Kind::kNone;
  std::string value;  // The offending value, for the error message.
};

// Checks every Content-Length header before httplib reads the body. httplib takes "abc" as 0
// and "-1" as a huge length, which it waits for even beyond the body limit. Of several
// headers it uses the first, while a proxy in front may use another.
DeclaredLength declared_length(const httplib::Request& request, std::size_t max_body_bytes) {
  DeclaredLength declared;
  std::optional<std::uint64_t> length;
  auto [begin, end] = request.headers.equal_range("Content-Length");
  for (auto it = begin; it != end; ++it) {
    const std::string& text = it->second;
    std::uint64_t value = 0;
    auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
    if (digits && error == std::errc::result_out_of_range) {
      return {DeclaredLength::Kind::kTooLarge, text};
    }
    if (!digits || error != std::errc() || last != text.data() + text.size()) {
      return {DeclaredLength::Kind::kInvalid, text};
    }
    if (length && *length != value) {
      return {DeclaredLength::Kind::kConflicting, text};
    }
    length = value;
  }
  if (!length) {
    return declared;
  }
  if (*length > max_body_bytes) {
    return {DeclaredLength::Kind::kTooLarge, std::to_string(*length)};
  }
  return {DeclaredLength::Kind::kValid, std::to_string(*length)};
}

// Code and message of an error status that the HTTP library set without a body.
std::pair<std::string, std::string> library_error(int status, const HttpServerOptions& options) {
  switch (status) {
    case 400:
      return {"bad_request", "the request could not be parsed as HTTP/1.1"};
    case 404:
      return {"not_found", "no such route"};
    case 413:
      return {"payload_too_large",
              "the request body exceeds " + std::to_string(options.max_body_bytes) + " bytes"};
    case 414:
      return {"uri_too_long", "the request target is too long"};
    case 416:
      return {"range_not_satisfiable", "range requests are not supported"};
    default:
      return {"http_error", "the request failed with HTTP status " + std::to_string(status)};
  }
}

ConnectionOptions connection_options(const HttpServerOptions& options) {
  ConnectionOptions connection;
  connection.timeouts.read = options.read_timeout;
  connection.timeouts.request = options.request_timeout;
  connection.timeouts.write = options.write_timeout;
  connection.keep_alive_timeout = options.keep_alive_timeout;
  connection.keep_alive_max_requests = static_cast<std::size_t>(options.keep_alive_max_requests);
  connection.max_head_bytes = options.max_header_bytes;
  return connection;
}

// A printable, bounded copy of the request target for the access log.
std::string loggable_target(const std::string& target) {
  std::string text;
  for (char c : target.substr(0, 200)) {
    text += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return target.size() > 200 ? text + "..." : text;
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, const Router& router, ServiceMetrics& metrics,
                       std::function<std::string()> model_version)
    : options_(std::move(options)),
      router_(router),
      metrics_(metrics),
      model_version_(std::move(model_version)),
      server_(std::make_unique<DeadlineServer>(connection_options(options_))) {
  if (options_.threads < 1) {
    throw Error("--threads must be at least 1, got " + std::to_string(options_.threads));
  }
  configure();
}

HttpServer::~HttpServer() {
  finish_drain();
}

void HttpServer::configure() {
  // NOTE: DeadlineServer bounds the time of each request and response, but a connection
  // still takes a worker thread while it lasts. --threads clients that reconnect as soon as
  // they time out keep the service busy, so put a reverse proxy that buffers whole requests
  // (such as nginx) in front of it when it faces untrusted clients.
  const auto threads = static_cast<std::size_t>(options_.threads);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(options_.read_timeout);
  server_->set_write_timeout(options_.write_timeout);
  server_->set_keep_alive_timeout(options_.keep_alive_timeout.count());
  server_->set_keep_alive_max_count(static_cast<std::size_t>(options_.keep_alive_max_requests));
  server_->set_tcp_nodelay(true);
  // httplib's default options set SO_REUSEPORT, which lets a second server bind the same port
  // and silently take half the connections. SO_REUSEADDR alone still allows a restart while
  // old connections sit in TIME_WAIT, and a second server fails with "address in use".
  server_->set_socket_options([](socket_t socket) {
    int enable = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));
  });

  server_->set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        current_request.active = true;
        current_request.start = std::chrono::steady_clock::now();
        current_request.route = router_.route_label(request.method, request.path);
        // Every rejection below leaves the body unread, so the connection cannot carry another
        // request: "Connection: close" makes the post-routing handler close it.
        auto length = declared_length(request, options_.max_body_bytes);
        if (length.kind == DeclaredLength::Kind::kTooLarge) {
          write_error(response, 413, "payload_too_large",
                      "Content-Length " + loggable_target(length.value) + " exceeds " +
                          std::to_string(options_.max_body_bytes) +
                          " bytes (--max-body-bytes); send a smaller body");
          response.set_header("Connection", "close");
          return httplib::Server::HandlerResponse::Handled;
        }
        if (length.kind == DeclaredLength::Kind::kInvalid ||
            length.kind == DeclaredLength::Kind::kConflicting) {
          write_error(response, 400, "bad_request",
                      length.kind == DeclaredLength::Kind::kInvalid
                          ? "Content-Length \"" + loggable_target(length.value) +
                                "\" is not a number of bytes; send digits only"
                          : "the request has several Content-Length headers with different "
                            "values; send exactly one");
          response.set_header("Connection", "close");
          return httplib::Server::HandlerResponse::Handled;
        }
        // httplib 0.11 checks the body size limit only against Content-Length, so a chunked
        // body could grow without bound.
        if (request.has_header("Transfer-Encoding")) {
          write_error(response, 411, "length_required",
                      "chunked request bodies are not accepted: send the body with a "
                      "Content-Length header");
          response.set_header("Connection", "close");
          return httplib::Server::HandlerResponse::Handled;
        }
        // A request without Content-Length or Transfer-Encoding has no body (RFC 9112, section
        // 6.3), but httplib would wait for one until the read timeout. Dispatch it now.
        const bool body_method =
            request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
        if (body_method && length.kind == DeclaredLength::Kind::kNone) {
          this->dispatch(request, response);
          return httplib::Server::HandlerResponse::Handled;
        }
        // httplib reads no body for the other methods (DELETE aside), so a body sent with them
        // would be parsed as the next request.
        if (!body_method && request.method != "DELETE" &&
            length.kind == DeclaredLength::Kind::kValid && length.value != "0") {
          response.set_header("Connection", "close");
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });

  auto dispatch = [this](const httplib::Request& request, httplib::Response& response) {
    this->dispatch(request, response);
  };
  server_->Get(".*", dispatch);
  server_->Post(".*", dispatch);
  server_->Put(".*", dispatch);
  server_->Patch(".*", dispatch);
  server_->Delete(".*", dispatch);
  server_->Options(".*", dispatch);

  httplib::Server::HandlerWithResponse error_handler = [this](const httplib::Request&,
                                                              httplib::Response& response) {
    // httplib reports a request whose head DeadlineStream cut short as 400 or 414.
    if (DeadlineServer::request_head_too_large()) {
      write_error(response, 431, "headers_too_large",
                  "the request line and headers exceed " +
                      std::to_string(options_.max_header_bytes) +
                      " bytes (--max-header-bytes); send fewer or shorter headers");
      response.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    // httplib reports a request it could not read in time as 400.
    if (DeadlineServer::request_timed_out()) {
      write_error(response, 408, "request_timeout",
                  "the request was not received within " +
                      std::to_string(options_.request_timeout.count()) +
                      " s (--request-timeout), or a part of it not within " +
                      std::to_string(options_.read_timeout.count()) +
                      " s (--read-timeout); send the whole request at once");
      response.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!response.body.empty()) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    auto [code, message] = library_error(response.status, options_);
    write_error(response, response.status, code, message);
    // The library rejected the request before reading all of it (a bad request line or
    // header, a long target, a Range header): what follows is not a request.
    response.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  };
  server_->set_error_handler(std::move(error_handler));

  server_->set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& exception) {
          what = exception.what();
        } catch (...) {
        }
        spdlog::error("internal error on {} {}: {}", request.method, loggable_target(request.path),
                      what);
        write_error(response, 500, "internal_error",
                    "the service failed unexpectedly; the error is in its log");
      });

  // The post-routing handler runs for every response, the library's own errors included, just
  // before it is sent, so a client that got its response also finds it in the metrics.
  server_->set_post_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        // httplib itself neither closes the connection after a "Connection: close" response
        // nor leaves out its Keep-Alive header, and may add a second "Connection: close".
        if (response.get_header_value("Connection") == "close") {
          response.headers.erase("Connection");
          response.headers.erase("Keep-Alive");
          response.set_header("Connection", "close");
          DeadlineServer::close_after_response();
        }
        log_request(request, response);
      });
}

void HttpServer::dispatch(const httplib::Request& request, httplib::Response& response) {
  auto lookup = router_.find(request.method, request.path);
  if (lookup.route == nullptr) {
    if (!lookup.allowed_methods.empty()) {
      std::string allowed;
      for (const auto& method : lookup.allowed_methods) {
        allowed += (allowed.empty() ? "" : ", ") + method;
      }
      response.set_header("Allow", allowed);
      write_error(response, 405, "method_not_allowed",
                  request.method + " is not allowed on " + loggable_target(request.path) +
                      "; allowed: " + allowed);
      return;
    }
    write_error(response, 404, "not_found",
                "no route " + method_label(request.method) + " " + loggable_target(request.path) +
                    "; GET /openapi.json lists the routes");
    return;
  }

  try {
    lookup.route->handler(request, response, lookup.parameters);
  } catch (const ApiError& error) {
    write_error(response, error.status(), error.code(), error.what());
  }
}

void HttpServer::log_request(const httplib::Request& request, const httplib::Response& response) {
  auto method = method_label(request.method);
  auto status = std::to_string(response.status);
  std::string route = current_request.active ? current_request.route : kUnmatchedRoute;
  double seconds = -1.0;
  if (current_request.active) {
    seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - current_request.start)
            .count();
  }
  current_request = RequestContext{};

  metrics_.http_requests.series({method, route, status}).increment();
  // Requests rejected before the headers were parsed have no start time and no duration.
  if (seconds >= 0.0) {
    metrics_.http_request_duration.series({method, route}).observe(seconds);
  }
  if (options_.access_log) {
    spdlog::info("{} {} {} {} {:.2f} ms model={} path={}", request.remote_addr, method, route,
                 status, seconds >= 0.0 ? seconds * 1000.0 : 0.0, model_version_(),
                 loggable_target(request.path));
  }
}

int HttpServer::bind() {
  int port = 0;
  if (options_.port == 0) {
    port = server_->bind_to_any_port(options_.host);
    if (port <= 0) {
      throw Error("cannot bind a free port on " + options_.host +
                  ": check --host names a local address");
    }
  } else if (server_->bind_to_port(options_.host, options_.port)) {
    port = options_.port;
  } else {
    throw Error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                ": the port is in use or the address is not local; choose --host/--port");
  }
  return port;
}

void HttpServer::serve() {
  if (!stop_requested_.load()) {
    server_->listen_after_bind();
  }
  finish_drain();
}

void HttpServer::stop() {
  stop_requested_ = true;
  // httplib's stop() acts only while the server listens, and must run only once.
  if (!server_->is_running() || stopped_.exchange(true)) {
    return;
  }
  server_->begin_shutdown();
  std::lock_guard lock(drain_mutex_);
  if (!drained_) {
    drain_watchdog_ = std::thread([this] { enforce_shutdown_timeout(); });
  }
}

void HttpServer::finish_drain() {
  std::thread watchdog;
  {
    std::lock_guard lock(drain_mutex_);
    drained_ = true;
    watchdog = std::move(drain_watchdog_);
  }
  drain_done_.notify_all();
  if (watchdog.joinable()) {
    watchdog.join();
  }
}

void HttpServer::enforce_shutdown_timeout() {
  {
    std::unique_lock lock(drain_mutex_);
    if (drain_done_.wait_for(lock, options_.shutdown_timeout, [this] { return drained_; })) {
      return;
    }
  }
  std::size_t closed = server_->close_connections();
  if (closed > 0) {
    spdlog::warn(
        "shutdown timeout of {} s reached: closing {} connections still open; their requests "
        "get no response",
        options_.shutdown_timeout.count(), closed);
  }
}

}  // namespace recsys::inference
