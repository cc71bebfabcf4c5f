#include "daemon/cluster/log_file.h"

#include <algorithm>
#include <fstream>

namespace sparkd::cluster {

LogChunk ReadLogFile(const std::filesystem::path& path, int64_t offset, int64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return LogChunk{"", 0};
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  int64_t start = offset < 0 ? std::max<int64_t>(0, size + offset) : std::min(offset, size);
  int64_t length = std::min(max_bytes, size - start);
  LogChunk chunk;
  chunk.data.resize(static_cast<size_t>(length));
  in.seekg(start);
  in.read(chunk.data.data(), length);
  chunk.next_offset = start + in.gcount();
  chunk.data.resize(static_cast<size_t>(in.gcount()));
  return chunk;
}

}  // namespace sparkd::cluster
