#include "core/engine/worker_pool.hpp"

namespace adxflow::engine {

WorkerPool::WorkerPool(size_t size) {
    if (size == 0) size = 1;
    threads_.reserve(size);
    for (size_t i = 0; i < size; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
    Shutdown();
}

void WorkerPool::Shutdown() {
    {
        std::lock_guard g(mu_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
        queue_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void WorkerPool::Submit(std::function<void()> task) {
    {
        std::lock_guard g(mu_);
        if (stopping_) return;
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
}

size_t WorkerPool::busy() const {
    std::lock_guard g(mu_);
    return busy_;
}

void WorkerPool::Loop() {
    while (true) {
        std::function<void()> task;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_ && queue_.empty()) return;
            task = std::move(queue_.front());
            queue_.pop_front();
            ++busy_;
        }
        task();
        std::lock_guard g(mu_);
        --busy_;
    }
}

}  // namespace adxflow::engine
