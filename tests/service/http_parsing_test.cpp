#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <iterator>
#include <regex>
#include <string>
#include <thread>

#include "service_environment.hpp"
#include "service_process.hpp"

namespace recsys::testing {
namespace {

// What the server sent on one raw connection, and whether it closed the connection.
struct RawReply {
  std::string bytes;
  bool closed = false;  // False when the read gave up after 20 s of silence instead.

  std::size_t responses() const {
    static const std::regex status_line("HTTP/1\\.1 \\d{3}");
    auto begin = std::sregex_iterator(bytes.begin(), bytes.end(), status_line);
    return static_cast<std::size_t>(std::distance(begin, std::sregex_iterator()));
  }
  bool starts_with_status(int status) const {
    return bytes.rfind("HTTP/1.1 " + std::to_string(status), 0) == 0;
  }
  bool asks_to_close() const { return bytes.find("Connection: close\r\n") != std::string::npos; }
};

int connect_loopback(int port) {
  int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket_fd < 0) {
    return -1;
  }
  timeval timeout{20, 0};
  ::setsockopt(socket_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(socket_fd);
    return -1;
  }
  return socket_fd;
}

RawReply read_until_closed(int socket_fd) {
  RawReply reply;
  char buffer[4096];
  for (;;) {
    ssize_t received = ::recv(socket_fd, buffer, sizeof buffer, 0);
    if (received > 0) {
      reply.bytes.append(buffer, static_cast<std::size_t>(received));
      continue;
    }
    // 0 is an orderly close, ECONNRESET a close with unread input; EAGAIN is the timeout.
    reply.closed = received == 0 || errno == ECONNRESET;
    return reply;
  }
}

// Sends `request` verbatim on a new keep-alive connection and returns what the server sends
// until it closes the connection.
RawReply exchange(int port, const std::string& request) {
  int socket_fd = connect_loopback(port);
  if (socket_fd < 0) {
    ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
    return {};
  }
  EXPECT_EQ(::send(socket_fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  RawReply reply = read_until_closed(socket_fd);
  ::close(socket_fd);
  return reply;
}

// The service with its default limits: 64 KiB bodies, 16 KiB request heads.
class HttpParsing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto& environment = ServiceEnvironment::get();
    environment.publish(environment.model_directory("als"), "1");
    service_ = new ServiceProcess({}, "http_parsing.log");
    ASSERT_TRUE(service_->wait_ready()) << service_->log();
  }

  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }

  static int port() { return service_->port(); }

  // Checks that one error response with `code` came back and the connection was then closed.
  static void expect_rejected(const RawReply& reply, int status, const std::string& code) {
    EXPECT_TRUE(reply.starts_with_status(status)) << reply.bytes;
    EXPECT_NE(reply.bytes.find("\"" + code + "\""), std::string::npos) << reply.bytes;
    EXPECT_EQ(reply.responses(), 1U) << reply.bytes;
    EXPECT_TRUE(reply.asks_to_close()) << reply.bytes;
    EXPECT_EQ(reply.bytes.find("Keep-Alive:"), std::string::npos) << reply.bytes;
    EXPECT_TRUE(reply.closed) << "the server kept the connection open";
  }

  static void expect_still_serving() {
    auto health = service_->client()->Get("/healthz");
    ASSERT_TRUE(health) << "the service stopped answering";
    EXPECT_EQ(health->status, 200);
  }

  static ServiceProcess* service_;
};

ServiceProcess* HttpParsing::service_ = nullptr;

constexpr const char* kReload = "POST /admin/reload HTTP/1.1\r\nContent-Length: 0\r\n\r\n";

TEST_F(HttpParsing, EndlessHeadersStopAtTheLimit) {
  int socket_fd = connect_loopback(port());
  ASSERT_GE(socket_fd, 0);
  // 64 MiB of header lines, each under httplib's 8 KiB line limit. A server that read them
  // all before checking their size would hold them all in memory.
  const std::string line = "X-Pad: " + std::string(8000, 'a') + "\r\n";
  const std::size_t total = 64 * 1024 * 1024;
  std::atomic<std::size_t> sent{0};
  std::thread sender([&] {
    std::string head = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";
    if (::send(socket_fd, head.data(), head.size(), MSG_NOSIGNAL) < 0) {
      return;
    }
    while (sent < total) {
      ssize_t count = ::send(socket_fd, line.data(), line.size(), MSG_NOSIGNAL);
      if (count <= 0) {
        return;  // The server closed the connection.
      }
      sent += static_cast<std::size_t>(count);
    }
    ::send(socket_fd, "\r\n", 2, MSG_NOSIGNAL);
  });
  RawReply reply = read_until_closed(socket_fd);
  sender.join();
  ::close(socket_fd);

  expect_rejected(reply, 431, "headers_too_large");
  EXPECT_LT(sent.load(), total) << "the server read every header line";
  expect_still_serving();
}

TEST_F(HttpParsing, LongRequestLineIsRejectedAtTheLimit) {
  std::string target = "/healthz?pad=" + std::string(20000, 'a');
  auto reply = exchange(port(), "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
  expect_rejected(reply, 431, "headers_too_large");
}

TEST_F(HttpParsing, HeadersJustUnderTheLimitAreServed) {
  // Header lines of 4 KiB, under httplib's 8 KiB line limit, and one to fill the rest.
  std::string request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  const std::size_t limit = 16 * 1024;
  for (int i = 0; i < 3; ++i) {
    request += "X-Pad-" + std::to_string(i) + ": " + std::string(4000, 'a') + "\r\n";
  }
  std::string last = "X-Last: ";
  last += std::string(limit - request.size() - last.size() - 4, 'a') + "\r\n";
  request += last + "\r\n";
  ASSERT_EQ(request.size(), limit);
  auto reply = exchange(port(), request);
  EXPECT_TRUE(reply.starts_with_status(200)) << reply.bytes.substr(0, 300);

  // One byte more is over --max-header-bytes.
  request.insert(request.find("X-Last: ") + 8, "a");
  expect_rejected(exchange(port(), request), 431, "headers_too_large");
}

TEST_F(HttpParsing, MalformedRequestLineClosesTheConnection) {
  // Without the close, the second line would be served as a request of its own.
  expect_rejected(exchange(port(), std::string("FOO /healthz HTTP/1.1\r\n") + kReload), 400,
                  "bad_request");
}

TEST_F(HttpParsing, OverlongHeaderLineClosesTheConnection) {
  std::string request =
      "GET /healthz HTTP/1.1\r\nX-Long: " + std::string(9000, 'b') + "\r\n\r\n" + kReload;
  expect_rejected(exchange(port(), request), 400, "bad_request");
}

TEST_F(HttpParsing, ContentLengthOverTheLimitGets413AtOnce) {
  // No body follows, so the response must not wait for one.
  auto reply = exchange(port(),
                        "POST /recommendations HTTP/1.1\r\nHost: localhost\r\n"
                        "Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n");
  expect_rejected(reply, 413, "payload_too_large");
  EXPECT_NE(reply.bytes.find("70000"), std::string::npos) << reply.bytes;

  expect_rejected(exchange(port(),
                           "POST /recommendations HTTP/1.1\r\nContent-Length: "
                           "99999999999999999999999999\r\n\r\n"),
                  413, "payload_too_large");
  expect_still_serving();
}

TEST_F(HttpParsing, InvalidContentLengthGets400) {
  for (const std::string value : {"-1", "abc", "12abc", "+5", "0x10", "1 2"}) {
    SCOPED_TRACE("Content-Length: " + value);
    auto reply = exchange(
        port(), "POST /admin/reload HTTP/1.1\r\nContent-Length: " + value + "\r\n\r\n" + kReload);
    expect_rejected(reply, 400, "bad_request");
    EXPECT_NE(reply.bytes.find("Content-Length"), std::string::npos) << reply.bytes;
  }
}

TEST_F(HttpParsing, ConflictingContentLengthsGet400) {
  auto reply = exchange(port(),
                        "POST /admin/reload HTTP/1.1\r\nContent-Length: 2\r\n"
                        "Content-Length: 40\r\n\r\n{}" +
                            std::string(kReload));
  expect_rejected(reply, 400, "bad_request");
  EXPECT_NE(reply.bytes.find("several Content-Length"), std::string::npos) << reply.bytes;

  // The same length twice is one length.
  auto same = exchange(port(),
                       "POST /admin/reload HTTP/1.1\r\nContent-Length: 2\r\n"
                       "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  EXPECT_TRUE(same.starts_with_status(200)) << same.bytes;
}

TEST_F(HttpParsing, BodyOfAGetIsNotParsedAsARequest) {
  std::string smuggled = kReload;
  auto reply = exchange(port(), "GET /healthz HTTP/1.1\r\nContent-Length: " +
                                    std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
  EXPECT_TRUE(reply.starts_with_status(200)) << reply.bytes;
  EXPECT_EQ(reply.responses(), 1U) << reply.bytes;
  EXPECT_TRUE(reply.closed);
}

TEST_F(HttpParsing, ValidRequestsKeepTheConnection) {
  // Two pipelined requests, the second requesting a close: both get a response.
  auto reply =
      exchange(port(), std::string(kReload) + "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.responses(), 2U) << reply.bytes;
  EXPECT_TRUE(reply.starts_with_status(200)) << reply.bytes;
  EXPECT_NE(reply.bytes.find("Keep-Alive:"), std::string::npos) << reply.bytes;
}

TEST_F(HttpParsing, ContinueIsSentBeforeTheBody) {
  // The service buffers its output, but the interim "100 Continue" must go out before the
  // service waits for the body. Otherwise a client that waits for it stalls.
  const std::string body = R"({"ratings": [{"movie_id": 50, "rating": 5}], "k": 3})";
  int socket_fd = connect_loopback(port());
  ASSERT_GE(socket_fd, 0);
  const std::string head =
      "POST /recommendations HTTP/1.1\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nConnection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  ASSERT_EQ(::send(socket_fd, head.data(), head.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(head.size()));
  char buffer[256];
  ssize_t received = ::recv(socket_fd, buffer, sizeof buffer, 0);
  ASSERT_GT(received, 0) << "no interim response before the body";
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(received)).rfind("HTTP/1.1 100", 0), 0U);

  ASSERT_EQ(::send(socket_fd, body.data(), body.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(body.size()));
  RawReply reply = read_until_closed(socket_fd);
  ::close(socket_fd);
  EXPECT_TRUE(reply.starts_with_status(200)) << reply.bytes;
  EXPECT_NE(reply.bytes.find("\"items\""), std::string::npos) << reply.bytes;
}

TEST_F(HttpParsing, HeadAndBodyArriveTogether) {
  // The head and body leave in one send(), so the first recv() returns the whole response.
  int socket_fd = connect_loopback(port());
  ASSERT_GE(socket_fd, 0);
  const std::string request = "GET /recommendations/1?k=5 HTTP/1.1\r\n\r\n";
  ASSERT_EQ(::send(socket_fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  char buffer[16384];
  ssize_t received = ::recv(socket_fd, buffer, sizeof buffer, 0);
  ::close(socket_fd);
  ASSERT_GT(received, 0);
  std::string first(buffer, static_cast<std::size_t>(received));
  EXPECT_TRUE(first.rfind("HTTP/1.1 200", 0) == 0) << first;
  EXPECT_NE(first.find("\"items\""), std::string::npos) << "the body came in a later segment";
}

}  // namespace
}  // namespace recsys::testing
