// A thin RAII layer over libpq: connections, results, a blocking pool, transactions.
//
// Every query is parametrised (PQexecParams with text parameters). Errors come back as Status,
// and no Status ever carries SQL, libpq's or the server's message: those go to the log under a
// reference ("ref 1a2b..."), which the Status names. Connection problems are UNAVAILABLE,
// unique violations ALREADY_EXISTS ("already exists": callers say what exists), serialization
// and deadlock failures ABORTED, values the database cannot take (a NUL character, invalid
// UTF-8, too long, malformed or out of range) INVALID_ARGUMENT, a missing referenced row
// FAILED_PRECONDITION, the rest INTERNAL "database error (ref ...)".
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace sparkd::store {

// A query parameter: text, or NULL.
using PgParam = std::optional<std::string>;

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string_view Get(int row, int col) const {
    return {PQgetvalue(result_.get(), row, col),
            static_cast<size_t>(PQgetlength(result_.get(), row, col))};
  }
  std::optional<std::string> GetOptional(int row, int col) const;
  int Column(const char* name) const { return PQfnumber(result_.get(), name); }
  PGresult* raw() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

class PgConnection {
 public:
  static StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& url);

  StatusOr<PgResult> Exec(std::string_view sql, const std::vector<PgParam>& params = {});
  // Runs statements without parameters, possibly several separated by ';'.
  Status ExecScript(std::string_view sql);
  bool Healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  PGconn* raw() { return conn_.get(); }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn, &PQfinish) {}
  Status CheckResult(PGresult* result, std::string_view sql);

  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
};

// A fixed-size pool. Acquire blocks until a connection is free or the timeout passes.
// Thread-safe.
class PgPool {
 public:
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    PgConnection* operator->() { return conn_.get(); }
    PgConnection& operator*() { return *conn_; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  static StatusOr<std::unique_ptr<PgPool>> Create(std::string url, int size);

  StatusOr<Lease> Acquire(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::string& url() const { return url_; }

 private:
  PgPool(std::string url, int size) : url_(std::move(url)), size_(size) {}
  void Release(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                                     // GUARDED_BY(mu_)
};

// Runs `body` inside BEGIN/COMMIT on one connection; rolls back when body fails.
template <typename Fn>
Status InTransaction(PgConnection& conn, Fn&& body) {
  RETURN_IF_ERROR(conn.ExecScript("BEGIN"));
  Status status = body(conn);
  if (!status.ok()) {
    (void)conn.ExecScript("ROLLBACK");
    return status;
  }
  return conn.ExecScript("COMMIT");
}

// Applies every embedded migration not yet applied, each in its own transaction with its
// version row, under a Postgres advisory lock so concurrent daemons apply each once.
// Returns the versions it applied.
StatusOr<std::vector<int>> Migrate(PgConnection& conn);

// Times cross the libpq border as microseconds since the Unix epoch (exact, no time zones);
// SQL converts with micros_to_ts(bigint) and ts_to_micros(timestamptz) from sql/0001.

std::string ToMicrosParam(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point FromMicros(std::string_view micros);

}  // namespace sparkd::store
