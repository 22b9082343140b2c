#pragma once
// Named crash points for the kill -9 tests. `ADXFLOW_CRASH_POINT(name)` marks a place
// where a crash is interesting: before or after a state commit, before or after a call to the outside world.
// A test arms one point for the daemon it starts:
//
//     ADXFLOW_CRASH_AT=store.batch.after_commit[:nth]   (environment of adxflowd)
//
// and the process kills itself with SIGKILL the nth time (default: the first) that point is passed, as an
// OOM killer or a power cut would: no destructor, no flush, no atexit handler runs. Before dying it writes
// one line to stderr ("adxflow crash point NAME hit N time(s): SIGKILL") so the test can tell that the
// point was reached rather than the daemon dying of something else.
//
// Unarmed (every production start), a point costs one relaxed atomic load and a predictable branch.
// Every point is listed in docs/reliability.md ("Crash points"); tests/unit/crash checks that the list and
// the code agree, and tests/integration/crash kills the daemon at each of them.

#include <atomic>
#include <cstdint>
#include <string>

namespace adxflow::crash {

// True only while a point is armed. Read by the macro; written at start (environment) or by Arm().
extern std::atomic<bool> g_armed;

// Slow path of the macro: counts the hit when `name` is the armed point and dies at the nth one.
void Hit(const char* name) noexcept;

// Arms `spec` ("name" or "name:nth", nth >= 1). An empty spec disarms. False for a malformed spec.
bool Arm(const std::string& spec);
void Disarm();

// The armed point's name ("" when none) and how many times it was passed so far.
std::string ArmedPoint();
uint64_t HitCount();

// For unit tests of the facility: instead of SIGKILL, the nth hit calls `action` (then keeps running).
using CrashAction = void (*)(const char* name);
void SetCrashActionForTesting(CrashAction action);

}  // namespace adxflow::crash

#define ADXFLOW_CRASH_POINT(name)                                                   \
    do {                                                                            \
        if (::adxflow::crash::g_armed.load(std::memory_order_relaxed)) [[unlikely]] \
            ::adxflow::crash::Hit(name);                                            \
    } while (0)
