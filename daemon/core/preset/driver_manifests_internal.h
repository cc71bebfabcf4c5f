// Internal to the driver manifests renderer (driver_manifests*.cc): Spark's conf reading, the
// java.util.Properties text, and the driver pod's feature steps. Not for other callers.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/preset/driver_manifests.h"
#include "daemon/core/status.h"

namespace sparkd::driver_internal {

using Conf = std::map<std::string, std::string>;

// The driver as Spark's KubernetesDriverConf sees it, once spark-submit has added its keys.
struct DriverConf {
  Conf conf;  // the submitting JVM's SparkConf
  std::string app_id;
  std::string app_name;
  std::string namespace_name;
  DriverObjectNames names;
  std::string primary_resource;
  std::string main_class;
  std::vector<std::string> args;
  bool python = false;
  std::string spark_user;
  nlohmann::json driver_template;             // null = none
  std::string executor_template;              // the text of the executors' pod template; "" = none
  std::map<std::string, std::string> labels;  // the driver's: custom ones, then Spark's
};

// What the feature steps made: the pod, the keys they add to spark.properties, the objects they
// add (the service, the executors' template config map).
struct DriverBuild {
  nlohmann::json pod;
  nlohmann::json container;  // the Spark container, added to the pod by the submit client
  Conf system_properties;
  std::vector<DriverObject> resources;
};

// conf[key] if set.
std::optional<std::string> Get(const Conf& conf, std::string_view key);
// Spark's parsePrefixedKeyValuePairs: the entries under `prefix`, the prefix cut off.
std::map<std::string, std::string> WithPrefix(const Conf& conf, std::string_view prefix);
// Java's String.split on one character: trailing empty parts are dropped.
std::vector<std::string> JavaSplit(std::string_view text, char separator);
// Spark's stringConf.toSequence: split on ',', trimmed, empty parts dropped.
std::vector<std::string> ConfList(std::string_view text);
// Spark's bytesAsMb of `key` (a bare number is MiB), or `fallback` when unset.
StatusOr<int64_t> MebibytesOf(const Conf& conf, std::string_view key, int64_t fallback);
// Scala's toInt of `key`, or `fallback` when unset.
StatusOr<int64_t> IntOf(const Conf& conf, std::string_view key, int64_t fallback);
// Scala's toDouble of `key`, or nullopt when unset.
StatusOr<std::optional<double>> DoubleOf(const Conf& conf, std::string_view key);
// Scala's toBoolean of `key`, or `fallback` when unset.
StatusOr<bool> BoolOf(const Conf& conf, std::string_view key, bool fallback);

// java.lang.Double.toString: "0.1", "1.0", "1.0E-5".
std::string JavaDoubleToString(double value);
// java.util.Date.toString in UTC: "Tue Dec 01 19:02:46 UTC 2026".
std::string JavaDateString(int64_t epoch_ms);
// The text java.util.Properties.store(Writer, comment) writes, keys in sorted order.
std::string JavaPropertiesText(const Conf& properties, std::string_view comment, int64_t epoch_ms);
// KubernetesConf.getAppNameLabel: the app name as a label value.
std::string AppNameLabel(std::string_view app_name);
// 64-bit FNV-1a, for names: stable across runs and builds, not a secret.
uint64_t Fnv1a64(std::string_view text);

// KubernetesDriverBuilder's feature steps, in its order, and the submit client's conf volume.
StatusOr<DriverBuild> BuildDriverPod(const DriverConf& driver);

}  // namespace sparkd::driver_internal
