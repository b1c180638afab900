/* lmp_eqv: the LAMMPS executable of the installed liblammps, with
 * pair_style eqv registered. Same command line as lmp (-in, -var, -log,
 * ...). It exists because Debian's LAMMPS is built without the PLUGIN
 * package, so `plugin load` is not available; registering the style in the
 * pair factory before reading the input is what a built-in style gets. */

#include "force.h"
#include "input.h"
#include "lammps.h"
#include "pair_eqv.h"

#include <mpi.h>

using namespace LAMMPS_NS;

static Pair *create_pair_eqv(LAMMPS *lmp)
{
  return new PairEQV(lmp);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  LAMMPS *lmp = new LAMMPS(argc, argv, MPI_COMM_WORLD);
  (*lmp->force->pair_map)["eqv"] = &create_pair_eqv;
  lmp->input->file();
  delete lmp;
  MPI_Finalize();
  return 0;
}
