#include "daemon/store/pg_job_store.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

#include "daemon/core/job_json.h"

namespace sparkd::store {
namespace {

// The columns every job query reads, in the order ParseJobRow expects. Times are read as
// microseconds since the epoch.
struct JobColumn {
  const char* name;
  bool timestamp;
};
constexpr JobColumn kJobColumnList[] = {
    {"id", false},
    {"team", false},
    {"idempotency_key", false},
    {"state", false},
    {"state_message", false},
    {"request", false},
    {"backend", false},
    {"backend_ref", false},
    {"spark_app_id", false},
    {"spark_ui_url", false},
    {"driver_exit_code", false},
    {"report", false},
    {"version", false},
    {"created_at", true},
    {"updated_at", true},
    {"started_at", true},
    {"finished_at", true},
    {"resolved_spec", false},
    {"presets_used", false},
};

// "id, team, ..., ts_to_micros(created_at), ..." with every column qualified by `alias`.
std::string JobColumns(std::string_view alias = "") {
  std::string prefix = alias.empty() ? "" : std::string(alias) + ".";
  std::string out;
  for (const auto& c : kJobColumnList) {
    if (!out.empty()) out += ", ";
    out += c.timestamp ? "ts_to_micros(" + prefix + c.name + ")" : prefix + c.name;
  }
  return out;
}

int ToInt(std::string_view text) {
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

int64_t ToInt64(std::string_view text) {
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string PresetRefsToJson(const std::vector<PresetRef>& refs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& ref : refs) {
    out.push_back({{"team", ref.team}, {"jobType", ref.job_type}, {"version", ref.version}});
  }
  return out.dump();
}

StatusOr<std::vector<PresetRef>> PresetRefsFromJson(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) return Internal("jobs.presets_used: not a JSON array");
  std::vector<PresetRef> refs;
  for (const auto& item : json) {
    refs.push_back(PresetRef{item.value("team", ""), item.value("jobType", ""),
                             item.value("version", int64_t{0})});
  }
  return refs;
}

StatusOr<Job> ParseJobRow(const PgResult& r, int row, int first_column = 0) {
  auto col = [&](int i) { return first_column + i; };
  Job job;
  job.id = r.Get(row, col(0));
  job.team = r.Get(row, col(1));
  job.idempotency_key = r.Get(row, col(2));
  job.state = ParseJobState(r.Get(row, col(3))).value_or(JobState::kUnknown);
  job.state_message = r.Get(row, col(4));
  auto request_json = nlohmann::json::parse(r.Get(row, col(5)), nullptr, false);
  ASSIGN_OR_RETURN(job.request, JobRequestFromJson(request_json));
  job.backend = r.Get(row, col(6));
  job.backend_ref = r.Get(row, col(7));
  job.spark_app_id = r.Get(row, col(8));
  job.spark_ui_url = r.Get(row, col(9));
  if (!r.IsNull(row, col(10))) job.driver_exit_code = ToInt(r.Get(row, col(10)));
  if (!r.IsNull(row, col(11))) {
    auto report_json = nlohmann::json::parse(r.Get(row, col(11)), nullptr, false);
    ASSIGN_OR_RETURN(job.report, JobReportFromJson(report_json));
  }
  job.version = ToInt64(r.Get(row, col(12)));
  job.created_at = FromMicros(r.Get(row, col(13)));
  job.updated_at = FromMicros(r.Get(row, col(14)));
  if (!r.IsNull(row, col(15))) job.started_at = FromMicros(r.Get(row, col(15)));
  if (!r.IsNull(row, col(16))) job.finished_at = FromMicros(r.Get(row, col(16)));
  if (!r.IsNull(row, col(17))) job.resolved_spec_json = r.Get(row, col(17));
  if (!r.IsNull(row, col(18))) {
    ASSIGN_OR_RETURN(job.presets_used, PresetRefsFromJson(r.Get(row, col(18))));
  }
  return job;
}

std::vector<JobEvent> ParseEventRows(const PgResult& rows) {
  std::vector<JobEvent> events;
  for (int i = 0; i < rows.rows(); ++i) {
    JobEvent e;
    e.seq = ToInt64(rows.Get(i, 0));
    if (!rows.IsNull(i, 1)) e.from = ParseJobState(rows.Get(i, 1));
    e.to = ParseJobState(rows.Get(i, 2)).value_or(JobState::kUnknown);
    e.at = FromMicros(rows.Get(i, 3));
    e.message = rows.Get(i, 4);
    events.push_back(std::move(e));
  }
  return events;
}

constexpr const char* kEventColumns = "seq, from_state, to_state, ts_to_micros(at), message";

PgParam OptionalParam(const std::optional<std::string>& value) { return value; }

// JSON as text for a jsonb parameter. A string that is not UTF-8 cannot be JSON: refused here,
// before it reaches the database.
StatusOr<std::string> JsonText(const nlohmann::json& json, std::string_view what) {
  try {
    return json.dump();
  } catch (const nlohmann::json::type_error&) {
    return InvalidArgument(std::string(what) + ": a text is not valid UTF-8");
  }
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kDigits[digest[i] >> 4];
    hex += kDigits[digest[i] & 0xf];
  }
  return hex;
}

// The job of (team, key) with, as the first column, whether it was submitted with the request
// whose digest is $3 (NULL digests, from before sql/0005, match every request).
std::string ExistingJobQuery() {
  return "SELECT request_sha256 IS NULL OR request_sha256 = decode($3, 'hex'), " + JobColumns() +
         " FROM jobs WHERE team = $1 AND idempotency_key = $2";
}

PgParam OptionalParam(const std::optional<int>& value) {
  if (!value) return std::nullopt;
  return std::to_string(*value);
}

// "{QUEUED,SUBMITTING}": the states from which the state machine allows a move to `to`.
std::string AllowedFromArray(JobState to) {
  std::string array = "{";
  for (JobState from :
       {JobState::kQueued, JobState::kSubmitting, JobState::kSubmitted, JobState::kRunning,
        JobState::kSucceeded, JobState::kFailed, JobState::kCancelled, JobState::kUnknown}) {
    if (!IsAllowedTransition(from, to)) continue;
    if (array.size() > 1) array += ",";
    array += JobStateName(from);
  }
  return array + "}";
}

// Parameters $1..$9 of the SET list that JobUpdate fields share between Transition and Update.
std::vector<PgParam> UpdateParams(const std::string& id, const JobUpdate& u,
                                  const std::string& now_micros) {
  PgParam report;
  // The report quotes the driver's log, which may hold any bytes: invalid UTF-8 is replaced
  // rather than losing the whole report.
  if (u.report) {
    report =
        JobReportToJson(*u.report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return {id,
          now_micros,
          OptionalParam(u.backend_ref),
          OptionalParam(u.spark_app_id),
          OptionalParam(u.spark_ui_url),
          OptionalParam(u.driver_exit_code),
          report,
          OptionalParam(u.owner),
          u.set_started ? "true" : "false",
          u.set_finished ? "true" : "false"};
}

constexpr const char* kUpdateSetList =
    "updated_at = micros_to_ts($2), "
    "backend_ref = COALESCE($3, j.backend_ref), "
    "spark_app_id = COALESCE($4, j.spark_app_id), "
    "spark_ui_url = COALESCE($5, j.spark_ui_url), "
    "driver_exit_code = COALESCE($6::integer, j.driver_exit_code), "
    "report = COALESCE($7::jsonb, j.report), "
    "owner = COALESCE($8, j.owner), "
    "started_at = CASE WHEN $9::boolean THEN COALESCE(j.started_at, micros_to_ts($2)) "
    "ELSE j.started_at END, "
    "finished_at = CASE WHEN $10::boolean THEN micros_to_ts($2) ELSE j.finished_at END";

}  // namespace

// Returns only the id: the new row is the job the caller already holds, so reading back its
// jsonb would only cost Postgres and the daemon time on every submit.
const char* const kCreateJobStatement =
    "WITH ins AS ("
    " INSERT INTO jobs (id, team, idempotency_key, state, state_message, request, backend,"
    "  created_at, updated_at, resolved_spec, presets_used, request_sha256)"
    " VALUES ($1, $2, $3, 'QUEUED', $6, $4::jsonb, $5, micros_to_ts($7), micros_to_ts($7),"
    "  $8::jsonb, $9::jsonb, decode($10, 'hex'))"
    " ON CONFLICT (team, idempotency_key) DO NOTHING RETURNING id, created_at, state_message),"
    " ev AS (INSERT INTO job_events (job_id, seq, from_state, to_state, at, message)"
    "  SELECT id, 1, NULL, 'QUEUED', created_at, state_message FROM ins)"
    " SELECT id FROM ins";

StatusOr<CreateJobResult> PgJobStore::CreateJob(const Job& job,
                                                const std::string& request_fingerprint) {
  PgParam resolved_spec;
  if (!job.resolved_spec_json.empty()) resolved_spec = job.resolved_spec_json;
  ASSIGN_OR_RETURN(std::string request, JsonText(JobRequestToJson(job.request), "job"));
  const std::string digest = Sha256Hex(request_fingerprint);
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(
      auto inserted,
      conn->Exec(kCreateJobStatement, {job.id, job.team, job.idempotency_key, request, job.backend,
                                       job.state_message, ToMicrosParam(job.created_at),
                                       resolved_spec, PresetRefsToJson(job.presets_used), digest}));
  if (inserted.rows() == 1) {
    Job stored = job;
    stored.state = JobState::kQueued;
    stored.version = 1;
    // Postgres keeps microseconds; so does the stored copy.
    stored.created_at = FromMicros(ToMicrosParam(job.created_at));
    stored.updated_at = stored.created_at;
    JobEvent queued;
    queued.seq = 1;
    queued.to = JobState::kQueued;
    queued.at = stored.created_at;
    queued.message = job.state_message;
    stored.events = {queued};
    return CreateJobResult{std::move(stored), true};
  }
  // Another submit with this key won (now or earlier); it has committed, so it is visible.
  ASSIGN_OR_RETURN(auto existing,
                   conn->Exec(ExistingJobQuery(), {job.team, job.idempotency_key, digest}));
  if (existing.rows() != 1) return Aborted("idempotency key conflict; retry the submit");
  ASSIGN_OR_RETURN(Job stored, ParseJobRow(existing, 0, 1));
  return CreateJobResult{std::move(stored), false, existing.Get(0, 0) == "t"};
}

StatusOr<std::optional<CreateJobResult>> PgJobStore::FindByKey(
    const std::string& team, const std::string& idempotency_key,
    const std::string& request_fingerprint) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec(ExistingJobQuery(),
                                         {team, idempotency_key, Sha256Hex(request_fingerprint)}));
  if (rows.rows() == 0) return std::optional<CreateJobResult>();
  ASSIGN_OR_RETURN(Job job, ParseJobRow(rows, 0, 1));
  return std::optional<CreateJobResult>(
      CreateJobResult{std::move(job), false, rows.Get(0, 0) == "t"});
}

StatusOr<Job> PgJobStore::GetJob(const std::string& id, const std::optional<std::string>& team) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec("SELECT " + JobColumns() +
                                  " FROM jobs WHERE id = $1 AND ($2::text IS NULL OR team = $2)",
                              {id, team}));
  if (rows.rows() == 0) return NotFound("job " + id + " not found");
  ASSIGN_OR_RETURN(Job job, ParseJobRow(rows, 0));
  ASSIGN_OR_RETURN(auto events, conn->Exec(std::string("SELECT ") + kEventColumns +
                                               " FROM job_events WHERE job_id = $1 ORDER BY seq",
                                           {id}));
  job.events = ParseEventRows(events);
  ASSIGN_OR_RETURN(
      auto executors,
      conn->Exec("SELECT executor_id, pod_name, host, ts_to_micros(started_at),"
                 " ts_to_micros(ended_at), exit_code, reason, evidence, advice FROM executors"
                 " WHERE job_id = $1 ORDER BY length(executor_id), executor_id",
                 {id}));
  for (int i = 0; i < executors.rows(); ++i) {
    ExecutorRecord x;
    x.executor_id = executors.Get(i, 0);
    x.pod_name = executors.Get(i, 1);
    x.host = executors.Get(i, 2);
    if (!executors.IsNull(i, 3)) x.started_at = FromMicros(executors.Get(i, 3));
    if (!executors.IsNull(i, 4)) x.ended_at = FromMicros(executors.Get(i, 4));
    if (!executors.IsNull(i, 5)) x.exit_code = ToInt(executors.Get(i, 5));
    if (!executors.IsNull(i, 6)) {
      x.reason = ParseExitReason(executors.Get(i, 6)).value_or(ExitReason::kUnknown);
    }
    x.evidence = executors.Get(i, 7);
    x.advice = executors.Get(i, 8);
    job.executors.push_back(std::move(x));
  }
  return job;
}

namespace {

// A text expression cut to kSummaryTextChars characters, ending in "…" when cut; '' for NULL.
// Cut in the query, so a huge text never leaves the database for a listing.
std::string BoundedText(const std::string& expr) {
  const std::string n = std::to_string(kSummaryTextChars);
  return "CASE WHEN length(" + expr + ") > " + n + " THEN left(" + expr + ", " + n +
         ") || '…' ELSE coalesce(" + expr + ", '') END";
}

// The columns of a listing, in the order ParseSummaryRow reads them: never the request, the
// resolved spec or the report themselves, only the few fields a summary shows.
std::string SummaryColumns() {
  return "id, team, " + BoundedText("idempotency_key") + ", state, " +
         BoundedText("state_message") + ", " + BoundedText("request->>'name'") + ", " +
         BoundedText("request->>'job_type'") + ", " + BoundedText("request->>'file'") + ", " +
         BoundedText("backend") + ", " + BoundedText("spark_app_id") +
         ", driver_exit_code, ts_to_micros(created_at), ts_to_micros(updated_at),"
         " ts_to_micros(started_at), ts_to_micros(finished_at), report->>'first_fatal_reason'";
}

JobSummary ParseSummaryRow(const PgResult& r, int row) {
  JobSummary job;
  job.id = r.Get(row, 0);
  job.team = r.Get(row, 1);
  job.idempotency_key = r.Get(row, 2);
  job.state = ParseJobState(r.Get(row, 3)).value_or(JobState::kUnknown);
  job.state_message = r.Get(row, 4);
  job.name = r.Get(row, 5);
  job.job_type = r.Get(row, 6);
  job.file = r.Get(row, 7);
  job.backend = r.Get(row, 8);
  job.spark_app_id = r.Get(row, 9);
  if (!r.IsNull(row, 10)) job.driver_exit_code = ToInt(r.Get(row, 10));
  job.created_at = FromMicros(r.Get(row, 11));
  job.updated_at = FromMicros(r.Get(row, 12));
  if (!r.IsNull(row, 13)) job.started_at = FromMicros(r.Get(row, 13));
  if (!r.IsNull(row, 14)) job.finished_at = FromMicros(r.Get(row, 14));
  if (!r.IsNull(row, 15)) {
    job.first_fatal_reason = ParseExitReason(r.Get(row, 15)).value_or(ExitReason::kUnspecified);
  }
  return job;
}

size_t SummaryBytes(const JobSummary& job) {
  return kSummaryOverheadBytes + job.id.size() + job.team.size() + job.idempotency_key.size() +
         job.state_message.size() + job.name.size() + job.job_type.size() + job.file.size() +
         job.backend.size() + job.spark_app_id.size();
}

// "<created micros>_<id>" of the last job a page holds; the next page starts after it.
StatusOr<std::pair<std::string, std::string>> ParsePageToken(const std::string& token) {
  auto sep = token.find('_');
  bool digits = sep != std::string::npos && sep > 0 && sep + 1 < token.size();
  for (size_t i = 0; digits && i < sep; ++i) digits = token[i] >= '0' && token[i] <= '9';
  if (!digits || sep > 18) return InvalidArgument("page_token: not a token from ListJobs");
  return std::make_pair(token.substr(0, sep), token.substr(sep + 1));
}

}  // namespace

StatusOr<JobPage> PgJobStore::ListJobs(const JobQuery& query) {
  PgParam after_micros, after_id;
  if (!query.page_token.empty()) {
    ASSIGN_OR_RETURN(auto after, ParsePageToken(query.page_token));
    after_micros = after.first;
    after_id = after.second;
  }
  std::string states = "{";
  for (JobState s : query.states)
    states += std::string(states.size() > 1 ? "," : "") + std::string(JobStateName(s));
  states += "}";
  int limit = std::clamp(query.page_size <= 0 ? 50 : query.page_size, 1, 500);
  PgParam created_after, created_before;
  if (query.created_after) created_after = ToMicrosParam(*query.created_after);
  if (query.created_before) created_before = ToMicrosParam(*query.created_before);
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(
      auto rows,
      conn->Exec("SELECT " + SummaryColumns() +
                     " FROM jobs WHERE ($1::text IS NULL OR team = $1)"
                     " AND (cardinality($2::job_state[]) = 0 OR state = ANY($2::job_state[]))"
                     " AND ($3::bigint IS NULL OR created_at >= micros_to_ts($3))"
                     " AND ($4::bigint IS NULL OR created_at < micros_to_ts($4))"
                     " AND ($5::bigint IS NULL OR (created_at, id) < (micros_to_ts($5), $6))"
                     " ORDER BY created_at DESC, id DESC LIMIT $7",
                 {query.team, states, created_after, created_before, after_micros, after_id,
                  std::to_string(limit + 1)}));
  JobPage page;
  size_t bytes = 0;
  bool more = rows.rows() > limit;
  for (int i = 0; i < rows.rows() && i < limit; ++i) {
    JobSummary job = ParseSummaryRow(rows, i);
    bytes += SummaryBytes(job);
    if (!page.jobs.empty() && bytes > kMaxJobPageBytes) {
      more = true;
      break;
    }
    page.jobs.push_back(std::move(job));
  }
  if (more) {
    const JobSummary& last = page.jobs.back();
    page.next_page_token = ToMicrosParam(last.created_at) + "_" + last.id;
  }
  return page;
}

StatusOr<Job> PgJobStore::Transition(const std::string& id, JobState to, const JobUpdate& update,
                                     const std::string& message) {
  static const std::string kTransition =
      std::string(
          "WITH cur AS (SELECT id, state FROM jobs WHERE id = $1 FOR UPDATE),"
          " upd AS (UPDATE jobs j SET state = $11::job_state, state_message = $12,"
          "  version = j.version + 1, ") +
      kUpdateSetList +
      " FROM cur WHERE j.id = cur.id AND cur.state = ANY($13::job_state[])"
      " RETURNING j.*, cur.state AS from_state),"
      " ev AS (INSERT INTO job_events (job_id, seq, from_state, to_state, at, message)"
      "  SELECT id, version, from_state, state, updated_at, state_message FROM upd),"
      " n AS (SELECT pg_notify('" +
      kJobEventsChannel +
      "', id) FROM upd)"
      " SELECT (SELECT state FROM cur), (SELECT count(*) FROM n), " +
      JobColumns("upd") + " FROM (SELECT 1) AS one LEFT JOIN upd ON true";
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  auto params = UpdateParams(id, update, ToMicrosParam(clock_->Now()));
  params.push_back(std::string(JobStateName(to)));
  params.push_back(message);
  params.push_back(AllowedFromArray(to));
  ASSIGN_OR_RETURN(auto rows, conn->Exec(kTransition, params));
  if (rows.IsNull(0, 0)) return NotFound("job " + id + " not found");
  if (rows.IsNull(0, 2)) {
    return FailedPrecondition("job " + id + " is " + std::string(rows.Get(0, 0)) +
                              "; it cannot move to " + std::string(JobStateName(to)));
  }
  return ParseJobRow(rows, 0, 2);
}

Status PgJobStore::Update(const std::string& id, const JobUpdate& update) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec(std::string("UPDATE jobs j SET ") + kUpdateSetList +
                                             " WHERE j.id = $1 RETURNING id",
                                         UpdateParams(id, update, ToMicrosParam(clock_->Now()))));
  if (rows.rows() == 0) return NotFound("job " + id + " not found");
  return Status::Ok();
}

StatusOr<std::optional<Job>> PgJobStore::ClaimQueuedJob(const std::string& backend,
                                                        const std::string& owner) {
  static const std::string kClaim =
      std::string(
          "WITH next AS (SELECT id FROM jobs WHERE state = 'QUEUED' AND backend = $2"
          "  ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED),"
          " upd AS (UPDATE jobs j SET state = 'SUBMITTING', owner = $3, version = j.version + 1,"
          "  updated_at = micros_to_ts($1), state_message = 'claimed by ' || $3"
          "  FROM next WHERE j.id = next.id RETURNING j.*),"
          " ev AS (INSERT INTO job_events (job_id, seq, from_state, to_state, at, message)"
          "  SELECT id, version, 'QUEUED', state, updated_at, state_message FROM upd),"
          " n AS (SELECT pg_notify('") +
      kJobEventsChannel +
      "', id) FROM upd)"
      " SELECT (SELECT count(*) FROM n), " +
      JobColumns("upd") + " FROM upd";
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec(kClaim, {ToMicrosParam(clock_->Now()), backend, owner}));
  if (rows.rows() == 0) return std::optional<Job>();
  ASSIGN_OR_RETURN(Job job, ParseJobRow(rows, 0, 1));
  return std::optional<Job>(std::move(job));
}

StatusOr<std::vector<Job>> PgJobStore::ListOwnedActiveJobs(const std::string& owner) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec("SELECT " + JobColumns() +
                                             " FROM jobs WHERE owner = $1 AND state NOT IN"
                                             " ('QUEUED', 'SUCCEEDED', 'FAILED', 'CANCELLED')"
                                             " ORDER BY created_at",
                                         {owner}));
  std::vector<Job> jobs;
  for (int i = 0; i < rows.rows(); ++i) {
    ASSIGN_OR_RETURN(Job job, ParseJobRow(rows, i));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

namespace {

// $1 job id, $2 executor id, $3 pod, $4 host, $5 started (micros), $6 ended (micros),
// $7 exit code, $8 reason, $9 evidence, $10 advice.
std::vector<PgParam> ExecutorParams(const std::string& job_id, const ExecutorRecord& x) {
  PgParam started, ended, reason;
  if (x.started_at) started = ToMicrosParam(*x.started_at);
  if (x.ended_at) ended = ToMicrosParam(*x.ended_at);
  if (x.reason != ExitReason::kUnspecified) reason = std::string(ExitReasonName(x.reason));
  return {job_id, x.executor_id, x.pod_name, x.host, started, ended, OptionalParam(x.exit_code),
          reason, x.evidence,    x.advice};
}

constexpr const char* kInsertExecutor =
    "INSERT INTO executors AS x (job_id, executor_id, pod_name, host, started_at,"
    " ended_at, exit_code, reason, evidence, advice)"
    " VALUES ($1, $2, $3, $4, micros_to_ts($5), micros_to_ts($6), $7::integer,"
    " $8::exit_reason, $9, $10)"
    " ON CONFLICT (job_id, executor_id) DO UPDATE SET pod_name = EXCLUDED.pod_name,"
    " host = EXCLUDED.host, started_at = EXCLUDED.started_at,"
    " ended_at = EXCLUDED.ended_at, exit_code = EXCLUDED.exit_code,"
    " reason = EXCLUDED.reason, evidence = EXCLUDED.evidence,"
    " advice = EXCLUDED.advice";

}  // namespace

Status PgJobStore::SaveExecutors(const std::string& job_id,
                                 const std::vector<ExecutorRecord>& executors) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  return InTransaction(*conn, [&](PgConnection& c) -> Status {
    for (const auto& x : executors) {
      RETURN_IF_ERROR(c.Exec(kInsertExecutor, ExecutorParams(job_id, x)).status());
    }
    return Status::Ok();
  });
}

Status PgJobStore::UpsertExecutor(const std::string& job_id, const ExecutorRecord& executor) {
  // The row is rewritten only while the job runs and only when it differs, so a replayed
  // observation neither changes a final report nor costs a write.
  static const std::string kUpsert =
      std::string(kInsertExecutor) +
      " WHERE (x.pod_name, x.host, x.started_at, x.ended_at, x.exit_code, x.reason, x.evidence,"
      " x.advice) IS DISTINCT FROM (EXCLUDED.pod_name, EXCLUDED.host, EXCLUDED.started_at,"
      " EXCLUDED.ended_at, EXCLUDED.exit_code, EXCLUDED.reason, EXCLUDED.evidence,"
      " EXCLUDED.advice) AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = $1"
      " AND state IN ('SUCCEEDED', 'FAILED', 'CANCELLED'))";
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  return conn->Exec(kUpsert, ExecutorParams(job_id, executor)).status();
}

StatusOr<std::vector<JobEvent>> PgJobStore::EventsSince(const std::string& job_id,
                                                        int64_t after_seq) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec(std::string("SELECT ") + kEventColumns +
                                  " FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq",
                              {job_id, std::to_string(after_seq)}));
  return ParseEventRows(rows);
}

}  // namespace sparkd::store
