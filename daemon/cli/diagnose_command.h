// `sparkd diagnose [--format json|text] FILE... | -`: says why each driver or executor in the
// given inputs ended. Uses only the core classifier and the standard library, so the sparkd
// binary links it without pulling an edge in.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace sparkd::cli {

// `args` are the arguments after "diagnose". Returns the process exit status: 0 when every
// input was read, 2 for a usage error or when an input could not be read at all (missing,
// a directory, binary or compressed data); the error names the file and why. Inputs that are
// readable but hold no evidence print UNKNOWN and do not fail.
int RunDiagnoseCommand(const std::vector<std::string>& args, std::istream& stdin_stream,
                       std::ostream& out, std::ostream& err);

}  // namespace sparkd::cli
