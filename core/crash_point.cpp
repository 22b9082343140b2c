#include "core/crash_point.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace adxflow::crash {

std::atomic<bool> g_armed{false};

namespace {

// The armed point. Written only while g_armed is false (at start or by a test thread that arms before
// starting the code under test), read by Hit() after it saw g_armed true.
std::mutex g_mu;
std::string g_name;
uint64_t g_nth = 1;
std::atomic<uint64_t> g_hits{0};
std::atomic<CrashAction> g_action{nullptr};

void WriteAll(const std::string& text) noexcept {
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

// Armed from the environment before main(): the daemon needs no flag, and a test arms the real binary by
// setting the variable for the child alone. The object file is linked wherever a point exists, so this runs
// in every program that has points.
struct ArmFromEnvironment {
    ArmFromEnvironment() {
        const char* spec = std::getenv("ADXFLOW_CRASH_AT");
        if (!spec || !*spec) return;
        if (!Arm(spec)) {
            WriteAll(std::string("adxflow: ignoring malformed ADXFLOW_CRASH_AT=") + spec +
                     " (expected name or name:nth)\n");
            return;
        }
        WriteAll(std::string("adxflow: crash point armed: ") + spec + " (test builds only; the process " +
                 "kills itself there)\n");
    }
};
const ArmFromEnvironment g_from_environment;

}  // namespace

bool Arm(const std::string& spec) {
    if (spec.empty()) {
        Disarm();
        return true;
    }
    std::string name = spec;
    uint64_t nth = 1;
    if (auto colon = spec.rfind(':'); colon != std::string::npos) {
        name = spec.substr(0, colon);
        const std::string count = spec.substr(colon + 1);
        if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos || count.size() > 9)
            return false;
        nth = std::stoull(count);
        if (nth == 0) return false;
    }
    if (name.empty()) return false;
    std::lock_guard g(g_mu);
    g_armed.store(false, std::memory_order_relaxed);
    g_name = std::move(name);
    g_nth = nth;
    g_hits.store(0, std::memory_order_relaxed);
    g_armed.store(true, std::memory_order_release);
    return true;
}

void Disarm() {
    std::lock_guard g(g_mu);
    g_armed.store(false, std::memory_order_relaxed);
    g_name.clear();
    g_hits.store(0, std::memory_order_relaxed);
}

std::string ArmedPoint() {
    std::lock_guard g(g_mu);
    return g_armed.load(std::memory_order_relaxed) ? g_name : std::string();
}

uint64_t HitCount() {
    return g_hits.load(std::memory_order_relaxed);
}

void SetCrashActionForTesting(CrashAction action) {
    g_action.store(action, std::memory_order_relaxed);
}

void Hit(const char* name) noexcept {
    // A mutex rather than lock-free counting: only an armed process gets here, and the lock makes the nth
    // hit exactly one thread's, however many workers pass the point at once.
    std::unique_lock g(g_mu);
    if (!g_armed.load(std::memory_order_relaxed) || std::strcmp(name, g_name.c_str()) != 0) return;
    const uint64_t hits = g_hits.fetch_add(1, std::memory_order_relaxed) + 1;
    if (hits != g_nth) return;
    if (CrashAction action = g_action.load(std::memory_order_relaxed)) {
        g.unlock();
        action(name);
        return;
    }
    WriteAll(std::string("adxflow crash point ") + name + " hit " + std::to_string(hits) +
             " time(s): SIGKILL\n");
    // SIGKILL cannot be caught or blocked: the process ends here, in the middle of whatever it was doing,
    // with the lock held. Nothing after this line runs.
    ::kill(::getpid(), SIGKILL);
    ::_exit(137);  // unreachable unless the kill failed
}

}  // namespace adxflow::crash
