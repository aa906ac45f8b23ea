#include "common/machine.hpp"

#include <pthread.h>
#include <unistd.h>

#include <array>

#include "common/text.hpp"

namespace lethe {

std::string machine_host() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  std::string host(name.data());
  for (char& c : host) {
    if (is_control_character(static_cast<unsigned char>(c))) c = '_';
  }
  return host;
}

void name_this_thread(const char* name) noexcept {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), name);
#else
  (void)name;
#endif
}

}  // namespace lethe
