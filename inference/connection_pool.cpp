#include "inference/connection_pool.hpp"

#include <spdlog/spdlog.h>

#include <thread>

namespace recsys::inference {

ConnectionPool::ConnectionPool(ConnectionPoolOptions options)
    : options_(std::move(options)),
      description_(db::redact_connection_string(options_.database_url)),
      slots_(static_cast<std::size_t>(std::max(options_.size, 1))) {
  if (options_.size < 1) {
    throw Error("connection pool size must be at least 1, got " + std::to_string(options_.size));
  }
  if (options_.connect_attempts < 1) {
    throw Error("connect attempts must be at least 1, got " +
                std::to_string(options_.connect_attempts));
  }
}

ConnectionPool::~ConnectionPool() {
  std::lock_guard lock(mutex_);
  int open = 0;
  for (const auto& slot : slots_) {
    open += slot.connection ? 1 : 0;
  }
  if (open > 0) {
    spdlog::info("closing {} database connections", open);
  }
}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_), discard_(other.discard_) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) {
    pool_->give_back(slot_, discard_);
  }
}

db::Connection& ConnectionPool::Lease::connection() {
  // The slot is in_use and owned by this lease, so its connection cannot change under us.
  return *pool_->slots_[slot_].connection;
}

std::unique_ptr<db::Connection> ConnectionPool::open_connection() {
  auto backoff = options_.connect_backoff;
  for (int attempt = 1;; ++attempt) {
    try {
      auto connection = std::make_unique<db::Connection>(options_.database_url);
      connection->execute("SET statement_timeout = " +
                          std::to_string(options_.statement_timeout.count()));
      db::configure_session(*connection, options_.search);
      if (attempt > 1) {
        spdlog::info("database connection to {} opened on attempt {}", description_, attempt);
      }
      return connection;
    } catch (const db::DatabaseError& error) {
      {
        std::lock_guard lock(mutex_);
        ++totals_.connect_failures;
        last_connect_error_ = error.what();
      }
      if (attempt >= options_.connect_attempts) {
        spdlog::error("database connection to {} failed after {} attempts: {}", description_,
                      attempt, error.what());
        throw DatabaseUnavailable("the database is unreachable: " + std::string(error.what()));
      }
      spdlog::warn("database connection to {} failed (attempt {} of {}), retrying in {} ms: {}",
                   description_, attempt, options_.connect_attempts, backoff.count(), error.what());
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }
}

ConnectionPool::Lease ConnectionPool::checkout() {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + options_.checkout_timeout;

  for (;;) {
    // Prefer an open connection; the last one returned is the warmest.
    std::size_t chosen = slots_.size();
    for (std::size_t i = slots_.size(); i-- > 0;) {
      if (slots_[i].state == SlotState::idle) {
        chosen = i;
        break;
      }
    }
    if (chosen < slots_.size()) {
      slots_[chosen].state = SlotState::in_use;
      return Lease(this, chosen);
    }

    // One connect at a time: while the database is down, the other requests wait for its
    // outcome instead of each retrying on their own.
    bool connecting = false;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      connecting = connecting || slots_[i].state == SlotState::connecting;
      if (slots_[i].state == SlotState::disconnected && chosen == slots_.size()) {
        chosen = i;
      }
    }
    if (chosen < slots_.size() && !connecting) {
      if (std::chrono::steady_clock::now() < unavailable_until_) {
        reachable_.store(false, std::memory_order_relaxed);
        throw DatabaseUnavailable("the database is unreachable: " + last_connect_error_);
      }
      slots_[chosen].state = SlotState::connecting;
      lock.unlock();

      std::unique_ptr<db::Connection> connection;
      try {
        connection = open_connection();
      } catch (...) {
        reachable_.store(false, std::memory_order_relaxed);
        lock.lock();
        slots_[chosen].state = SlotState::disconnected;
        unavailable_until_ = std::chrono::steady_clock::now() + options_.unavailable_hold;
        slot_freed_.notify_all();
        throw;
      }

      reachable_.store(true, std::memory_order_relaxed);
      lock.lock();
      ++totals_.connect_successes;
      unavailable_until_ = {};
      if (slots_[chosen].reopening) {
        spdlog::info("database connection {} of {} to {} reconnected", chosen + 1, slots_.size(),
                     description_);
      }
      slots_[chosen].connection = std::move(connection);
      slots_[chosen].state = SlotState::in_use;
      slots_[chosen].reopening = true;
      slot_freed_.notify_all();  // Waiters may open the next connection now.
      return Lease(this, chosen);
    }

    if (slot_freed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      ++totals_.checkout_timeouts;
      throw DatabaseUnavailable(
          "no database connection became free within " +
          std::to_string(options_.checkout_timeout.count()) +
          " ms: every connection is busy or being opened; raise --threads or retry");
    }
  }
}

void ConnectionPool::give_back(std::size_t slot, bool discard) {
  std::unique_ptr<db::Connection> closing;
  {
    std::lock_guard lock(mutex_);
    if (discard) {
      closing = std::move(slots_[slot].connection);
      slots_[slot].state = SlotState::disconnected;
    } else {
      slots_[slot].state = SlotState::idle;
    }
  }
  slot_freed_.notify_one();
  // `closing` is destroyed here, outside the lock: PQfinish may wait on the socket.
}

void ConnectionPool::note_lost_connection(const db::DatabaseError& error) {
  {
    std::lock_guard lock(mutex_);
    ++totals_.connections_lost;
  }
  spdlog::warn("database connection to {} lost, reconnecting: {}", description_, error.what());
}

int ConnectionPool::connect_all() {
  std::vector<Lease> leases;
  try {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      leases.push_back(checkout());
    }
  } catch (const DatabaseUnavailable& error) {
    spdlog::warn("opened {} of {} database connections at start: {}", leases.size(), slots_.size(),
                 error.what());
  }
  return static_cast<int>(leases.size());
}

ConnectionPoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  ConnectionPoolStats stats = totals_;
  for (const auto& slot : slots_) {
    switch (slot.state) {
      case SlotState::idle:
        ++stats.idle;
        break;
      case SlotState::in_use:
        ++stats.in_use;
        break;
      case SlotState::connecting:
        ++stats.connecting;
        break;
      case SlotState::disconnected:
        ++stats.disconnected;
        break;
    }
  }
  return stats;
}

}  // namespace recsys::inference
