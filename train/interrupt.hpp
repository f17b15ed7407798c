#pragma once

#include <string>

#include "core/error.hpp"

namespace recsys {

// Thrown when SIGINT or SIGTERM ends a training run between two iterations.
class TrainingInterrupted : public Error {
 public:
  explicit TrainingInterrupted(int signal_number);
  int signal_number() const { return signal_number_; }

 private:
  int signal_number_;
};

// Catches SIGINT and SIGTERM while it lives, so that a long job can stop cleanly at its next
// check point; the previous handlers come back on destruction. A handler only records the
// signal and resets itself, so a second Ctrl-C ends a run stuck inside an iteration at once.
// Only one guard may live at a time.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // Returns the signal received since the guard was created, or 0.
  static int received_signal();
  // Throws TrainingInterrupted when a signal was received.
  static void throw_if_interrupted();
};

}  // namespace recsys
