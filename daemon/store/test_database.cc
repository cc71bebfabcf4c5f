#include "daemon/store/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace sparkd::store {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "TestDatabase: %s\n", message.c_str());
  std::abort();
}

// postgresql://user@host:port/db → the same URL naming database `name`.
std::string WithDatabase(const std::string& url, const std::string& name) {
  auto slash = url.rfind('/');
  auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

std::unique_ptr<PgConnection> ConnectOrDie(const std::string& url) {
  auto conn = PgConnection::Connect(url);
  if (!conn.ok()) Die(conn.status().ToString());
  return std::move(*conn);
}

void ExecOrDie(PgConnection& conn, const std::string& sql) {
  Status s = conn.ExecScript(sql);
  if (!s.ok()) Die(sql + ": " + s.ToString());
}

const std::string& TemplateName(const std::string& admin_url) {
  static std::once_flag once;
  static std::string name;
  std::call_once(once, [&] {
    name = "sparkd_tpl_" + std::to_string(getpid());
    auto admin = ConnectOrDie(admin_url);
    ExecOrDie(*admin, "DROP DATABASE IF EXISTS " + name);
    ExecOrDie(*admin, "CREATE DATABASE " + name);
    auto tpl = ConnectOrDie(WithDatabase(admin_url, name));
    auto applied = Migrate(*tpl);
    if (!applied.ok()) Die("migrating the template: " + applied.status().ToString());
    std::atexit([] {
      const char* url = std::getenv("SPARKD_TEST_PG_URL");
      if (auto admin = PgConnection::Connect(url ? url : ""); admin.ok()) {
        (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + name);
      }
    });
  });
  return name;
}

}  // namespace

std::unique_ptr<PgPool> TestDatabase::NewPool(int size) const {
  auto pool = PgPool::Create(url_, size);
  if (!pool.ok()) Die("cannot open a pool on " + name_ + ": " + pool.status().ToString());
  return std::move(*pool);
}

std::unique_ptr<TestDatabase> TestDatabase::Create() {
  const char* admin_url = std::getenv("SPARKD_TEST_PG_URL");
  if (!admin_url || !*admin_url) {
    Die("SPARKD_TEST_PG_URL is not set; run the tests through scripts/test, which starts a "
        "private PostgreSQL");
  }
  static std::atomic<int> counter{0};
  const std::string& tpl = TemplateName(admin_url);
  std::string name = "sparkd_t_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  auto admin = ConnectOrDie(admin_url);
  ExecOrDie(*admin, "CREATE DATABASE " + name + " TEMPLATE " + tpl);
  return std::unique_ptr<TestDatabase>(
      new TestDatabase(admin_url, name, WithDatabase(admin_url, name)));
}

TestDatabase::~TestDatabase() {
  if (auto admin = PgConnection::Connect(admin_url_); admin.ok()) {
    (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
}

}  // namespace sparkd::store
