// PresetStore: a team's presets, as immutable versions. PostgreSQL implements it
// (daemon/store). Versions never change once written, so implementations cache parsed presets
// by (team, job_type, version) and resolving a job costs no YAML parsing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/job.h"
#include "daemon/core/preset/preset.h"
#include "daemon/core/status.h"

namespace sparkd {

struct StoredPreset {
  PresetLayer layer;        // ref and the parsed preset (empty for a tombstone), ready to resolve
  std::string source_yaml;  // what the author wrote, comments included
  std::string author;
  TimePoint created_at;
  bool deleted = false;  // a tombstone: the job type has no preset from this version on
};

using StoredPresetPtr = std::shared_ptr<const StoredPreset>;

struct PresetWrite {
  std::string team;
  std::string job_type;
  // Optimistic concurrency: the version the writer last saw. 0 = the preset must not exist
  // (never written, or deleted). A mismatch is ABORTED naming the current version.
  int64_t expected_version = 0;
  std::string author;
  TimePoint at;
  // For a put; ignored by a delete.
  Preset preset;
  std::string source_yaml;
};

// Thread-safe.
class PresetStore {
 public:
  virtual ~PresetStore() = default;

  // Writes version expected_version+1 (or latest+1 after a tombstone). Two writers with the
  // same expected version: one wins, the other gets ABORTED. NOT_FOUND for an unknown team.
  // One level of `extends`, checked atomically with the write: INVALID_ARGUMENT when the base
  // is missing or extends another, or when this preset extends one while others extend it.
  virtual StatusOr<StoredPresetPtr> Put(const PresetWrite& write) = 0;

  // Writes a tombstone version. The preset must exist and be at expected_version (ABORTED
  // otherwise; NOT_FOUND when there is nothing to delete); FAILED_PRECONDITION while another
  // preset of the team extends it.
  virtual StatusOr<StoredPresetPtr> Delete(const PresetWrite& write) = 0;

  // version 0: the latest; NOT_FOUND when it is a tombstone or there is none. A given version
  // is returned even when it is a tombstone (deleted = true), so history stays readable.
  virtual StatusOr<StoredPresetPtr> Get(const std::string& team, const std::string& job_type,
                                        int64_t version) = 0;

  // The latest non-deleted version of every job type of `team`, by job type.
  virtual StatusOr<std::vector<StoredPresetPtr>> List(const std::string& team) = 0;

  // Every version of `job_type`, newest first, tombstones included; empty when never written.
  virtual StatusOr<std::vector<StoredPresetPtr>> History(const std::string& team,
                                                         const std::string& job_type) = 0;
};

}  // namespace sparkd
