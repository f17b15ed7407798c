#include "train/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <cstring>

namespace recsys {

namespace {

volatile std::sig_atomic_t received = 0;
std::atomic<bool> guard_active{false};
struct sigaction previous_interrupt;
struct sigaction previous_terminate;

extern "C" void record_signal(int signal_number) {
  received = signal_number;
}

void install(int signal_number, struct sigaction* previous) {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction(signal_number, &action, previous);
}

}  // namespace

TrainingInterrupted::TrainingInterrupted(int signal_number)
    : Error(std::string("training interrupted by ") +
            (signal_number == SIGINT    ? "SIGINT"
             : signal_number == SIGTERM ? "SIGTERM"
                                        : "a signal") +
            "; nothing was written"),
      signal_number_(signal_number) {}

InterruptGuard::InterruptGuard() {
  if (guard_active.exchange(true)) {
    throw Error("internal error: only one InterruptGuard may be active at a time");
  }
  received = 0;
  install(SIGINT, &previous_interrupt);
  install(SIGTERM, &previous_terminate);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previous_interrupt, nullptr);
  sigaction(SIGTERM, &previous_terminate, nullptr);
  guard_active = false;
}

int InterruptGuard::received_signal() {
  return received;
}

void InterruptGuard::throw_if_interrupted() {
  const int signal_number = received;
  if (signal_number != 0) {
    throw TrainingInterrupted(signal_number);
  }
}

}  // namespace recsys
