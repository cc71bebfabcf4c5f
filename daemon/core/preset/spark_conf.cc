#include "daemon/core/preset/spark_conf.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "daemon/core/preset/spec_parts.h"
#include "daemon/core/preset/suggest.h"
#include "daemon/core/spark_size.h"

namespace sparkd {
namespace {

struct TypedField {
  std::string_view conf_key;
  std::string_view field;
};

// Spark 3.3+ names (memoryOverheadFactor per role, spark.kubernetes.scheduler.name).
constexpr TypedField kTypedFields[] = {
    {"spark.app.name", "name"},
    {"spark.kubernetes.container.image", "image"},
    {"spark.kubernetes.container.image.pullPolicy", "imagePullPolicy"},
    {"spark.kubernetes.namespace", "namespace"},
    {"spark.kubernetes.authenticate.driver.serviceAccountName", "serviceAccount"},
    {"spark.kubernetes.scheduler.name", "schedulerName"},
    {"spark.driver.memory", "driver.memory"},
    {"spark.driver.memoryOverhead", "driver.memoryOverhead"},
    {"spark.driver.memoryOverheadFactor", "driver.memoryOverheadFactor"},
    {"spark.driver.cores", "driver.cores"},
    {"spark.kubernetes.driver.request.cores", "driver.cpuRequest"},
    {"spark.kubernetes.driver.limit.cores", "driver.cpuLimit"},
    {"spark.executor.memory", "executor.memory"},
    {"spark.executor.memoryOverhead", "executor.memoryOverhead"},
    {"spark.executor.memoryOverheadFactor", "executor.memoryOverheadFactor"},
    {"spark.executor.cores", "executor.cores"},
    {"spark.kubernetes.executor.request.cores", "executor.cpuRequest"},
    {"spark.kubernetes.executor.limit.cores", "executor.cpuLimit"},
    {"spark.executor.instances", "executor.instances"},
    {"spark.dynamicAllocation.enabled", "dynamicAllocation.enabled"},
    {"spark.dynamicAllocation.minExecutors", "dynamicAllocation.minExecutors"},
    {"spark.dynamicAllocation.initialExecutors", "dynamicAllocation.initialExecutors"},
    {"spark.dynamicAllocation.maxExecutors", "dynamicAllocation.maxExecutors"},
    {"spark.dynamicAllocation.shuffleTracking.enabled", "dynamicAllocation.shuffleTracking"},
    {"spark.dynamicAllocation.executorAllocationRatio",
     "dynamicAllocation.executorAllocationRatio"},
};

constexpr std::string_view kNodeSelectorPrefix = "spark.kubernetes.node.selector.";

enum class ValueType { kBool, kSize, kInt, kDuration, kFraction, kNumber, kText };

struct KnownKey {
  std::string_view key;
  ValueType type;
};

constexpr KnownKey kKnownKeys[] = {
    {"spark.sql.adaptive.enabled", ValueType::kBool},
    {"spark.sql.adaptive.coalescePartitions.enabled", ValueType::kBool},
    {"spark.sql.adaptive.skewJoin.enabled", ValueType::kBool},
    {"spark.sql.adaptive.localShuffleReader.enabled", ValueType::kBool},
    {"spark.sql.adaptive.advisoryPartitionSizeInBytes", ValueType::kSize},
    {"spark.sql.adaptive.skewJoin.skewedPartitionFactor", ValueType::kNumber},
    {"spark.sql.adaptive.coalescePartitions.initialPartitionNum", ValueType::kInt},
    {"spark.sql.shuffle.partitions", ValueType::kInt},
    {"spark.sql.files.maxPartitionBytes", ValueType::kSize},
    {"spark.sql.autoBroadcastJoinThreshold", ValueType::kSize},
    {"spark.sql.broadcastTimeout", ValueType::kDuration},
    {"spark.sql.execution.arrow.pyspark.enabled", ValueType::kBool},
    {"spark.sql.sources.partitionOverwriteMode", ValueType::kText},
    {"spark.sql.extensions", ValueType::kText},
    {"spark.default.parallelism", ValueType::kInt},
    {"spark.serializer", ValueType::kText},
    {"spark.kryoserializer.buffer.max", ValueType::kSize},
    {"spark.driver.maxResultSize", ValueType::kSize},
    {"spark.executor.pyspark.memory", ValueType::kSize},
    {"spark.memory.fraction", ValueType::kFraction},
    {"spark.memory.storageFraction", ValueType::kFraction},
    {"spark.memory.offHeap.enabled", ValueType::kBool},
    {"spark.memory.offHeap.size", ValueType::kSize},
    {"spark.task.cpus", ValueType::kInt},
    {"spark.task.maxFailures", ValueType::kInt},
    {"spark.stage.maxConsecutiveAttempts", ValueType::kInt},
    {"spark.speculation", ValueType::kBool},
    {"spark.speculation.multiplier", ValueType::kNumber},
    {"spark.speculation.quantile", ValueType::kFraction},
    {"spark.network.timeout", ValueType::kDuration},
    {"spark.executor.heartbeatInterval", ValueType::kDuration},
    {"spark.rpc.askTimeout", ValueType::kDuration},
    {"spark.locality.wait", ValueType::kDuration},
    {"spark.reducer.maxSizeInFlight", ValueType::kSize},
    {"spark.shuffle.file.buffer", ValueType::kSize},
    {"spark.shuffle.compress", ValueType::kBool},
    {"spark.shuffle.io.maxRetries", ValueType::kInt},
    {"spark.shuffle.io.retryWait", ValueType::kDuration},
    {"spark.shuffle.service.enabled", ValueType::kBool},
    {"spark.rdd.compress", ValueType::kBool},
    {"spark.ui.enabled", ValueType::kBool},
    {"spark.jars.packages", ValueType::kText},
    {"spark.dynamicAllocation.executorIdleTimeout", ValueType::kDuration},
    {"spark.dynamicAllocation.cachedExecutorIdleTimeout", ValueType::kDuration},
    {"spark.dynamicAllocation.schedulerBacklogTimeout", ValueType::kDuration},
    {"spark.dynamicAllocation.sustainedSchedulerBacklogTimeout", ValueType::kDuration},
    {"spark.dynamicAllocation.shuffleTracking.timeout", ValueType::kDuration},
    {"spark.decommission.enabled", ValueType::kBool},
    {"spark.storage.decommission.enabled", ValueType::kBool},
    {"spark.storage.decommission.shuffleBlocks.enabled", ValueType::kBool},
    {"spark.storage.decommission.rddBlocks.enabled", ValueType::kBool},
    {"spark.storage.decommission.fallbackStorage.path", ValueType::kText},
    {"spark.kubernetes.allocation.batch.size", ValueType::kInt},
    {"spark.kubernetes.allocation.batch.delay", ValueType::kDuration},
    {"spark.kubernetes.executor.deleteOnTermination", ValueType::kBool},
    {"spark.kubernetes.executor.apiPollingInterval", ValueType::kDuration},
    {"spark.kubernetes.executor.missingPodDetectDelta", ValueType::kDuration},
    {"spark.kubernetes.container.image.pullSecrets", ValueType::kText},
    {"spark.kubernetes.driver.ownPersistentVolumeClaim", ValueType::kBool},
    {"spark.kubernetes.driver.reusePersistentVolumeClaim", ValueType::kBool},
    {"spark.kubernetes.driver.waitToReusePersistentVolumeClaim", ValueType::kBool},
    {"spark.kubernetes.memoryOverheadFactor", ValueType::kFraction},
    {"spark.kubernetes.file.upload.path", ValueType::kText},
    {"spark.kubernetes.submission.waitAppCompletion", ValueType::kBool},
};

// Families of keys whose last segments are user-chosen names (labels, catalogs, env, ...).
constexpr std::string_view kKnownPrefixes[] = {
    "spark.hadoop.",
    "spark.sql.catalog.",
    "spark.executorEnv.",
    "spark.kubernetes.driverEnv.",
    "spark.kubernetes.driver.label.",
    "spark.kubernetes.executor.label.",
    "spark.kubernetes.driver.annotation.",
    "spark.kubernetes.executor.annotation.",
    "spark.kubernetes.driver.secrets.",
    "spark.kubernetes.executor.secrets.",
    "spark.kubernetes.driver.secretKeyRef.",
    "spark.kubernetes.executor.secretKeyRef.",
    "spark.kubernetes.driver.volumes.",
    "spark.kubernetes.executor.volumes.",
    "spark.kubernetes.driver.node.selector.",
    "spark.kubernetes.executor.node.selector.",
    "spark.driver.extraJavaOptions",
    "spark.executor.extraJavaOptions",
    "spark.driver.extraClassPath",
    "spark.executor.extraClassPath",
};

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status ValueError(std::string_view key, std::string_view value, std::string_view what) {
  return InvalidArgument(MapEntryPath("conf", key) + ": " + Quoted(value) + " is not " +
                         std::string(what));
}

bool IsWholeNumber(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// Spark's JavaUtils.timeStringAs: a whole number and an optional unit.
Status CheckDuration(std::string_view key, std::string_view value) {
  static constexpr std::string_view kUnits[] = {"us", "ms", "s", "m", "min", "h", "d"};
  size_t digits = value.find_first_not_of("0123456789");
  std::string_view number = value.substr(0, digits);
  std::string_view unit = digits == std::string_view::npos ? "" : value.substr(digits);
  if (number.empty()) return ValueError(key, value, "a duration (60s, 5min, 2h)");
  if (unit.empty() || std::find(std::begin(kUnits), std::end(kUnits), unit) != std::end(kUnits)) {
    return Status::Ok();
  }
  std::string hint = ClosestMatch(unit, kUnits);
  if (unit.starts_with("sec")) hint = "s";
  if (!hint.empty()) {
    return InvalidArgument(MapEntryPath("conf", key) + ": " + Quoted(value) +
                           " is not a duration; did you mean " +
                           Quoted(std::string(number) + hint) + "?");
  }
  return ValueError(key, value, "a duration (units: ms, s, min, h, d)");
}

Status CheckTyped(std::string_view key, std::string_view value, ValueType type) {
  std::optional<double> number;
  switch (type) {
    case ValueType::kBool:
      if (value == "true" || value == "false") return Status::Ok();
      return ValueError(key, value, "true or false");
    case ValueType::kSize: {
      if (value == "-1") return Status::Ok();  // "disabled" for the broadcast threshold
      auto size = ParseSparkSize(value);
      if (!size.ok()) return size.status().WithContext(MapEntryPath("conf", key));
      return Status::Ok();
    }
    case ValueType::kInt:
      if (IsWholeNumber(value)) return Status::Ok();
      return ValueError(key, value, "a whole number");
    case ValueType::kDuration:
      return CheckDuration(key, value);
    case ValueType::kFraction:
    case ValueType::kNumber:
      if (!ReadScalar(nlohmann::json(value), key, number).ok()) {
        return ValueError(key, value, "a number");
      }
      if (type == ValueType::kFraction && (*number < 0 || *number > 1)) {
        return ValueError(key, value, "between 0 and 1");
      }
      return Status::Ok();
    case ValueType::kText:
      return Status::Ok();
  }
  return Status::Ok();
}

// Built once: an unknown key is looked up among these for a suggestion.
const std::vector<std::string_view>& AllKnownKeys() {
  static const std::vector<std::string_view> kKeys = [] {
    std::vector<std::string_view> keys;
    for (const auto& k : kKnownKeys) keys.push_back(k.key);
    for (const auto& t : kTypedFields) keys.push_back(t.conf_key);
    return keys;
  }();
  return kKeys;
}

Status FoldOne(JobSpec& layer, std::string_view field, const std::string& key,
               const std::string& text) {
  Status status;
  ForEachScalar(layer, layer, [&](std::string_view path, auto& value, auto&) {
    if (path != field) return;
    std::decay_t<decltype(value)> parsed;
    status = ReadScalar(nlohmann::json(text), MapEntryPath("conf", key), parsed);
    if (!status.ok()) return;
    if (value && *value != *parsed) {
      status =
          InvalidArgument(MapEntryPath("conf", key) + ": conflicts with " + std::string(field) +
                          " in the same layer; set only " + std::string(field));
      return;
    }
    value = std::move(parsed);
  });
  return status;
}

}  // namespace

std::string_view ConfKeyForField(std::string_view field_path) {
  for (const auto& t : kTypedFields) {
    if (t.field == field_path) return t.conf_key;
  }
  return "";
}

std::string_view FieldForConfKey(std::string_view conf_key) {
  for (const auto& t : kTypedFields) {
    if (t.conf_key == conf_key) return t.field;
  }
  return "";
}

Status FoldTypedConf(JobSpec& layer) {
  for (auto it = layer.conf.begin(); it != layer.conf.end();) {
    const std::string& key = it->first;
    if (key.starts_with(kNodeSelectorPrefix)) {
      std::string label = key.substr(kNodeSelectorPrefix.size());
      auto [entry, inserted] = layer.node_selector.emplace(label, it->second);
      if (!inserted && entry->second != it->second) {
        return InvalidArgument(MapEntryPath("conf", key) + ": conflicts with " +
                               MapEntryPath("nodeSelector", label));
      }
    } else if (std::string_view field = FieldForConfKey(key); !field.empty()) {
      RETURN_IF_ERROR(FoldOne(layer, field, key, it->second));
    } else {
      ++it;
      continue;
    }
    it = layer.conf.erase(it);
  }
  return Status::Ok();
}

Status ValidateConfEntry(std::string_view key, std::string_view value,
                         std::vector<std::string>& warnings) {
  RETURN_IF_ERROR(CheckConfPolicy(key, value));
  for (const auto& known : kKnownKeys) {
    if (known.key == key) return CheckTyped(key, value, known.type);
  }
  for (std::string_view prefix : kKnownPrefixes) {
    if (key.starts_with(prefix)) return Status::Ok();
  }
  if (SandboxReason(key) || !FieldForConfKey(key).empty() ||
      FileKindOfConfKey(key) != ConfFileKind::kNone) {
    return Status::Ok();
  }
  if (!key.starts_with("spark.")) {
    warnings.push_back(MapEntryPath("conf", key) +
                       ": does not start with \"spark.\"; Spark ignores it");
    return Status::Ok();
  }
  warnings.push_back(MapEntryPath("conf", key) + ": not a key sparkd knows" +
                     DidYouMean(key, AllKnownKeys()) + " (passed to Spark as is)");
  return Status::Ok();
}

}  // namespace sparkd
