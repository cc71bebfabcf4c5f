// _sparkd_core: the preset functions of the daemon's core for Python. JSON text crosses the
// boundary (json.loads / json.dumps on the Python side), so Python sees plain dicts and lists.
// Errors raise CoreError, a ValueError whose message is the field-path error ("executor.memory:
// ...") and whose `code` is the daemon's status code name ("INVALID_ARGUMENT", "NOT_FOUND",
// "FAILED_PRECONDITION"), the same code the gRPC API would return.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <string>

#include "daemon/core/preset/documents.h"
#include "daemon/core/preset/driver_manifests.h"

namespace py = pybind11;

namespace {

struct CoreError {};

// Registered once per interpreter. Unwrap raises it through this handle, not by importing the
// module by name: the module is `_sparkd_core` in the build tree and
// `sparkd_provider._sparkd_core` in the provider's wheel.
py::handle core_error_type;

void RegisterCoreError(py::module_& m) {
  static py::exception<CoreError> type(m, "CoreError", PyExc_ValueError);
  core_error_type = type;
}

py::object Unwrap(const sparkd::StatusOr<nlohmann::json>& result) {
  if (!result.ok()) {
    const sparkd::Status& status = result.status();
    py::object error = core_error_type(status.message());
    error.attr("code") = std::string(sparkd::StatusCodeName(status.code()));
    PyErr_SetObject(error.get_type().ptr(), error.ptr());
    throw py::error_already_set();
  }
  return py::module_::import("json").attr("loads")(result->dump());
}

// Accepts a dict (or anything json.dumps takes) or a JSON string.
nlohmann::json ToJson(const py::object& value) {
  std::string text = py::isinstance<py::str>(value)
                         ? value.cast<std::string>()
                         : py::module_::import("json").attr("dumps")(value).cast<std::string>();
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw py::value_error("request: not valid JSON");
  return parsed;
}

sparkd::RenderContext Context(const py::dict& values) {
  sparkd::RenderContext context;
  auto get = [&](const char* key) {
    return values.contains(key) ? values[key].cast<std::string>() : std::string();
  };
  context.job_id = get("job_id");
  context.app_id = get("app_id");
  context.namespace_name = get("namespace");
  context.driver_pod = get("driver_pod");
  context.team = get("team");
  context.pod_prefix = get("pod_prefix");
  return context;
}

// The k8s-native backend's driver objects for a job: DriverManifestsToJson, the dependents with
// their ownerReferences to `pod_uid` when one is given.
sparkd::StatusOr<nlohmann::json> RenderDriverManifestsDocument(const nlohmann::json& job,
                                                               const nlohmann::json& settings,
                                                               const nlohmann::json& names,
                                                               const std::string& pod_uid) {
  ASSIGN_OR_RETURN(sparkd::DriverJob driver_job, sparkd::DriverJobFromJson(job));
  ASSIGN_OR_RETURN(sparkd::NativeBackendSettings backend,
                   sparkd::NativeBackendSettingsFromJson(settings));
  sparkd::DriverObjectNames object_names = sparkd::DriverObjectNamesForJob(driver_job.job_id);
  if (!names.is_null()) {
    ASSIGN_OR_RETURN(object_names, sparkd::DriverObjectNamesFromJson(names));
  }
  ASSIGN_OR_RETURN(sparkd::DriverManifests manifests,
                   sparkd::RenderDriverManifests(driver_job, backend, object_names));
  if (!pod_uid.empty()) manifests.dependents = sparkd::DependentsOwnedBy(manifests, pod_uid);
  return sparkd::DriverManifestsToJson(manifests);
}

}  // namespace

PYBIND11_MODULE(_sparkd_core, m) {
  m.doc() =
      "sparkd's preset core: parse, validate, merge and resolve job options as the daemon does.";
  RegisterCoreError(m);
  m.def(
      "parse_preset",
      [](const std::string& yaml) { return Unwrap(sparkd::ParsePresetDocument(yaml)); },
      py::arg("yaml"), "Parses a preset body: {'preset': {...}, 'warnings': [...]}.");
  m.def(
      "validate_request",
      [](const py::object& request) {
        return Unwrap(sparkd::ValidateRequestDocument(ToJson(request)));
      },
      py::arg("request"), "Checks a job request (dict or JSON): {'warnings': [...]}.");
  m.def(
      "resolve",
      [](const std::string& defaults, const std::map<std::string, std::string>& presets,
         const py::object& request, const py::dict& context) {
        return Unwrap(
            sparkd::ResolveDocuments(defaults, presets, ToJson(request), Context(context)));
      },
      py::arg("defaults_yaml"), py::arg("presets"), py::arg("request"),
      py::arg("context") = py::dict(),
      "Resolves a request against defaults and presets ({job_type: yaml}): the effective spec, "
      "provenance, warnings, presetsUsed, sparkConf, podTemplates and links.");
  m.def(
      "merge_presets",
      [](const std::string& defaults, const std::map<std::string, std::string>& presets,
         const std::string& job_type) {
        return Unwrap(sparkd::MergeDocuments(defaults, presets, job_type));
      },
      py::arg("defaults_yaml"), py::arg("presets"), py::arg("job_type"),
      "Merges defaults, the preset job_type extends and that preset, without a request: the "
      "spec every such job starts from, provenance (enforced paths marked), warnings, "
      "presetsUsed and sparkConf.");
  m.def(
      "diff_presets",
      [](const std::string& before, const std::string& after) {
        return Unwrap(sparkd::DiffDocuments(before, after));
      },
      py::arg("before_yaml"), py::arg("after_yaml"),
      "Field-level changes between two preset bodies: [{'path', 'before', 'after'}].");
  m.def(
      "render_driver_manifests",
      [](const py::object& job, const py::object& settings, const py::object& names,
         const std::string& pod_uid) {
        return Unwrap(RenderDriverManifestsDocument(
            ToJson(job), ToJson(settings), names.is_none() ? nlohmann::json() : ToJson(names),
            pod_uid));
      },
      py::arg("job"), py::arg("settings") = py::dict(), py::arg("names") = py::none(),
      py::arg("pod_uid") = "",
      "The k8s-native driver objects of a job ({'jobId', 'team', 'jobType', 'idempotencyKey', "
      "'submitTimeMs', 'spec'}) under backend settings ({'defaultNamespace', 'defaultImage', "
      "'masterUrl', 'sparkUser', 'daemonConf'}): namespace, names, submission (what "
      "spark-submit would be given), pod, dependents [{'resource', 'object'}] (with "
      "ownerReferences to pod_uid when given) and properties.");
}
