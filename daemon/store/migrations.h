// Schema migrations: the numbered files of sql/, embedded in the binary at build time.
#pragma once

#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace sparkd::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// Every sql/NNNN_*.sql file in version order.
const std::vector<Migration>& EmbeddedMigrations();

// Checks that versions are unique, contiguous and start at 1.
Status CheckMigrationSequence(const std::vector<Migration>& migrations);

}  // namespace sparkd::store
