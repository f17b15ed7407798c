#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "db/connection.hpp"
#include "db/recommendation_queries.hpp"

namespace recsys::inference {

// The database cannot serve the request now: no connection could be opened, every
// connection stayed busy past the checkout timeout, or the connection broke twice in a row.
// The service answers 503 and recovers by itself once the database is back.
class DatabaseUnavailable : public Error {
 public:
  using Error::Error;
};

struct ConnectionPoolOptions {
  std::string database_url;  // libpq connection string or URL; "" uses the PG* variables.
  int size = 8;              // Connections, one per HTTP worker thread.
  // How long a request waits for a free connection before it fails with 503.
  std::chrono::milliseconds checkout_timeout{2000};
  // SET statement_timeout on every connection: the server cancels a longer statement.
  std::chrono::milliseconds statement_timeout{2000};
  // Attempts to open a connection before the request fails; the wait between attempts
  // starts at connect_backoff and doubles.
  int connect_attempts = 3;
  std::chrono::milliseconds connect_backoff{100};
  // After every attempt failed, requests fail at once for this long instead of each
  // waiting through the attempts again.
  std::chrono::milliseconds unavailable_hold{1000};
  db::SearchSettings search;  // HNSW session settings applied to every new connection.
};

// Connection counts by state, and totals since start, for the metrics endpoint.
struct ConnectionPoolStats {
  int idle = 0;          // Open and free.
  int in_use = 0;        // Checked out by a request.
  int connecting = 0;    // Being opened for a request.
  int disconnected = 0;  // Not open: never opened, broken or closed after an error.
  std::uint64_t checkout_timeouts = 0;
  std::uint64_t connect_successes = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t connections_lost = 0;
};

// A fixed-size pool of PostgreSQL connections shared by the HTTP worker threads. Connections
// are opened on demand, configured once (statement timeout, HNSW settings) and keep their
// prepared statements while they live. A connection that reports itself lost is closed and
// reopened on the next checkout, with logged retries, so the service recovers without a
// restart when the database comes back.
class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionPoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A checked-out connection, returned to the pool when the lease is destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    db::Connection& connection();
    // Marks the connection broken: it is closed instead of returned.
    void discard() { discard_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::size_t slot) : pool_(pool), slot_(slot) {}

    ConnectionPool* pool_;
    std::size_t slot_;
    bool discard_ = false;
  };

  // Returns a free connection, opening one when needed. Throws DatabaseUnavailable when
  // none is free within the checkout timeout or none can be opened.
  Lease checkout();

  // Runs `work(connection)` on a pooled connection and returns its result. When the
  // connection turns out to be lost (for example after a database restart), it is closed
  // and `work` runs once more on a new connection; a second loss throws
  // DatabaseUnavailable. Other errors propagate unchanged. Only for idempotent work.
  template <typename Work>
  auto run(Work&& work) -> decltype(work(std::declval<db::Connection&>()));

  // Opens every connection now, logging failures instead of throwing, so that the first
  // requests do not pay for the connects. Returns how many connections are open.
  int connect_all();

  ConnectionPoolStats stats() const;
  const ConnectionPoolOptions& options() const { return options_; }

  // False from a failed connect until a connection opens or a query through run() succeeds.
  bool database_reachable() const { return reachable_.load(std::memory_order_relaxed); }

 private:
  enum class SlotState { disconnected, connecting, idle, in_use };
  struct Slot {
    SlotState state = SlotState::disconnected;
    std::unique_ptr<db::Connection> connection;
    bool reopening = false;  // The slot had a connection before: the next open is a reconnect.
  };

  std::unique_ptr<db::Connection> open_connection();
  void give_back(std::size_t slot, bool discard);
  void note_lost_connection(const db::DatabaseError& error);

  ConnectionPoolOptions options_;
  std::string description_;  // Server address for logs, without the password.

  mutable std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::vector<Slot> slots_;
  std::chrono::steady_clock::time_point unavailable_until_{};
  std::string last_connect_error_;
  ConnectionPoolStats totals_;  // Only the totals are kept here; counts come from slots_.
  std::atomic<bool> reachable_{false};
};

template <typename Work>
auto ConnectionPool::run(Work&& work) -> decltype(work(std::declval<db::Connection&>())) {
  for (int attempt = 1;; ++attempt) {
    Lease lease = checkout();
    try {
      auto result = work(lease.connection());
      reachable_.store(true, std::memory_order_relaxed);
      return result;
    } catch (const db::DatabaseError& error) {
      if (!error.connection_lost()) {
        throw;
      }
      lease.discard();
      note_lost_connection(error);
      if (attempt >= 2) {
        throw DatabaseUnavailable("the database connection was lost twice in a row: " +
                                  std::string(error.what()));
      }
    }
  }
}

}  // namespace recsys::inference
