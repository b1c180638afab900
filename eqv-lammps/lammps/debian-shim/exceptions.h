/* Debian's liblammps-dev installs error.h, which includes "exceptions.h",
 * without installing it. Its classes are used only when LAMMPS is built
 * with -DLAMMPS_EXCEPTIONS, which Debian's build is not (`lmp -h` lists no
 * such flag), so an empty header is exact. */
#ifndef EQV_EXCEPTIONS_SHIM_H
#define EQV_EXCEPTIONS_SHIM_H
#endif
