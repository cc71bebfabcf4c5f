// For tests: a fresh, migrated database per test, cloned from a template that is migrated once
// per test process. Needs SPARKD_TEST_PG_URL (scripts/test starts a private server and sets it).
#pragma once

#include <memory>
#include <string>

#include "daemon/store/pg.h"

namespace sparkd::store {

class TestDatabase {
 public:
  // Creates the database; aborts the test binary with a clear message when no server is set.
  static std::unique_ptr<TestDatabase> Create();
  ~TestDatabase();

  const std::string& url() const { return url_; }
  // A pool on this database; aborts with the reason when it cannot connect.
  std::unique_ptr<PgPool> NewPool(int size) const;

 private:
  TestDatabase(std::string admin_url, std::string name, std::string url)
      : admin_url_(std::move(admin_url)), name_(std::move(name)), url_(std::move(url)) {}

  std::string admin_url_;
  std::string name_;
  std::string url_;
};

}  // namespace sparkd::store
