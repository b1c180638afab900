/* Debian's liblammps-dev (bookworm, LAMMPS 7Jan2022) installs headers that
 * include "fmt/format.h", but not the copy of {fmt} 7 that LAMMPS was built
 * with. Debian's libfmt-dev (9.x) has the same API except
 * make_args_checked, which 9 dropped. The LAMMPS headers name it only in
 * templates that the pair style never instantiates (it calls the
 * std::string overloads), so a declaration that parses is all they need. */
#ifndef EQV_FMT_SHIM_H
#define EQV_FMT_SHIM_H
#include_next <fmt/format.h>

namespace fmt {
template <typename... Args, typename S>
inline auto make_args_checked(const S &, const Args &...args) -> decltype(fmt::make_format_args(args...))
{
  return fmt::make_format_args(args...);
}
}    // namespace fmt
#endif
