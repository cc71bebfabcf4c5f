// Reading a driver log the daemon keeps on disk, the way Backend::ReadDriverLog promises it.
#pragma once

#include <cstdint>
#include <filesystem>

#include "daemon/core/backend.h"

namespace sparkd::cluster {

// At most `max_bytes` of the file from `offset` (negative: that many bytes from the end). A
// file that does not exist yet reads as empty at offset 0.
LogChunk ReadLogFile(const std::filesystem::path& path, int64_t offset, int64_t max_bytes);

}  // namespace sparkd::cluster
