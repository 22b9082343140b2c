#pragma once
// Copy's enableSkipIncompatibleRow: counts the rows skipped (rowsSkipped) and writes them, with their
// reasons, through the connector of the store the activity names:
// - logSettings.logLocationSettings {linkedServiceName, path}: ADF's session log, a CSV file
//   <path>/copyactivity-logs/<activity>/<activity run id>/<uuid>.csv with the columns
//   Timestamp,Level,OperationName,OperationItem,Message (OperationName TabularRowSkip, Level Warning);
//   the output gains logFilePath;
// - redirectIncompatibleRowSettings {linkedServiceName, path} (legacy): <path>/<activity run id>/<uuid>.csv
//   with the columns Row,ErrorCode,ErrorMessage; the output gains redirectRowPath.
// For a Blob store, the path's first segment is the container. The file is created with the first skipped
// row, so a clean copy leaves none.

#include <memory>

#include "core/engine/activity.hpp"

namespace adxflow::engine {

class SkippedRowLog final : public IncompatibleRowHandler {
  public:
    // Null when the activity does not enable skipping. `tp` is the evaluated typeProperties.
    static Result<std::unique_ptr<SkippedRowLog>> Make(const ActivityTask& task, const Json& tp);
    ~SkippedRowLog() override;

    Status Skip(const IncompatibleRow& row) override;
    // Writes what is buffered and publishes the log file (when a row was skipped).
    Status Close();
    uint64_t skipped() const { return skipped_; }
    // {"rowsSkipped"} plus logFilePath or redirectRowPath when a log was written.
    Json OutputFields() const;

  private:
    SkippedRowLog() = default;
    Status OpenSink();
    Status FlushRows();

    const ActivityTask* task_ = nullptr;
    bool redirect_ = false;  // legacy redirectIncompatibleRowSettings layout
    bool info_level_ = false;
    Json linked_service_ref_ = nullptr;
    std::string folder_;  // where the file goes, relative to the store (container first for blob)
    std::string display_path_;
    uint64_t skipped_ = 0;
    std::unique_ptr<Sink> sink_;
    RowBatch pending_;
};

}  // namespace adxflow::engine
