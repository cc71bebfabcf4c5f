// The daemon's HTTP side: health and the stable links every job gets (/jobs/{id},
// /jobs/{id}/ui, /jobs/{id}/logs). The Airflow extra links point here, so these URLs must keep
// working for the life of the job record.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon/core/backend.h"
#include "daemon/core/job_service.h"

namespace httplib {
class Server;
}

namespace sparkd::api {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
};

class HttpServer {
 public:
  // `health` answers /healthz: OK when the daemon can serve (e.g. the database answers).
  HttpServer(JobService* jobs, Backend* backend, std::function<Status()> health);
  ~HttpServer();

  // Binds and serves on a background thread. Returns the bound port.
  StatusOr<int> Start(const HttpOptions& options);
  void Stop();

 private:
  void Routes();

  JobService* jobs_;
  Backend* backend_;
  std::function<Status()> health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace sparkd::api
