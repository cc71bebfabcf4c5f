// PresetStore on PostgreSQL. Rows are immutable (a trigger refuses UPDATE and DELETE), so
// parsed presets are cached in memory by (team, job_type, version) and never invalidated;
// only "which version is the latest" is asked of the database each time.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "daemon/core/preset_store.h"
#include "daemon/store/pg.h"

namespace sparkd::store {

class PgPresetStore : public PresetStore {
 public:
  // `pool` must outlive the store.
  explicit PgPresetStore(PgPool* pool) : pool_(pool) {}

  StatusOr<StoredPresetPtr> Put(const PresetWrite& write) override;
  StatusOr<StoredPresetPtr> Delete(const PresetWrite& write) override;
  StatusOr<StoredPresetPtr> Get(const std::string& team, const std::string& job_type,
                                int64_t version) override;
  StatusOr<std::vector<StoredPresetPtr>> List(const std::string& team) override;

 private:
  using Key = std::tuple<std::string, std::string, int64_t>;

  StatusOr<StoredPresetPtr> Insert(const PresetWrite& write, bool tombstone);
  // Parses the rows of a SELECT of kPresetColumns, through the cache.
  StatusOr<StoredPresetPtr> FromRow(const PgResult& rows, int row);
  StoredPresetPtr Cached(const Key& key);
  StoredPresetPtr Remember(StoredPresetPtr preset);

  PgPool* pool_;
  std::mutex mu_;
  std::map<Key, StoredPresetPtr> cache_;  // GUARDED_BY(mu_)
};

}  // namespace sparkd::store
