#pragma once

#include <cstdint>
#include <functional>

namespace recsys {

// Returns the number of worker threads to use: `requested` when positive, else the number of
// hardware threads (at least 1).
int resolve_thread_count(int requested);

// Calls body(begin, end, worker) for consecutive chunks of [0, count) on `threads` threads,
// `worker` being the calling thread's index in [0, threads). Threads claim chunks as they
// finish, so a result must depend only on the index range, never on the worker. The first
// exception thrown by a body is rethrown after every thread has stopped.
void parallel_for(
    std::int64_t count, int threads, std::int64_t chunk,
    const std::function<void(std::int64_t begin, std::int64_t end, int worker)>& body);

}  // namespace recsys
