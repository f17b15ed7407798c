#include "inference/deadline_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.hpp"

namespace recsys::inference {

namespace {

using Clock = std::chrono::steady_clock;

// The stream of the connection served on this worker thread, for request_timed_out().
thread_local const DeadlineStream* current_stream = nullptr;
// Set by close_after_response() while a request is handled on this worker thread.
thread_local bool close_requested = false;

// Bounds of drain_before_close(): enough for a client to read a response sent while it is
// still writing, too little to hold a worker thread for long.
constexpr std::chrono::milliseconds kDrainTime{1000};
constexpr std::size_t kDrainBytes = 1024 * 1024;

}  // namespace

DeadlineServer::DeadlineServer(ConnectionOptions options) : options_(options) {
  if (::pipe2(shutdown_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Error(std::string("cannot create the shutdown pipe of the HTTP server: ") +
                std::strerror(errno) + "; raise the open-file limit (ulimit -n) if it is reached");
  }
}

DeadlineServer::~DeadlineServer() {
  ::close(shutdown_pipe_[0]);
  ::close(shutdown_pipe_[1]);
}

void DeadlineServer::begin_shutdown() {
  stop();
  // The byte is never read, so the pipe stays readable and wakes every idle connection.
  char byte = 1;
  [[maybe_unused]] ssize_t written = ::write(shutdown_pipe_[1], &byte, 1);
}

std::size_t DeadlineServer::close_connections() {
  std::lock_guard lock(mutex_);
  for (socket_t socket : connections_) {
    ::shutdown(socket, SHUT_RDWR);
  }
  return connections_.size();
}

bool DeadlineServer::request_timed_out() {
  return current_stream != nullptr && current_stream->timed_out();
}

bool DeadlineServer::request_head_too_large() {
  return current_stream != nullptr && current_stream->head_too_large();
}

void DeadlineServer::close_after_response() {
  close_requested = true;
}

void DeadlineServer::drain_before_close(socket_t socket) const {
  ::shutdown(socket, SHUT_WR);
  auto until = Clock::now() + kDrainTime;
  std::array<char, 4096> discarded{};
  for (std::size_t drained = 0; drained < kDrainBytes;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    pollfd descriptors[2] = {{socket, POLLIN, 0}, {shutdown_pipe_[0], POLLIN, 0}};
    if (left.count() <= 0 || ::poll(descriptors, 2, static_cast<int>(left.count())) <= 0 ||
        descriptors[1].revents != 0) {
      return;
    }
    ssize_t count = ::recv(socket, discarded.data(), discarded.size(), MSG_DONTWAIT);
    if (count <= 0) {
      return;  // The client closed its side, or the connection failed.
    }
    drained += static_cast<std::size_t>(count);
  }
}

bool DeadlineServer::wait_for_request(const DeadlineStream& stream) const {
  if (svr_sock_ == INVALID_SOCKET) {
    return false;  // Stopped: no new request on this connection.
  }
  if (stream.has_buffered_input()) {
    return true;
  }

  auto until = Clock::now() + options_.keep_alive_timeout;
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd descriptors[2] = {{stream.socket(), POLLIN, 0}, {shutdown_pipe_[0], POLLIN, 0}};
    int ready = ::poll(descriptors, 2, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (ready < 0 && errno != EINTR) {
      return false;
    }
    if (ready > 0) {
      // A request that arrives together with the shutdown is not started.
      return descriptors[1].revents == 0 && descriptors[0].revents != 0;
    }
  }
}

bool DeadlineServer::process_and_close_socket(socket_t socket) {
  {
    std::lock_guard lock(mutex_);
    connections_.insert(socket);
  }
  DeadlineStream stream(socket, options_.timeouts, options_.max_head_bytes);
  current_stream = &stream;

  bool served = false;
  bool rejected = false;
  for (std::size_t left = options_.keep_alive_max_requests; left > 0; --left) {
    if (!wait_for_request(stream)) {
      break;
    }
    stream.begin_request();
    close_requested = false;
    bool connection_closed = false;
    served = process_request(stream, left == 1, connection_closed, nullptr);
    // The stream buffers the response; a failed send ends the connection like a failed write.
    served = stream.flush() && served;
    rejected = close_requested || stream.head_too_large();
    if (!served || connection_closed || stream.timed_out() || rejected) {
      break;
    }
  }

  current_stream = nullptr;
  close_requested = false;
  if (served && rejected) {
    drain_before_close(socket);
  }
  // Removed before close(), so close_connections() never shuts down a reused descriptor.
  {
    std::lock_guard lock(mutex_);
    connections_.erase(socket);
  }
  ::shutdown(socket, SHUT_RDWR);
  ::close(socket);
  return served;
}

}  // namespace recsys::inference
