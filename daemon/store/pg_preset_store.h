// PresetStore on PostgreSQL. Rows are immutable (a trigger refuses UPDATE and DELETE), so
// parsed presets are cached in memory by (team, job_type, version) and never invalidated.
//
// "Which version is the latest" (asked on every submit) is cached too, but only while a
// PgListener hears every preset write: each write NOTIFYs kPresetsChannel in its own statement,
// the listener forgets the entry (ForgetLatest), and while it is not connected nothing is
// trusted (SetLatestCacheEnabled). A write through this daemon forgets at once; one through
// another replica applies when its notification arrives (milliseconds), and no entry lives
// longer than kLatestTtl in case a listener connection dies silently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "daemon/core/preset_store.h"
#include "daemon/store/pg.h"

namespace sparkd::store {

inline constexpr const char* kPresetsChannel = "sparkd_presets";

class PgPresetStore : public PresetStore {
 public:
  // `pool` must outlive the store.
  explicit PgPresetStore(PgPool* pool) : pool_(pool) {}

  StatusOr<StoredPresetPtr> Put(const PresetWrite& write) override;
  StatusOr<StoredPresetPtr> Delete(const PresetWrite& write) override;
  StatusOr<StoredPresetPtr> Get(const std::string& team, const std::string& job_type,
                                int64_t version) override;
  StatusOr<std::vector<StoredPresetPtr>> List(const std::string& team) override;
  StatusOr<std::vector<StoredPresetPtr>> History(const std::string& team,
                                                 const std::string& job_type) override;

  // For the PgListener: a kPresetsChannel payload names the (team, job_type) that changed.
  void ForgetLatest(std::string_view payload);
  // On while the listener is connected and listening; every change of state forgets all.
  void SetLatestCacheEnabled(bool enabled);

  static constexpr std::chrono::seconds kLatestTtl{30};

 private:
  using Key = std::tuple<std::string, std::string, int64_t>;
  using JobTypeKey = std::pair<std::string, std::string>;
  struct LatestEntry {
    StoredPresetPtr preset;  // nullptr: none, or a tombstone
    std::chrono::steady_clock::time_point expires;
  };

  StatusOr<StoredPresetPtr> Insert(const PresetWrite& write, bool tombstone);
  // "SELECT kPresetColumns" + `from_where`, every row through FromRow.
  StatusOr<std::vector<StoredPresetPtr>> Select(const std::string& from_where,
                                                const std::vector<PgParam>& params);
  // Parses the rows of a SELECT of kPresetColumns, through the cache.
  StatusOr<StoredPresetPtr> FromRow(const PgResult& rows, int row);
  StoredPresetPtr Cached(const Key& key);
  StoredPresetPtr Remember(StoredPresetPtr preset);
  StatusOr<StoredPresetPtr> GetLatest(const std::string& team, const std::string& job_type);
  void ForgetLatest(const JobTypeKey& key);
  void ForgetAllLatestLocked();

  PgPool* pool_;
  std::mutex mu_;
  std::map<Key, StoredPresetPtr> cache_;      // GUARDED_BY(mu_)
  std::map<JobTypeKey, LatestEntry> latest_;  // GUARDED_BY(mu_)
  bool latest_enabled_ = false;               // GUARDED_BY(mu_)
  // Bumped by every forget: a read that started before one must not fill the cache after it.
  uint64_t latest_generation_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace sparkd::store
