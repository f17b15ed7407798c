#include "slow_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace recsys::testing {

SlowClient::SlowClient(int port, std::string prefix, std::string drip, int interval_ms) {
  socket_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket_ < 0) {
    throw std::runtime_error("socket() failed");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(socket_);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  if (!prefix.empty() && ::send(socket_, prefix.data(), prefix.size(), MSG_NOSIGNAL) < 0) {
    ::close(socket_);
    throw std::runtime_error("cannot send the request prefix");
  }
  thread_ = std::thread([this, drip = std::move(drip), interval_ms] { run(drip, interval_ms); });
}

SlowClient::~SlowClient() {
  stop_ = true;
  thread_.join();
  ::close(socket_);
}

std::string SlowClient::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

void SlowClient::run(std::string drip, int interval_ms) {
  std::size_t next = 0;
  while (!stop_.load() && !closed_.load()) {
    pollfd descriptor{socket_, POLLIN, 0};
    int ready = ::poll(&descriptor, 1, interval_ms);
    if (ready > 0) {
      char buffer[4096];
      ssize_t count = ::recv(socket_, buffer, sizeof buffer, 0);
      if (count <= 0) {
        closed_ = true;
        break;
      }
      std::lock_guard lock(mutex_);
      received_.append(buffer, static_cast<std::size_t>(count));
      continue;
    }

    if (::send(socket_, &drip[next], 1, MSG_NOSIGNAL) != 1) {
      closed_ = true;
      break;
    }
    ++bytes_dripped_;
    next = (next + 1) % drip.size();
  }
}

}  // namespace recsys::testing
