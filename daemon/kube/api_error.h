// Every error of the Kubernetes client becomes a Status here, in one place. A message says
// which verb on which object failed and why, in the API server's own words:
//   create pods "spark-blue/j1-driver": pods "j1-driver" is forbidden: User "sparkd" cannot
//   create resource "pods" in API group "" in the namespace "spark-blue" (Forbidden, HTTP 403)
//
//   HTTP status / reason           Status code
//   400 BadRequest                  INVALID_ARGUMENT
//   401 Unauthorized                UNAUTHENTICATED
//   403 Forbidden                   PERMISSION_DENIED
//   404 NotFound                    NOT_FOUND
//   405 MethodNotAllowed, 501       UNIMPLEMENTED
//   409 AlreadyExists               ALREADY_EXISTS
//   409 Conflict (and other 409s)   ABORTED (re-read and try again)
//   410 Gone / Expired              OUT_OF_RANGE (the resourceVersion is too old: re-list)
//   413, 415, 422 Invalid           INVALID_ARGUMENT (422: with every field cause)
//   429, 500, 502, 503, 504         UNAVAILABLE (after the client's retries)
//   other 5xx                       UNAVAILABLE
//   other                           UNKNOWN with the HTTP status
//   connect, TLS, broken stream     UNAVAILABLE naming the server URL and curl's error
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace sparkd::kube {

// What the client was doing, for the front of a message: `create pods "ns/name"`,
// `list configmaps in namespace "ns"`, `watch pods cluster-wide`,
// `get sparkapplications.sparkoperator.k8s.io "ns/name"`. An empty name describes a
// collection; an empty namespace a cluster-scoped object or all namespaces.
std::string DescribeRequest(std::string_view verb, std::string_view api_version,
                            std::string_view plural, std::string_view ns, std::string_view name);

// The Status for an HTTP error answer. `body` is normally the API server's Status object
// ({"kind":"Status","message":...,"reason":...,"details":...}); anything else (a proxy's page)
// is quoted, cut short.
Status ApiError(std::string_view what, int http_status, std::string_view body);

// The Status for an ERROR event of a watch; its object is a Status with a "code".
Status WatchError(std::string_view what, const nlohmann::json& status_object);

// The Status for a request that got no HTTP answer.
Status TransportError(std::string_view what, std::string_view url, std::string_view error);

}  // namespace sparkd::kube
