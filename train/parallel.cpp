#include "train/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace recsys {

int resolve_thread_count(int requested) {
  if (requested > 0) {
    return requested;
  }
  return std::max(1U, std::thread::hardware_concurrency());
}

void parallel_for(std::int64_t count, int threads, std::int64_t chunk,
                  const std::function<void(std::int64_t, std::int64_t, int)>& body) {
  if (count <= 0) {
    return;
  }
  chunk = std::max<std::int64_t>(1, chunk);
  const std::int64_t chunks = (count + chunk - 1) / chunk;
  const int workers = static_cast<int>(std::min<std::int64_t>(std::max(1, threads), chunks));

  std::atomic<std::int64_t> next_chunk{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;

  auto work = [&](int worker) {
    while (!failed.load(std::memory_order_relaxed)) {
      const std::int64_t claimed = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (claimed >= chunks) {
        return;
      }
      const std::int64_t begin = claimed * chunk;
      try {
        body(begin, std::min(count, begin + chunk), worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) {
          first_error = std::current_exception();
        }
        failed = true;
      }
    }
  };

  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers - 1));
  for (int worker = 1; worker < workers; ++worker) {
    pool.emplace_back(work, worker);
  }
  work(0);
  for (auto& thread : pool) {
    thread.join();
  }
  if (first_error) {
    std::rethrow_exception(first_error);
  }
}

}  // namespace recsys
