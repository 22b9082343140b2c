#pragma once
// Starts the real Azurite (Blob/Queue/Table emulator, npm package "azurite" pinned in tests/node) on free
// loopback ports for integration tests, and stops it when the object dies. Missing Azurite is an error, not a
// skip: run deploy/bootstrap.sh (or `npm ci` in tests/node) first.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {

class AzuriteProcess {
  public:
    // <source>/tests/node/node_modules/.bin/azurite
    static std::filesystem::path Executable();
    // Starts Azurite in memory, waits until all three services accept connections (up to `startup_timeout`).
    static Result<std::unique_ptr<AzuriteProcess>> Start(
        std::chrono::seconds startup_timeout = std::chrono::seconds(60));

    ~AzuriteProcess();
    AzuriteProcess(const AzuriteProcess&) = delete;
    AzuriteProcess& operator=(const AzuriteProcess&) = delete;

    int blob_port() const { return blob_port_; }
    int queue_port() const { return queue_port_; }
    int table_port() const { return table_port_; }
    std::string account_name() const;
    std::string account_key() const;
    // "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=...;BlobEndpoint=...;..."
    std::string connection_string() const;
    std::string blob_endpoint() const;  // http://127.0.0.1:<port>/devstoreaccount1
    std::string queue_endpoint() const;
    std::string table_endpoint() const;
    const std::filesystem::path& log_file() const { return log_file_; }
    // The last `max_bytes` of Azurite's output, for failure messages.
    std::string LogTail(size_t max_bytes = 4000) const;

  private:
    AzuriteProcess() = default;
    void Stop();

    std::unique_ptr<TempDir> dir_;
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    int blob_port_ = 0;
    int queue_port_ = 0;
    int table_port_ = 0;
};

}  // namespace adxflow::testing
