#pragma once
// A fixed pool of threads executing activity attempts. Bounded by its size: the scheduler never hands it
// more work than it has free workers, so the queue stays short and a cancelled run has nothing waiting.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace adxflow::engine {

class WorkerPool {
  public:
    explicit WorkerPool(size_t size);
    ~WorkerPool();  // waits for running tasks, drops queued ones
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void Submit(std::function<void()> task);
    size_t size() const { return threads_.size(); }
    size_t busy() const;
    void Shutdown();

  private:
    void Loop();
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    size_t busy_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace adxflow::engine
