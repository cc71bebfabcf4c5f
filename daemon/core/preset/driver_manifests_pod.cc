// The driver pod as Spark 3.5.8's KubernetesDriverBuilder builds it: the pod template, then
// each feature step in the builder's order (BasicDriverFeatureStep, the service account of
// DriverKubernetesCredentialsFeatureStep, DriverServiceFeatureStep, MountSecretsFeatureStep,
// EnvSecretsFeatureStep, MountVolumesFeatureStep, DriverCommandFeatureStep,
// PodTemplateConfigMapStep, LocalDirsFeatureStep), then the conf volume the submit Client adds.
// Lists are appended in Spark's order; where Spark iterates a hash map (user env, secrets,
// volumes from conf) the entries come sorted by name instead.
#include <algorithm>
#include <set>

#include "daemon/core/preset/driver_manifests_internal.h"

namespace sparkd::driver_internal {
namespace {

using nlohmann::json;

constexpr char kConfDir[] = "/opt/spark/conf";
constexpr char kPodTemplateDir[] = "/opt/spark/pod-template";
constexpr char kPodTemplateFile[] = "pod-spec-template.yml";
constexpr char kPodTemplateKey[] = "podspec-configmap-key";
constexpr char kVolumesPrefix[] = "spark.kubernetes.driver.volumes.";

struct SparkPod {
  json pod;
  json container;
};

std::string ConfText(std::string_view key, std::string_view value) {
  return "conf.\"" + std::string(key) + "\": \"" + std::string(value) + "\"";
}

void Append(json& object, const char* key, json item) {
  json& list = object[key];
  if (!list.is_array()) list = json::array();
  list.push_back(std::move(item));
}

json PlainEnv(const std::string& name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

// KubernetesUtils.selectSparkContainer: the named container if exactly one has that name, else
// the first; the rest stay in the pod.
SparkPod SelectSparkContainer(const json& pod_template, const std::optional<std::string>& name) {
  SparkPod out{pod_template.is_object() ? pod_template : json::object(), json::object()};
  json containers = out.pod.contains("spec") && out.pod["spec"].contains("containers")
                        ? out.pod["spec"]["containers"]
                        : json::array();
  if (containers.empty()) return out;
  size_t chosen = 0;
  if (name) {
    auto named = [&](const json& c) { return c.value("name", "") == *name; };
    if (std::count_if(containers.begin(), containers.end(), named) == 1) {
      chosen = std::find_if(containers.begin(), containers.end(), named) - containers.begin();
    }
  }
  out.container = containers[chosen];
  containers.erase(containers.begin() + static_cast<std::ptrdiff_t>(chosen));
  out.pod["spec"]["containers"] = containers;
  return out;
}

// Utils.substituteAppNExecIds, with no executor id on the driver.
std::string SubstituteIds(std::string text, const std::string& app_id) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"{{APP_ID}}", app_id},
                                 std::pair<std::string, std::string>{"{{EXECUTOR_ID}}", ""}}) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
      text.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return text;
}

// The driver's memory request and limit in MiB, and the overhead factor Spark passes on to
// executors (spark.kubernetes.memoryOverheadFactor).
struct DriverMemory {
  int64_t total_mib = 0;
  double default_factor = 0;
};

StatusOr<DriverMemory> ResolveMemory(const DriverConf& d) {
  constexpr char kFactorKey[] = "spark.kubernetes.memoryOverheadFactor";
  constexpr char kDriverFactorKey[] = "spark.driver.memoryOverheadFactor";
  ASSIGN_OR_RETURN(int64_t heap, MebibytesOf(d.conf, "spark.driver.memory", 1024));
  ASSIGN_OR_RETURN(std::optional<double> factor, DoubleOf(d.conf, kFactorKey));
  ASSIGN_OR_RETURN(std::optional<double> driver_factor, DoubleOf(d.conf, kDriverFactorKey));
  if (factor && *factor < 0) {
    return InvalidArgument(ConfText(kFactorKey, d.conf.at(kFactorKey)) + " must not be negative");
  }
  if (driver_factor && *driver_factor <= 0) {
    return InvalidArgument(ConfText(kDriverFactorKey, d.conf.at(kDriverFactorKey)) +
                           " must be greater than 0");
  }
  // Non-JVM apps get 0.4 unless the (deprecated) shared factor is set.
  DriverMemory memory{0, factor.value_or(d.python ? 0.4 : 0.1)};
  double used_factor = driver_factor.value_or(memory.default_factor);
  int64_t overhead = std::max<int64_t>(static_cast<int64_t>(used_factor * heap), 384);
  if (Get(d.conf, "spark.driver.memoryOverhead")) {
    ASSIGN_OR_RETURN(overhead, MebibytesOf(d.conf, "spark.driver.memoryOverhead", 0));
  }
  memory.total_mib = heap + overhead;
  return memory;
}

// spark.driver.resource.{name}.amount / .vendor: extended resources, as limits.
StatusOr<json> CustomResourceLimits(const Conf& conf) {
  constexpr char kPrefix[] = "spark.driver.resource.";
  std::set<std::string> names;
  for (const auto& [key, value] : WithPrefix(conf, kPrefix)) {
    if (key.find('.') != std::string::npos) names.insert(key.substr(0, key.find('.')));
  }
  json limits = json::object();
  for (const std::string& name : names) {
    std::string key = std::string(kPrefix) + name;
    if (!Get(conf, key + ".amount")) {
      return InvalidArgument("conf.\"" + key + ".amount\": required for resource " + name);
    }
    ASSIGN_OR_RETURN(int64_t amount, IntOf(conf, key + ".amount", 0));
    std::optional<std::string> vendor = Get(conf, key + ".vendor");
    if (!vendor) {
      return InvalidArgument("conf.\"" + key + ".vendor\": required for resource " + name +
                             " on Kubernetes");
    }
    limits[*vendor + "/" + name] = std::to_string(amount);
  }
  return limits;
}

// BasicDriverStep's container: name, image, ports, Spark's env around the user's, resources.
Status BasicContainer(const DriverConf& d, json& c, const DriverMemory& memory) {
  ASSIGN_OR_RETURN(int64_t cores, IntOf(d.conf, "spark.driver.cores", 1));
  ASSIGN_OR_RETURN(json custom_limits, CustomResourceLimits(d.conf));
  ASSIGN_OR_RETURN(int64_t port, IntOf(d.conf, "spark.driver.port", 7078));
  ASSIGN_OR_RETURN(int64_t shared_bm_port, IntOf(d.conf, "spark.blockManager.port", 7079));
  ASSIGN_OR_RETURN(int64_t bm_port,
                   IntOf(d.conf, "spark.driver.blockManager.port", shared_bm_port));
  ASSIGN_OR_RETURN(int64_t ui_port, IntOf(d.conf, "spark.ui.port", 4040));
  if (!c.contains("name") || c["name"].is_null()) c["name"] = "spark-kubernetes-driver";
  c["image"] = Get(d.conf, "spark.kubernetes.driver.container.image")
                   .value_or(d.conf.at("spark.kubernetes.container.image"));
  c["imagePullPolicy"] =
      Get(d.conf, "spark.kubernetes.container.image.pullPolicy").value_or("IfNotPresent");
  for (const auto& [name, number] : {std::pair<const char*, int64_t>{"driver-rpc-port", port},
                                     {"blockmanager", bm_port},
                                     {"spark-ui", ui_port}}) {
    Append(c, "ports", {{"containerPort", number}, {"name", name}, {"protocol", "TCP"}});
  }
  Append(c, "env", PlainEnv("SPARK_USER", d.spark_user));
  Append(c, "env", PlainEnv("SPARK_APPLICATION_ID", d.app_id));
  for (const auto& [name, value] : WithPrefix(d.conf, "spark.kubernetes.driverEnv.")) {
    Append(c, "env", PlainEnv(name, value));
  }
  Append(c, "env",
         {{"name", "SPARK_DRIVER_BIND_ADDRESS"},
          {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "status.podIP"}}}}}});
  json& resources = c["resources"];
  std::string memory_quantity = std::to_string(memory.total_mib) + "Mi";
  resources["requests"]["cpu"] =
      Get(d.conf, "spark.kubernetes.driver.request.cores").value_or(std::to_string(cores));
  if (auto limit = Get(d.conf, "spark.kubernetes.driver.limit.cores")) {
    resources["limits"]["cpu"] = *limit;
  }
  resources["requests"]["memory"] = memory_quantity;
  resources["limits"]["memory"] = memory_quantity;
  for (const auto& [name, amount] : custom_limits.items()) resources["limits"][name] = amount;
  return Status::Ok();
}

Status BasicDriverStep(const DriverConf& d, SparkPod& p, Conf& props) {
  ASSIGN_OR_RETURN(DriverMemory memory, ResolveMemory(d));
  RETURN_IF_ERROR(BasicContainer(d, p.container, memory));
  json& metadata = p.pod["metadata"];
  metadata["name"] = d.names.driver_pod;
  for (const auto& [key, value] : d.labels) metadata["labels"][key] = value;
  for (const auto& [key, value] : WithPrefix(d.conf, "spark.kubernetes.driver.annotation.")) {
    metadata["annotations"][key] = SubstituteIds(value, d.app_id);
  }
  json& spec = p.pod["spec"];
  spec["restartPolicy"] = "Never";
  for (const char* prefix :
       {"spark.kubernetes.node.selector.", "spark.kubernetes.driver.node.selector."}) {
    for (const auto& [key, value] : WithPrefix(d.conf, prefix)) spec["nodeSelector"][key] = value;
  }
  auto secrets = Get(d.conf, "spark.kubernetes.container.image.pullSecrets");
  for (const std::string& secret : ConfList(secrets.value_or(""))) {
    Append(spec, "imagePullSecrets", {{"name", secret}});
  }
  auto scheduler = Get(d.conf, "spark.kubernetes.driver.scheduler.name");
  if (!scheduler) scheduler = Get(d.conf, "spark.kubernetes.scheduler.name");
  if (scheduler) spec["schedulerName"] = *scheduler;

  props["spark.kubernetes.driver.pod.name"] = d.names.driver_pod;
  props["spark.app.id"] = d.app_id;
  props["spark.kubernetes.submitInDriver"] = "true";
  props["spark.kubernetes.memoryOverheadFactor"] = JavaDoubleToString(memory.default_factor);
  return Status::Ok();
}

void ServiceAccountStep(const DriverConf& d, SparkPod& p) {
  auto account = Get(d.conf, "spark.kubernetes.authenticate.driver.serviceAccountName");
  if (!account) return;
  p.pod["spec"]["serviceAccount"] = *account;
  p.pod["spec"]["serviceAccountName"] = *account;
}

StatusOr<DriverObject> ServiceStep(const DriverConf& d, Conf& props) {
  ASSIGN_OR_RETURN(int64_t port, IntOf(d.conf, "spark.driver.port", 7078));
  ASSIGN_OR_RETURN(int64_t bm_port, IntOf(d.conf, "spark.driver.blockManager.port", 7079));
  ASSIGN_OR_RETURN(int64_t ui_port, IntOf(d.conf, "spark.ui.port", 4040));
  json metadata = {{"name", d.names.service}, {"labels", {{"spark-app-selector", d.app_id}}}};
  for (const auto& [k, v] : WithPrefix(d.conf, "spark.kubernetes.driver.service.label.")) {
    metadata["labels"][k] = v;
  }
  for (const auto& [k, v] : WithPrefix(d.conf, "spark.kubernetes.driver.service.annotation.")) {
    metadata["annotations"][k] = v;
  }
  json ports = json::array();
  for (const auto& [name, number] : {std::pair<const char*, int64_t>{"driver-rpc-port", port},
                                     {"blockmanager", bm_port},
                                     {"spark-ui", ui_port}}) {
    ports.push_back({{"name", name}, {"port", number}, {"targetPort", number}});
  }
  json families = json::array();
  for (const std::string& family :
       JavaSplit(Get(d.conf, "spark.kubernetes.driver.service.ipFamilies").value_or("IPv4"), ',')) {
    families.push_back(family);
  }
  json spec = {
      {"clusterIP", "None"},
      {"ipFamilyPolicy",
       Get(d.conf, "spark.kubernetes.driver.service.ipFamilyPolicy").value_or("SingleStack")},
      {"ipFamilies", families},
      {"selector", d.labels},
      {"ports", ports}};
  props["spark.driver.host"] = d.names.service + "." + d.namespace_name + ".svc";
  props["spark.driver.port"] = std::to_string(port);
  props["spark.driver.blockManager.port"] = std::to_string(bm_port);
  return DriverObject{
      "services",
      {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", metadata}, {"spec", spec}}};
}

void MountSecretsStep(const DriverConf& d, SparkPod& p) {
  for (const auto& [secret, path] : WithPrefix(d.conf, "spark.kubernetes.driver.secrets.")) {
    std::string volume = secret + "-volume";
    Append(p.pod["spec"], "volumes", {{"name", volume}, {"secret", {{"secretName", secret}}}});
    Append(p.container, "volumeMounts", {{"mountPath", path}, {"name", volume}});
  }
}

Status EnvSecretsStep(const DriverConf& d, SparkPod& p) {
  constexpr char kPrefix[] = "spark.kubernetes.driver.secretKeyRef.";
  for (const auto& [name, ref] : WithPrefix(d.conf, kPrefix)) {
    std::vector<std::string> parts = JavaSplit(ref, ':');
    if (parts.size() != 2) {
      return InvalidArgument(ConfText(kPrefix + name, ref) +
                             ": a secretKeyRef must be in the form name:key");
    }
    Append(p.container, "env",
           {{"name", name},
            {"valueFrom", {{"secretKeyRef", {{"key", parts[1]}, {"name", parts[0]}}}}}});
  }
  return Status::Ok();
}

// One volume of spark.kubernetes.driver.volumes.[type].[name].*.
StatusOr<json> VolumeSource(const std::string& type, const std::string& name,
                            const std::map<std::string, std::string>& options, bool read_only) {
  std::string base = std::string(kVolumesPrefix) + type + "." + name + ".options.";
  auto need = [&](const char* option) -> StatusOr<std::string> {
    auto it = options.find(option);
    if (it == options.end()) {
      return InvalidArgument("conf.\"" + base + option + "\": required for a " + type + " volume");
    }
    return it->second;
  };
  if (type == "hostPath") {
    ASSIGN_OR_RETURN(std::string path, need("path"));
    return json{{"hostPath", {{"path", path}, {"type", ""}}}};
  }
  if (type == "persistentVolumeClaim") {
    ASSIGN_OR_RETURN(std::string claim, need("claimName"));
    if (claim == "OnDemand" || claim.find("SPARK_EXECUTOR_ID") != std::string::npos) {
      return InvalidArgument("conf.\"" + base + "claimName\": \"" + claim +
                             "\": k8s-native does not create claims; name an existing one");
    }
    return json{{"persistentVolumeClaim", {{"claimName", claim}, {"readOnly", read_only}}}};
  }
  if (type == "emptyDir") {
    json source = {{"medium", options.contains("medium") ? options.at("medium") : ""}};
    if (options.contains("sizeLimit")) source["sizeLimit"] = options.at("sizeLimit");
    return json{{"emptyDir", source}};
  }
  if (type == "nfs") {
    ASSIGN_OR_RETURN(std::string path, need("path"));
    ASSIGN_OR_RETURN(std::string server, need("server"));
    // Spark leaves the source's readOnly unset; only the mount is read-only.
    return json{{"nfs", {{"path", path}, {"server", server}}}};
  }
  return InvalidArgument("conf.\"" + std::string(kVolumesPrefix) + type + "." + name +
                         ".mount.path\": Kubernetes volume type `" + type +
                         "` is not supported (hostPath, persistentVolumeClaim, emptyDir, nfs)");
}

Status MountVolumesStep(const DriverConf& d, SparkPod& p) {
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> volumes;
  for (const auto& [key, value] : WithPrefix(d.conf, kVolumesPrefix)) {
    std::vector<std::string> parts = JavaSplit(key, '.');
    if (parts.size() < 2) continue;
    volumes[{parts[0], parts[1]}][key.substr(parts[0].size() + parts[1].size() + 2)] = value;
  }
  std::set<std::string> mount_paths;
  // By volume name, as the mounts are listed; Spark goes by (type, name) hash order.
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& [id, settings] : volumes) order.push_back(id);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [type, name] : order) {
    const auto& settings = volumes[{type, name}];
    std::string base = std::string(kVolumesPrefix) + type + "." + name + ".";
    if (!settings.contains("mount.path")) {
      return InvalidArgument("conf.\"" + base + "mount.path\": required");
    }
    std::string path = settings.at("mount.path");
    if (!mount_paths.insert(path).second) {
      return InvalidArgument("conf.\"" + base + "mount.path\": found duplicated mountPath: `" +
                             path + "`");
    }
    ASSIGN_OR_RETURN(bool read_only, BoolOf(settings, "mount.readOnly", false));
    std::map<std::string, std::string> options = WithPrefix(settings, "options.");
    ASSIGN_OR_RETURN(json source, VolumeSource(type, name, options, read_only));
    source["name"] = name;
    Append(p.pod["spec"], "volumes", source);
    Append(p.container, "volumeMounts",
           {{"mountPath", path},
            {"name", name},
            {"readOnly", read_only},
            {"subPath", settings.contains("mount.subPath") ? settings.at("mount.subPath") : ""}});
  }
  return Status::Ok();
}

void DriverCommandStep(const DriverConf& d, SparkPod& p, Conf& props) {
  json& args = p.container["args"];
  if (!args.is_array()) args = json::array();
  for (const char* arg : {"driver", "--properties-file"}) args.push_back(arg);
  args.push_back(std::string(kConfDir) + "/spark.properties");
  args.push_back("--class");
  args.push_back(d.python ? "org.apache.spark.deploy.PythonRunner" : d.main_class);
  args.push_back(d.primary_resource);
  for (const std::string& arg : d.args) args.push_back(arg);
  props["spark.kubernetes.resource.type"] = d.python ? "python" : "java";
}

std::optional<DriverObject> PodTemplateConfigMapStep(const DriverConf& d, SparkPod& p,
                                                     Conf& props) {
  if (d.executor_template.empty()) return std::nullopt;
  const std::string& name = d.names.pod_template_config_map;
  Append(p.pod["spec"], "volumes",
         {{"name", "pod-template-volume"},
          {"configMap",
           {{"name", name},
            {"items", json::array({{{"key", kPodTemplateKey}, {"path", kPodTemplateFile}}})}}}});
  Append(p.container, "volumeMounts",
         {{"mountPath", kPodTemplateDir}, {"name", "pod-template-volume"}});
  props["spark.kubernetes.executor.podTemplateFile"] =
      std::string(kPodTemplateDir) + "/" + kPodTemplateFile;
  return DriverObject{"configmaps",
                      {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", {{"name", name}}},
                       {"data", {{kPodTemplateKey, d.executor_template}}},
                       {"immutable", true}}};
}

// Mounts the template already has under spark-local-dir-* are the local dirs; otherwise one
// emptyDir per entry of spark.local.dir (or the default dir). Spark shuffles the list; sparkd
// keeps its order, so a re-render gives the same pod.
Status LocalDirsStep(const DriverConf& d, SparkPod& p) {
  std::vector<std::string> dirs;
  for (const json& mount : p.container.value("volumeMounts", json::array())) {
    if (mount.value("name", "").starts_with("spark-local-dir-")) {
      dirs.push_back(mount.value("mountPath", ""));
    }
  }
  if (dirs.empty()) {
    ASSIGN_OR_RETURN(bool tmpfs, BoolOf(d.conf, "spark.kubernetes.local.dirs.tmpfs", false));
    dirs = JavaSplit(Get(d.conf, "spark.local.dir").value_or(d.names.local_dir), ',');
    for (size_t i = 0; i < dirs.size(); ++i) {
      std::string name = "spark-local-dir-" + std::to_string(i + 1);
      json empty_dir = tmpfs ? json{{"medium", "Memory"}} : json::object();
      Append(p.pod["spec"], "volumes", {{"emptyDir", empty_dir}, {"name", name}});
      Append(p.container, "volumeMounts", {{"mountPath", dirs[i]}, {"name", name}});
    }
  }
  std::string joined;
  for (const std::string& dir : dirs) joined += (joined.empty() ? "" : ",") + dir;
  Append(p.container, "env", PlainEnv("SPARK_LOCAL_DIRS", joined));
  return Status::Ok();
}

// The submit Client: SPARK_CONF_DIR and the spark.properties volume, then the Spark container
// after the template's other containers.
void ConfVolume(const DriverConf& d, SparkPod& p) {
  Append(p.container, "env", PlainEnv("SPARK_CONF_DIR", kConfDir));
  Append(p.container, "volumeMounts",
         {{"mountPath", kConfDir}, {"name", "spark-conf-volume-driver"}});
  Append(p.pod["spec"], "containers", p.container);
  json item = {{"key", "spark.properties"}, {"mode", 420}, {"path", "spark.properties"}};
  Append(p.pod["spec"], "volumes",
         {{"configMap", {{"items", json::array({item})}, {"name", d.names.conf_config_map}}},
          {"name", "spark-conf-volume-driver"}});
}

}  // namespace

StatusOr<DriverBuild> BuildDriverPod(const DriverConf& d) {
  SparkPod p = SelectSparkContainer(
      d.driver_template, Get(d.conf, "spark.kubernetes.driver.podTemplateContainerName"));
  p.pod["apiVersion"] = "v1";
  p.pod["kind"] = "Pod";
  DriverBuild build;
  RETURN_IF_ERROR(BasicDriverStep(d, p, build.system_properties));
  ServiceAccountStep(d, p);
  ASSIGN_OR_RETURN(DriverObject service, ServiceStep(d, build.system_properties));
  build.resources.push_back(std::move(service));
  MountSecretsStep(d, p);
  RETURN_IF_ERROR(EnvSecretsStep(d, p));
  RETURN_IF_ERROR(MountVolumesStep(d, p));
  DriverCommandStep(d, p, build.system_properties);
  if (auto config_map = PodTemplateConfigMapStep(d, p, build.system_properties)) {
    build.resources.push_back(std::move(*config_map));
  }
  RETURN_IF_ERROR(LocalDirsStep(d, p));
  ConfVolume(d, p);
  build.container = p.container;
  build.pod = std::move(p.pod);
  return build;
}

}  // namespace sparkd::driver_internal
