#pragma once
// The in-run reference: the smallest useful Beast/Asio HTTP/1.1 server, answering every request with one
// fixed JSON body. It shares the daemon's transport (Beast, keep-alive, the same thread count) but does no
// routing, no storage and no JSON work, so its throughput is the ceiling the transport and the load
// generator allow on this machine at this moment; daemon figures are printed as a ratio to it.

#include <memory>
#include <string>

namespace adxflow::bench {

class ReferenceServer {
  public:
    ReferenceServer(std::string body, int threads);
    ~ReferenceServer();
    ReferenceServer(const ReferenceServer&) = delete;
    ReferenceServer& operator=(const ReferenceServer&) = delete;

    int port() const;  // bound on 127.0.0.1, chosen by the kernel

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace adxflow::bench
