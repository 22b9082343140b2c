#include "storage/history_pruner.hpp"

#include <spdlog/spdlog.h>

namespace adxflow::storage {

HistoryPruner::HistoryPruner(Store& store, HistoryPrunerOptions options)
    : store_(store), options_(std::move(options)) {}

HistoryPruner::~HistoryPruner() {
    Stop();
}

void HistoryPruner::Start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { Loop(); });
}

void HistoryPruner::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool HistoryPruner::Sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

Result<size_t> HistoryPruner::PruneOnce() {
    return Pass(/*background=*/false);
}

Result<size_t> HistoryPruner::Pass(bool background) {
    // The cutoff is fixed for the pass: runs that age past it meanwhile wait for the next pass.
    const TimePoint cutoff = std::chrono::system_clock::now() - options_.retention;
    size_t total = 0;
    while (true) {
        if (background) {
            std::lock_guard lock(mu_);
            if (stopping_) break;
        }
        ADXFLOW_ASSIGN_OR_RETURN(size_t deleted, store_.PruneHistory(cutoff, options_.batch_runs));
        total += deleted;
        if (deleted > 0 && options_.on_pruned) options_.on_pruned(deleted);
        if (deleted < options_.batch_runs) break;
        if (background && !Sleep(options_.pause)) break;
    }
    return total;
}

void HistoryPruner::Loop() {
    do {
        const auto started = std::chrono::steady_clock::now();
        auto pruned = Pass(/*background=*/true);
        if (!pruned.ok()) {
            spdlog::warn("history: pruning failed (retried at the next pass): {}", pruned.error().Describe());
        } else if (*pruned > 0) {
            spdlog::info("history: deleted {} finished run(s) older than {} day(s) in {} ms", *pruned,
                         std::chrono::duration_cast<std::chrono::hours>(options_.retention).count() / 24,
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count());
        }
    } while (Sleep(options_.interval));
}

}  // namespace adxflow::storage
