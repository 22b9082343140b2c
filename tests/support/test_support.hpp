#pragma once
// Helpers shared by the tests: temporary directories, free loopback ports, child processes, case files.

#include <filesystem>
#include <string>
#include <vector>

namespace adxflow::testing {

// A fresh directory under the system temp dir, removed (recursively) when the object dies.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound, read back, released).
int FreeLoopbackPort();

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& content);

// Root of the source tree and of the build tree (for fixtures, case files and built binaries).
std::filesystem::path SourceDir();
std::filesystem::path BinaryDir();

// A data-driven case file: blocks separated by lines "----", each block a set of "key: value" lines where
// a value may continue on following lines indented by two spaces. Lines starting with '#' are comments.
struct Case {
    std::string file;
    int line = 0;  // first line of the block, for failure messages
    std::vector<std::pair<std::string, std::string>> fields;
    const std::string* Get(const std::string& key) const;
};
std::vector<Case> ReadCases(const std::filesystem::path& file);
std::vector<Case> ReadCaseDir(const std::filesystem::path& dir);  // every *.test file, sorted by name

}  // namespace adxflow::testing
