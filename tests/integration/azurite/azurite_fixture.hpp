#pragma once
// One Azurite per test (ctest runs each case in its own process anyway) and clients bound to it.

#include <gtest/gtest.h>

#include "connectors/common/azure/account.hpp"
#include "connectors/common/http/http_client.hpp"
#include "tests/support/azurite.hpp"

namespace adxflow::azure {

class AzuriteTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto started = adxflow::testing::AzuriteProcess::Start();
        ASSERT_TRUE(started.ok()) << started.error().Describe();
        azurite_ = std::move(started).value();
        auto account = ParseConnectionString(azurite_->connection_string());
        ASSERT_TRUE(account.ok()) << account.error().Describe();
        account_ = *account;
    }

    std::unique_ptr<adxflow::testing::AzuriteProcess> azurite_;
    StorageAccount account_;
    http::HttpClient http_;
};

}  // namespace adxflow::azure
