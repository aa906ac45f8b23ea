// What lethe asks of the machine it runs on.
#pragma once

#include <string>

namespace lethe {

// The machine's name (gethostname), the default host of the lines a native
// transcript becomes; "localhost" when it has none. Control characters are
// replaced, so the name is always a valid wire host.
std::string machine_host();

// Names the calling thread (at most 15 bytes: Linux's limit), so that `ps -L`,
// `top -H`, gdb and a crash report say which of lethe's threads it is
// ("lethe-parse", "lethe-export"). Does nothing where threads have no names.
void name_this_thread(const char* name) noexcept;

}  // namespace lethe
