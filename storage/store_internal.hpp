#pragma once
// Store internals shared by its translation units (store.cpp, store_history.cpp): a connection with its
// prepared statements, and the lease of a reader connection from the pool.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "storage/store.hpp"

namespace adxflow::storage {

// A connection and its prepared statements (prepared once per connection, reused for every call).
struct Store::PooledConnection {
    Connection conn;
    std::map<std::string, Statement, std::less<>> statements;

    Result<Statement*> Get(std::string_view sql) {
        auto it = statements.find(sql);
        if (it == statements.end()) {
            ADXFLOW_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(sql));
            it = statements.emplace(std::string(sql), std::move(stmt)).first;
        }
        it->second.Reset();
        return &it->second;
    }
};

// Borrows a reader connection; returns it to the pool on destruction.
class Store::Lease {
  public:
    Lease(Store* store, std::unique_ptr<PooledConnection> c) : store_(store), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease() {
        if (c_) {
            std::lock_guard g(store_->readers_mu_);
            store_->idle_readers_.push_back(std::move(c_));
        }
    }
    PooledConnection* operator->() { return c_.get(); }

  private:
    Store* store_;
    std::unique_ptr<PooledConnection> c_;
};

}  // namespace adxflow::storage
