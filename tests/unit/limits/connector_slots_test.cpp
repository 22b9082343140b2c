// Per-connector concurrency: never more than N holders of a limited connector, the limit reached under
// contention, a Copy from and to the same connector takes one slot, two connectors taken in opposite
// orders by many threads never deadlock, a cancelled waiter stops waiting, and bad config names its entry.
#include "core/connector_slots.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace adxflow {
namespace {

using namespace std::chrono_literals;

TEST(ConnectorSlots, NeverMoreThanTheLimitAndTheLimitIsUsed) {
    ConnectorSlots slots({{"AzureDataExplorer", 2}});
    std::atomic<int> now{0}, peak{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            CancellationToken cancel;
            // Types are matched case-insensitively.
            auto lease = slots.Acquire({i % 2 ? "azuredataexplorer" : "AzureDataExplorer"}, cancel);
            ASSERT_TRUE(lease.ok());
            const int n = ++now;
            for (int p = peak; n > p && !peak.compare_exchange_weak(p, n);) {
            }
            std::this_thread::sleep_for(30ms);
            --now;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(peak.load(), 2);
    EXPECT_EQ(slots.in_use("AzureDataExplorer"), 0u);
}

TEST(ConnectorSlots, ACopyWithinOneConnectorTakesOneSlotAndUnlistedTypesAreFree) {
    ConnectorSlots slots({{"FileServer", 1}});
    CancellationToken cancel;
    auto copy = slots.Acquire({"FileServer", "FileServer", "AzureBlobStorage"}, cancel);
    ASSERT_TRUE(copy.ok());
    EXPECT_EQ(slots.in_use("FileServer"), 1u);
    EXPECT_EQ(slots.in_use("AzureBlobStorage"), 0u);
    auto other = slots.Acquire({"AzureBlobStorage"}, cancel);
    EXPECT_TRUE(other.ok());
}

TEST(ConnectorSlots, OppositeOrdersNeverDeadlock) {
    ConnectorSlots slots({{"A", 1}, {"B", 1}});
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i)
        threads.emplace_back([&, i] {
            CancellationToken cancel;
            auto lease = slots.Acquire(
                i % 2 ? std::vector<std::string>{"A", "B"} : std::vector<std::string>{"B", "A"}, cancel);
            ASSERT_TRUE(lease.ok());
            std::this_thread::sleep_for(2ms);
            ++done;
        });
    for (auto& t : threads) t.join();  // a deadlock would hang here (ctest timeout)
    EXPECT_EQ(done.load(), 16);
}

TEST(ConnectorSlots, ACancelledWaiterStopsWaitingAndTakesNothing) {
    ConnectorSlots slots({{"A", 1}, {"B", 1}});
    CancellationToken holder_cancel, waiter_cancel;
    auto held = slots.Acquire({"B"}, holder_cancel);
    ASSERT_TRUE(held.ok());
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        waiter_cancel.Cancel(MakeError(ErrorKind::kCancelled, "test", "user cancelled"));
    });
    const auto t0 = std::chrono::steady_clock::now();
    auto waited = slots.Acquire({"A", "B"}, waiter_cancel);  // takes A, then waits for B
    canceller.join();
    ASSERT_FALSE(waited.ok());
    EXPECT_EQ(waited.error().kind, ErrorKind::kCancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    EXPECT_EQ(slots.in_use("A"), 0u) << "the slot taken before the wait was given back";
}

TEST(ConnectorSlots, BadEntriesAreNamed) {
    for (const std::string bad : {"AzureDataExplorer", "=3", "Adx=0", "Adx=x", "Adx=2x"}) {
        auto parsed = ParseConnectorLimits({"FileServer=2", bad}, "connector_max_concurrency");
        ASSERT_FALSE(parsed.ok()) << bad;
        EXPECT_NE(parsed.error().message.find("connector_max_concurrency[1]"), std::string::npos)
            << parsed.error().message;
    }
    auto good = ParseConnectorLimits({"AzureDataExplorer=4", "FileServer=1"}, "x");
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(good->at("AzureDataExplorer"), 4u);
}

}  // namespace
}  // namespace adxflow
