#pragma once

#include <chrono>
#include <thread>

namespace recsys::testing {

// Waits until `condition` holds, checking every 100 ms; false after `seconds`.
template <typename Condition>
bool eventually(Condition&& condition, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace recsys::testing
