#include "daemon/store/pg_preset_store.h"

#include <charconv>

namespace sparkd::store {
namespace {

constexpr const char* kPresetColumns =
    "team, job_type, version, body, source_yaml, author, ts_to_micros(created_at), deleted";

int64_t ToInt64(std::string_view text) {
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// The latest version of a job type (0 = never written) and whether it is a tombstone.
struct Latest {
  int64_t version = 0;
  bool deleted = false;
};

StatusOr<Latest> ReadLatest(PgConnection& conn, const std::string& team,
                            const std::string& job_type) {
  ASSIGN_OR_RETURN(auto rows, conn.Exec("SELECT version, deleted FROM presets"
                                        " WHERE team = $1 AND job_type = $2"
                                        " ORDER BY version DESC LIMIT 1",
                                        {team, job_type}));
  if (rows.rows() == 0) return Latest{};
  return Latest{ToInt64(rows.Get(0, 0)), rows.Get(0, 1) == "t"};
}

Status CheckExpected(const PresetWrite& w, const Latest& latest, bool tombstone) {
  const std::string name = "preset " + w.job_type + " of team " + w.team;
  int64_t current = latest.deleted ? 0 : latest.version;
  if (tombstone && current == 0) return NotFound(name + " not found");
  if (w.expected_version == current) return Status::Ok();
  if (current == 0) {
    return Aborted(name + " does not exist (expected version " +
                   std::to_string(w.expected_version) + "); write it with expected_version 0");
  }
  return Aborted(name + " is at version " + std::to_string(current) + ", not " +
                 std::to_string(w.expected_version) + "; re-read it and retry");
}

// One level of `extends`: a written preset's base exists and extends nothing, and a preset
// that others extend neither extends another nor is deleted.
Status CheckExtends(PgConnection& conn, const PresetWrite& w, bool tombstone) {
  ASSIGN_OR_RETURN(auto live,
                   conn.Exec("SELECT job_type, coalesce(body->>'extends', '') FROM"
                             " (SELECT DISTINCT ON (job_type) job_type, body, deleted FROM presets"
                             "  WHERE team = $1 ORDER BY job_type, version DESC) latest"
                             " WHERE NOT deleted ORDER BY job_type",
                             {w.team}));
  std::string dependents;
  std::optional<std::string> base_extends;  // set when the base is live
  for (int row = 0; row < live.rows(); ++row) {
    std::string_view job_type = live.Get(row, 0);
    std::string_view extends = live.Get(row, 1);
    if (extends == w.job_type && job_type != w.job_type) {
      dependents += std::string(dependents.empty() ? "" : ", ") + std::string(job_type);
    }
    if (!tombstone && job_type == w.preset.extends) base_extends = std::string(extends);
  }
  if (tombstone) {
    if (dependents.empty()) return Status::Ok();
    return FailedPrecondition("preset " + w.job_type + " is extended by " + dependents +
                              "; delete or change those first");
  }
  if (w.preset.extends.empty()) return Status::Ok();
  if (!base_extends) {
    return InvalidArgument("extends: team " + w.team + " has no preset \"" + w.preset.extends +
                           "\"");
  }
  if (!base_extends->empty()) {
    return InvalidArgument("extends: " + w.preset.extends + " itself extends " + *base_extends +
                           "; one level of extends only");
  }
  if (!dependents.empty()) {
    return InvalidArgument("extends: " + w.job_type + " is extended by " + dependents +
                           "; one level of extends only");
  }
  return Status::Ok();
}

}  // namespace

StoredPresetPtr PgPresetStore::Cached(const Key& key) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

StoredPresetPtr PgPresetStore::Remember(StoredPresetPtr preset) {
  std::lock_guard lock(mu_);
  Key key{preset->layer.ref.team, preset->layer.ref.job_type, preset->layer.ref.version};
  return cache_.emplace(std::move(key), std::move(preset)).first->second;
}

StatusOr<StoredPresetPtr> PgPresetStore::FromRow(const PgResult& rows, int row) {
  Key key{std::string(rows.Get(row, 0)), std::string(rows.Get(row, 1)), ToInt64(rows.Get(row, 2))};
  if (auto hit = Cached(key)) return hit;
  auto preset = std::make_shared<StoredPreset>();
  preset->layer.ref = PresetRef{std::get<0>(key), std::get<1>(key), std::get<2>(key)};
  preset->deleted = rows.Get(row, 7) == "t";
  if (!preset->deleted) {
    auto body = nlohmann::json::parse(rows.Get(row, 3), nullptr, false);
    auto parsed = PresetFromJson(body);
    if (!parsed.ok()) {
      return Internal("stored " + LayerName(preset->layer.ref) +
                      " no longer parses: " + parsed.status().message());
    }
    preset->layer.preset = std::move(*parsed);
  }
  preset->source_yaml = rows.Get(row, 4);
  preset->author = rows.Get(row, 5);
  preset->created_at = FromMicros(rows.Get(row, 6));
  return Remember(std::move(preset));
}

StatusOr<StoredPresetPtr> PgPresetStore::Insert(const PresetWrite& w, bool tombstone) {
  // The notification commits with the row: every daemon's latest-version cache hears of it.
  static const std::string kInsert =
      std::string(
          "WITH ins AS (INSERT INTO presets (team, job_type, version, body, source_yaml,"
          " author, created_at, deleted)"
          " VALUES ($1, $2, $3, $4::jsonb, $5, $6, micros_to_ts($7), $8) RETURNING *),"
          " n AS (SELECT pg_notify('") +
      kPresetsChannel + "', team || '/' || job_type) FROM ins) SELECT " + kPresetColumns +
      " FROM ins, (SELECT count(*) FROM n) AS notified";
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  StoredPresetPtr written;
  RETURN_IF_ERROR(InTransaction(*conn, [&](PgConnection& c) -> Status {
    // One preset write per team at a time: the checks of `extends` read the team's other job
    // types, which a concurrent write could change between the check and the insert.
    RETURN_IF_ERROR(
        c.Exec("SELECT pg_advisory_xact_lock(hashtext($1))", {"sparkd_presets/" + w.team})
            .status());
    ASSIGN_OR_RETURN(auto team, c.Exec("SELECT 1 FROM teams WHERE name = $1", {w.team}));
    if (team.rows() == 0) return NotFound("team " + w.team + " not found");
    ASSIGN_OR_RETURN(Latest latest, ReadLatest(c, w.team, w.job_type));
    RETURN_IF_ERROR(CheckExpected(w, latest, tombstone));
    RETURN_IF_ERROR(CheckExtends(c, w, tombstone));
    auto rows = c.Exec(
        kInsert, {w.team, w.job_type, std::to_string(latest.version + 1),
                  tombstone ? "{}" : PresetToJson(w.preset).dump(), tombstone ? "" : w.source_yaml,
                  w.author, ToMicrosParam(w.at), tombstone ? "true" : "false"});
    // Kept although the lock serialises this daemon's writers: a row written by other means.
    if (rows.status().code() == StatusCode::kAlreadyExists) {
      return Aborted("preset " + w.job_type + " of team " + w.team +
                     " was written concurrently; re-read it and retry");
    }
    if (!rows.ok()) return rows.status();
    ASSIGN_OR_RETURN(written, FromRow(*rows, 0));
    return Status::Ok();
  }));
  ForgetLatest(JobTypeKey{w.team, w.job_type});
  return written;
}

StatusOr<StoredPresetPtr> PgPresetStore::Put(const PresetWrite& write) {
  return Insert(write, false);
}

StatusOr<StoredPresetPtr> PgPresetStore::Delete(const PresetWrite& write) {
  return Insert(write, true);
}

StatusOr<StoredPresetPtr> PgPresetStore::Get(const std::string& team, const std::string& job_type,
                                             int64_t version) {
  if (version <= 0) return GetLatest(team, job_type);
  if (auto hit = Cached({team, job_type, version})) return hit;
  ASSIGN_OR_RETURN(auto rows, Select(" FROM presets WHERE team = $1 AND job_type = $2"
                                     " AND version = $3",
                                     {team, job_type, std::to_string(version)}));
  if (rows.empty()) {
    return NotFound("preset " + job_type + " v" + std::to_string(version) + " not found");
  }
  return rows.front();
}

StatusOr<StoredPresetPtr> PgPresetStore::GetLatest(const std::string& team,
                                                   const std::string& job_type) {
  JobTypeKey key{team, job_type};
  auto not_found = [&] { return NotFound("preset " + job_type + " not found"); };
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = latest_.find(key); latest_enabled_ && it != latest_.end() &&
                                     it->second.expires > std::chrono::steady_clock::now()) {
      if (it->second.preset == nullptr) return not_found();
      return it->second.preset;
    }
    generation = latest_generation_;
  }
  // The latest row in one round trip; its body is parsed only on a cache miss.
  ASSIGN_OR_RETURN(auto rows, Select(" FROM presets WHERE team = $1 AND job_type = $2"
                                     " ORDER BY version DESC LIMIT 1",
                                     {team, job_type}));
  StoredPresetPtr latest;
  if (!rows.empty() && !rows.front()->deleted) latest = rows.front();
  {
    std::lock_guard lock(mu_);
    if (latest_enabled_ && generation == latest_generation_) {
      if (latest_.size() > 10000) ForgetAllLatestLocked();  // bounded: job types are few
      latest_[key] = LatestEntry{latest, std::chrono::steady_clock::now() + kLatestTtl};
    }
  }
  if (latest == nullptr) return not_found();
  return latest;
}

void PgPresetStore::ForgetLatest(const JobTypeKey& key) {
  std::lock_guard lock(mu_);
  latest_.erase(key);
  ++latest_generation_;
}

void PgPresetStore::ForgetLatest(std::string_view payload) {
  // Job types cannot contain '/': the last one separates them from the team.
  size_t slash = payload.rfind('/');
  if (slash == std::string_view::npos) {  // not ours to read: forget everything
    std::lock_guard lock(mu_);
    ForgetAllLatestLocked();
    return;
  }
  ForgetLatest(
      JobTypeKey{std::string(payload.substr(0, slash)), std::string(payload.substr(slash + 1))});
}

void PgPresetStore::SetLatestCacheEnabled(bool enabled) {
  std::lock_guard lock(mu_);
  ForgetAllLatestLocked();
  latest_enabled_ = enabled;
}

void PgPresetStore::ForgetAllLatestLocked() {
  latest_.clear();
  ++latest_generation_;
}

StatusOr<std::vector<StoredPresetPtr>> PgPresetStore::List(const std::string& team) {
  return Select(
      " FROM (SELECT DISTINCT ON (job_type) * FROM presets WHERE team = $1"
      " ORDER BY job_type, version DESC) latest WHERE NOT deleted ORDER BY job_type",
      {team});
}

StatusOr<std::vector<StoredPresetPtr>> PgPresetStore::History(const std::string& team,
                                                              const std::string& job_type) {
  return Select(" FROM presets WHERE team = $1 AND job_type = $2 ORDER BY version DESC",
                {team, job_type});
}

StatusOr<std::vector<StoredPresetPtr>> PgPresetStore::Select(const std::string& from_where,
                                                             const std::vector<PgParam>& params) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec(std::string("SELECT ") + kPresetColumns + from_where, params));
  std::vector<StoredPresetPtr> presets;
  for (int i = 0; i < rows.rows(); ++i) {
    ASSIGN_OR_RETURN(StoredPresetPtr preset, FromRow(rows, i));
    presets.push_back(std::move(preset));
  }
  return presets;
}

}  // namespace sparkd::store
