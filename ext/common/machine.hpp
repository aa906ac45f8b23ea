// What lethe asks of the machine it runs on.
#pragma once

#include <string>

namespace lethe {

// The machine's name (gethostname), the default host of the lines a native
// transcript becomes; "localhost" when it has none. Control characters are
// replaced, so the name is always a valid wire host.
std::string machine_host();

}  // namespace lethe
