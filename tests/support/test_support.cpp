#include "tests/support/test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace adxflow::testing {

TempDir::TempDir() {
    std::random_device rd;
    auto base = std::filesystem::temp_directory_path();
    for (int i = 0; i < 100; ++i) {
        auto candidate = base / ("adxflow-test-" + std::to_string(rd()));
        if (std::filesystem::create_directory(candidate)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temp dir");
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

int FreeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("bind() failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::filesystem::path SourceDir() {
    return ADXFLOW_SOURCE_DIR;
}
std::filesystem::path BinaryDir() {
    return ADXFLOW_BINARY_DIR;
}

const std::string* Case::Get(const std::string& key) const {
    for (const auto& [k, v] : fields)
        if (k == key) return &v;
    return nullptr;
}

std::vector<Case> ReadCases(const std::filesystem::path& file) {
    std::istringstream in(ReadFile(file));
    std::vector<Case> cases;
    Case current;
    current.file = file.filename().string();
    std::string line;
    int lineno = 0;
    auto flush = [&] {
        if (!current.fields.empty()) cases.push_back(current);
        current.fields.clear();
        current.line = 0;
    };
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line == "----") {
            flush();
            continue;
        }
        if (!line.empty() && line[0] == '#') continue;
        if (line.rfind("  ", 0) == 0 && !current.fields.empty()) {
            current.fields.back().second += "\n" + line.substr(2);
            continue;
        }
        if (line.empty()) continue;
        auto colon = line.find(':');
        if (colon == std::string::npos)
            throw std::runtime_error(file.string() + ":" + std::to_string(lineno) +
                                     ": expected 'key: value'");
        if (current.fields.empty()) current.line = lineno;
        std::string value = line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        current.fields.emplace_back(line.substr(0, colon), value);
    }
    flush();
    return cases;
}

std::vector<Case> ReadCaseDir(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".test") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Case> all;
    for (const auto& f : files) {
        auto cs = ReadCases(f);
        all.insert(all.end(), cs.begin(), cs.end());
    }
    return all;
}

}  // namespace adxflow::testing
