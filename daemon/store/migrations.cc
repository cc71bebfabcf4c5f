#include "daemon/store/migrations.h"

namespace sparkd::store {

Status CheckMigrationSequence(const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    int expected = static_cast<int>(i) + 1;
    if (migrations[i].version != expected) {
      return Internal("migration " + migrations[i].name + " has number " +
                      std::to_string(migrations[i].version) + ", expected " +
                      std::to_string(expected) + ": numbers must be unique and contiguous");
    }
  }
  return Status::Ok();
}

}  // namespace sparkd::store
