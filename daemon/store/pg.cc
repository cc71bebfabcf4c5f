#include "daemon/store/pg.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <random>

#include "daemon/store/migrations.h"

namespace sparkd::store {
namespace {

// Any constant works; it only has to be the same for every sparkd.
constexpr const char* kMigrationLockKey = "7391042856";

std::string FirstLine(std::string_view text) {
  auto end = text.find('\n');
  return std::string(text.substr(0, end));
}

// Logs what went wrong under a fresh reference and returns the reference: the client gets only
// the reference, the operator finds the details (SQL, the server's message) in the log.
std::string LogDatabaseError(std::string_view what, std::string_view sqlstate,
                             std::string_view message, std::string_view sql) {
  std::random_device random;
  char ref[17];
  std::snprintf(ref, sizeof ref, "%08x%08x", random(), random());
  spdlog::error("database error ref {}: {} (SQLSTATE {}): {} in: {}", ref, what,
                sqlstate.empty() ? "-" : sqlstate, FirstLine(message),
                FirstLine(sql.substr(0, 200)));
  return ref;
}

// SQLSTATE classes that mean the caller sent something the database cannot take (see
// https://www.postgresql.org/docs/current/errcodes-appendix.html), with a message that names
// no SQL, table or column: callers that know the field add it.
std::optional<Status> CallerError(std::string_view sqlstate, const std::string& ref) {
  const std::string tail = " (ref " + ref + ")";
  if (sqlstate == "22021" || sqlstate == "22P05") {
    // 22021: invalid byte sequence for UTF8; 22P05: \u0000 in a jsonb string.
    return InvalidArgument("a text value is not valid UTF-8 or holds a NUL character" + tail);
  }
  if (sqlstate == "22001" || sqlstate == "54000") {
    return InvalidArgument("a value is too long or too large to store" + tail);
  }
  if (sqlstate == "22P02" || sqlstate == "22003" || sqlstate == "22007" || sqlstate == "22008") {
    return InvalidArgument("a value is malformed or out of range" + tail);
  }
  if (sqlstate == "23503")
    return FailedPrecondition("it refers to something that does not exist" + tail);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> PgResult::GetOptional(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return std::string(Get(row, col));
}

StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = conn ? PQerrorMessage(conn) : "out of memory";
    PQfinish(conn);
    // libpq's message names hosts, users and files: the log gets it, a client does not.
    return Unavailable("cannot connect to the database (ref " +
                       LogDatabaseError("cannot connect", "", message, "") + ")");
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

Status PgConnection::CheckResult(PGresult* result, std::string_view sql) {
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::Ok();
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string ref = LogDatabaseError("connection lost", "", PQerrorMessage(conn_.get()), sql);
    PQreset(conn_.get());  // the next use gets a fresh connection
    return Unavailable("database connection lost (ref " + ref + "); try again");
  }
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string sqlstate = state ? state : "";
  // Expected outcomes that callers turn into their own messages: no log, no details.
  if (sqlstate == "23505") return AlreadyExists("already exists");
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Aborted("a concurrent change won; try again");
  }
  std::string ref = LogDatabaseError("query failed", sqlstate, PQresultErrorMessage(result), sql);
  if (auto caller_error = CallerError(sqlstate, ref)) return *caller_error;
  return Internal("database error (ref " + ref + ")");
}

StatusOr<PgResult> PgConnection::Exec(std::string_view sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    // libpq takes C strings: a NUL would silently cut the value short (and PostgreSQL text
    // cannot hold one anyway).
    if (p && p->find('\0') != std::string::npos) {
      return InvalidArgument("a text value holds a NUL character, which cannot be stored");
    }
    values.push_back(p ? p->c_str() : nullptr);
  }
  std::string query(sql);
  PgResult result(PQexecParams(conn_.get(), query.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  RETURN_IF_ERROR(CheckResult(result.raw(), sql));
  return result;
}

Status PgConnection::ExecScript(std::string_view sql) {
  std::string script(sql);
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn_.get(), script.c_str()),
                                                        &PQclear);
  return CheckResult(result.get(), sql);
}

PgPool::Lease::~Lease() {
  if (pool_ && conn_) pool_->Release(std::move(conn_));
}

StatusOr<std::unique_ptr<PgPool>> PgPool::Create(std::string url, int size) {
  std::unique_ptr<PgPool> pool(new PgPool(std::move(url), size));
  // Open one connection now so a bad URL fails at start-up, not at the first request.
  ASSIGN_OR_RETURN(auto first, PgConnection::Connect(pool->url_));
  pool->idle_.push_back(std::move(first));
  pool->open_ = 1;
  return pool;
}

StatusOr<PgPool::Lease> PgPool::Acquire(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !idle_.empty() || open_ < size_; })) {
    return Unavailable("no PostgreSQL connection free within the timeout");
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  auto conn = PgConnection::Connect(url_);
  if (!conn.ok()) {
    std::lock_guard relock(mu_);
    --open_;
    cv_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(*conn));
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mu_);
  if (conn->Healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  cv_.notify_one();
}

StatusOr<std::vector<int>> Migrate(PgConnection& conn) {
  const auto& migrations = EmbeddedMigrations();
  RETURN_IF_ERROR(CheckMigrationSequence(migrations));
  RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_lock($1::bigint)", {kMigrationLockKey}).status());
  std::vector<int> applied;
  Status status = conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  for (const auto& m : migrations) {
    if (!status.ok()) break;
    auto done = conn.Exec("SELECT 1 FROM schema_migrations WHERE version = $1",
                          {std::to_string(m.version)});
    if (!done.ok()) {
      status = done.status();
      break;
    }
    if (done->rows() > 0) continue;
    status = InTransaction(conn, [&](PgConnection& c) -> Status {
      RETURN_IF_ERROR(c.ExecScript(m.sql).WithContext("migration " + m.name));
      return c
          .Exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                {std::to_string(m.version), m.name})
          .status();
    });
    if (status.ok()) applied.push_back(m.version);
  }
  Status unlock = conn.Exec("SELECT pg_advisory_unlock($1::bigint)", {kMigrationLockKey}).status();
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(unlock);
  return applied;
}

std::string ToMicrosParam(std::chrono::system_clock::time_point t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

std::chrono::system_clock::time_point FromMicros(std::string_view micros) {
  int64_t value = 0;
  std::from_chars(micros.data(), micros.data() + micros.size(), value);
  return std::chrono::system_clock::time_point(std::chrono::microseconds(value));
}

}  // namespace sparkd::store
