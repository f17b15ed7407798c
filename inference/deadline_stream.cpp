#include "inference/deadline_stream.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace recsys::inference {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until `socket` is ready for `events` or `until` passes, resuming after signals.
// Returns true when it is ready; an error or hang-up counts as ready, so that the following
// recv or send reports it.
bool wait_for(socket_t socket, short events, Clock::time_point until) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd descriptor{socket, events, 0};
    int ready = ::poll(&descriptor, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (ready > 0) {
      return true;
    }
    if (ready < 0 && errno != EINTR) {
      return false;
    }
  }
}

// Sets `ip` and `port` to the numeric form of the socket's peer or local address.
void numeric_address(socket_t socket, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  if ((peer ? ::getpeername(socket, generic, &length) : ::getsockname(socket, generic, &length)) !=
      0) {
    return;
  }
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(generic, length, host, sizeof host, service, sizeof service,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

}  // namespace

DeadlineStream::DeadlineStream(socket_t socket, ConnectionTimeouts timeouts,
                               std::size_t max_head_bytes)
    : socket_(socket), timeouts_(timeouts), max_head_bytes_(max_head_bytes) {
  begin_request();
}

void DeadlineStream::begin_request() {
  request_deadline_ = Clock::now() + timeouts_.request;
  writing_ = false;
  timed_out_ = false;
  head_bytes_ = 0;
  in_head_ = true;
  request_line_ended_ = false;
  last_bytes_ = 0;
  head_too_large_ = false;
}

std::size_t DeadlineStream::count_head_bytes(std::size_t count) {
  // httplib splits lines at '\n' and ends the headers at the first line that is exactly
  // "\r\n", so the head ends at the first "\n\r\n" after the request line began.
  for (std::size_t i = 0; i < count; ++i) {
    if (head_bytes_ == max_head_bytes_) {
      head_too_large_ = true;
      return i;
    }
    auto byte = static_cast<unsigned char>(buffer_[buffer_begin_ + i]);
    ++head_bytes_;
    last_bytes_ = ((last_bytes_ << 8) | byte) & 0xffffffU;
    if (byte == '\n') {
      if (request_line_ended_ && last_bytes_ == 0x0a0d0aU) {
        in_head_ = false;
        return i + 1;
      }
      request_line_ended_ = true;
    }
  }
  return count;
}

bool DeadlineStream::wait_readable() const {
  auto until = std::min(Clock::now() + timeouts_.read, request_deadline_);
  if (wait_for(socket_, POLLIN, until)) {
    return true;
  }
  timed_out_ = true;
  return false;
}

bool DeadlineStream::is_readable() const {
  return has_buffered_input() || wait_readable();
}

bool DeadlineStream::is_writable() const {
  return !output_failed_ &&
         wait_for(socket_, POLLOUT, writing_ ? write_deadline_ : Clock::now() + timeouts_.write);
}

ssize_t DeadlineStream::fill_buffer() {
  if (Clock::now() >= request_deadline_) {
    timed_out_ = true;  // Even when more bytes are already queued.
    return -1;
  }
  // Waiting only when nothing has arrived saves a poll() per request on a busy connection.
  ssize_t count = ::recv(socket_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
  while (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    if (errno != EINTR && !wait_readable()) {
      return -1;
    }
    count = ::recv(socket_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
  }
  if (count > 0) {
    buffer_begin_ = 0;
    buffer_end_ = static_cast<std::size_t>(count);
  }
  return count;
}

ssize_t DeadlineStream::read(char* data, size_t size) {
  // The client may wait for what was written before it sends more ("100 Continue").
  if (!pending_output_.empty() && !flush()) {
    return -1;
  }
  writing_ = false;
  if (head_too_large_) {
    if (!request_line_ended_ && size > 0) {
      request_line_ended_ = true;
      data[0] = '\n';
      return 1;
    }
    return -1;
  }
  if (!has_buffered_input()) {
    ssize_t count = fill_buffer();
    if (count <= 0) {
      return count;  // 0: the client closed the connection.
    }
  }

  std::size_t count = std::min(size, buffer_end_ - buffer_begin_);
  if (in_head_) {
    count = count_head_bytes(count);
    if (count == 0) {
      return read(data, size);  // The limit is reached: fail as above.
    }
  }
  std::memcpy(data, buffer_.data() + buffer_begin_, count);
  buffer_begin_ += count;
  return static_cast<ssize_t>(count);
}

ssize_t DeadlineStream::write(const char* data, size_t size) {
  if (output_failed_) {
    return -1;
  }
  if (!writing_) {
    writing_ = true;
    write_deadline_ = Clock::now() + timeouts_.write;
  }
  if (pending_output_.size() + size <= kMaxPendingOutput) {
    pending_output_.append(data, size);
    return static_cast<ssize_t>(size);
  }
  // A large write goes out directly, without a copy into the buffer.
  if (!flush() || !send_all(data, size)) {
    return -1;
  }
  return static_cast<ssize_t>(size);
}

bool DeadlineStream::flush() {
  bool sent = send_all(pending_output_.data(), pending_output_.size());
  pending_output_.clear();
  return sent;
}

bool DeadlineStream::send_all(const char* data, std::size_t size) {
  std::size_t sent = 0;
  while (!output_failed_ && sent < size) {
    // MSG_DONTWAIT: a full socket buffer makes send() return at once, and the wait below
    // stops at the response's deadline.
    ssize_t count = ::send(socket_, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (count >= 0) {
      sent += static_cast<std::size_t>(count);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      output_failed_ = !wait_for(socket_, POLLOUT, write_deadline_);
    } else if (errno != EINTR) {
      output_failed_ = true;
    }
  }
  return !output_failed_;
}

void DeadlineStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  numeric_address(socket_, true, ip, port);
}

void DeadlineStream::get_local_ip_and_port(std::string& ip, int& port) const {
  numeric_address(socket_, false, ip, port);
}

}  // namespace recsys::inference
