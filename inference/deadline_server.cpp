#include "inference/deadline_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.hpp"

namespace recsys::inference {

namespace {

using Clock = std::chrono::steady_clock;

// The stream of the connection served on this worker thread, for request_timed_out().
thread_local const DeadlineStream* current_stream = nullptr;

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
  DeadlineStream stream(socket, options_.timeouts);
  current_stream = &stream;

  bool served = false;
  for (std::size_t left = options_.keep_alive_max_requests; left > 0; --left) {
    if (!wait_for_request(stream)) {
      break;
    }
    stream.begin_request();
    bool connection_closed = false;
    served = process_request(stream, left == 1, connection_closed, nullptr);
    if (!served || connection_closed || stream.timed_out()) {
      break;
    }
  }

  current_stream = nullptr;
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
