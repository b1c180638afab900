/* pair_style eqv: a trained eqv model as a LAMMPS pair style.
 *
 *   pair_style eqv model.safetensors
 *   pair_coeff * * Si            (the element of each atom type)
 *
 * The model passes messages over L interaction layers of cutoff r_c, so
 * the energy of an atom depends on every atom within L * r_c. Each rank
 * therefore
 *   1. asks for ghost atoms out to L * r_c + skin (init_style raises the
 *      ghost cutoff, as `comm_modify cutoff` would);
 *   2. hands eqv its owned atoms followed by all its ghosts (unwrapped
 *      positions); eqv builds the edges of that finite cluster itself and
 *      returns the energy of the owned atoms only, and -dE_owned/dR for
 *      every atom, ghosts included;
 *   3. adds those forces to f for owned *and* ghost atoms; with newton on,
 *      LAMMPS's reverse communication adds each ghost's force to the atom
 *      it copies. Summed over ranks this is exactly -dE/dR of the total.
 * The global virial comes from fdotr (sum over owned and ghost atoms of
 * r_i f_i), exact here because each rank's energy is a translation
 * invariant function of the positions it was given. The price is that
 * the network also runs on the ghosts: ((d + 2 L r_c) / d)^3 times the
 * owned atoms for a cubic subdomain of side d.
 * LAMMPS's own neighbour list is requested (a half list at r_c + skin)
 * only so that LAMMPS decides when to rebuild and migrate atoms; eqv does
 * not read it, because it lacks the ghost-ghost pairs of layers 2..L. */

#include "pair_eqv.h"

#include "atom.h"
#include "comm.h"
#include "error.h"
#include "force.h"
#include "memory.h"
#include "neighbor.h"

#include "eqv.h"

#include <cmath>

/* Every message to error->all/one is a std::string: Debian's liblammps
 * exports those overloads, while the {fmt} templates that a bare string
 * literal would pick need the {fmt} 7 that it does not ship. */

using namespace LAMMPS_NS;

PairEQV::PairEQV(LAMMPS *lmp) :
    Pair(lmp), model(nullptr), cutoff(0.0), receptive_field(0.0)
{
  single_enable = 0;    // no pairwise decomposition of a many-body energy
  restartinfo = 0;      // the model file is the state; pair_style rereads it
  one_coeff = 1;        // pair_coeff * * only
  manybody_flag = 1;
}

PairEQV::~PairEQV()
{
  eqv_model_free(model);
  if (allocated) {
    memory->destroy(setflag);
    memory->destroy(cutsq);
  }
}

void PairEQV::allocate()
{
  allocated = 1;
  int n = atom->ntypes;
  memory->create(setflag, n + 1, n + 1, "pair:setflag");
  memory->create(cutsq, n + 1, n + 1, "pair:cutsq");
  for (int i = 1; i <= n; i++)
    for (int j = i; j <= n; j++) setflag[i][j] = 0;
}

/* pair_style eqv PATH */
void PairEQV::settings(int narg, char **arg)
{
  if (narg != 1) error->all(FLERR, std::string("Illegal pair_style command: use pair_style eqv model.safetensors"));
  EqvModel *loaded = eqv_model_load(arg[0]);
  if (loaded == nullptr)
    error->all(FLERR, std::string("pair_style eqv: ") + eqv_last_error());
  eqv_model_free(model);
  model = loaded;
  model_path = arg[0];
  cutoff = eqv_model_cutoff(model);
  receptive_field = eqv_model_receptive_field(model);
  if (comm->me == 0)
    utils::logmesg(lmp, "pair_style eqv: " + model_path + ": cutoff " + std::to_string(cutoff) +
                       " A, " + std::to_string(eqv_model_layers(model)) +
                       " message-passing layers, receptive field " +
                       std::to_string(receptive_field) + " A\n");
}

/* pair_coeff * * ELEMENT_OF_TYPE_1 ... ELEMENT_OF_TYPE_N */
void PairEQV::coeff(int narg, char **arg)
{
  if (model == nullptr) error->all(FLERR, std::string("pair_coeff before pair_style eqv"));
  int n = atom->ntypes;
  if (narg != 2 + n || std::string(arg[0]) != "*" || std::string(arg[1]) != "*")
    error->all(FLERR, std::string("Incorrect args for pair coefficients: use pair_coeff * * followed by the "
                           "element of each of the ") + std::to_string(n) + " atom types");
  if (!allocated) allocate();
  type_species.assign(n + 1, -1);
  for (int t = 1; t <= n; t++) {
    int s = eqv_model_species_index(model, arg[1 + t]);
    if (s < 0) error->all(FLERR, std::string("pair_coeff eqv: ") + eqv_last_error());
    type_species[t] = s;
  }
  for (int i = 1; i <= n; i++)
    for (int j = i; j <= n; j++) setflag[i][j] = 1;
}

void PairEQV::init_style()
{
  if (force->newton_pair == 0)
    error->all(FLERR, std::string("pair_style eqv needs newton on: forces on ghost atoms must reach their owners"));
  if (comm->mode != Comm::SINGLE)
    error->all(FLERR, std::string("pair_style eqv needs comm_modify mode single"));
  // Ghosts out to the receptive field, plus the skin: between rebuilds two
  // atoms can approach each other by up to the skin.
  double need = receptive_field + neighbor->skin;
  if (comm->cutghostuser < need) {
    comm->cutghostuser = need;
    if (comm->me == 0)
      utils::logmesg(lmp, "pair_style eqv: ghost cutoff set to " + std::to_string(need) +
                         " A (layers x cutoff + skin)\n");
  }
  neighbor->request(this, instance_me);
}

double PairEQV::init_one(int, int)
{
  return cutoff;
}

void PairEQV::compute(int eflag, int vflag)
{
  ev_init(eflag, vflag);
  if (eflag_atom || vflag_atom)
    error->all(FLERR, std::string("pair_style eqv computes no per-atom energies or virials"));

  const int nlocal = atom->nlocal;
  const int nall = nlocal + atom->nghost;
  species.resize(nall);
  forces.resize(3 * (size_t) nall);
  const int *type = atom->type;
  for (int i = 0; i < nall; i++) species[i] = type_species[type[i]];

  double energy = 0.0;
  // atom->x is one contiguous block of 3 doubles per atom (memory->create).
  const double *x = nall > 0 ? &atom->x[0][0] : nullptr;
  if (eqv_model_compute(model, nlocal, nall, species.data(), x, &energy, forces.data()) != 0)
    error->one(FLERR, std::string("pair_style eqv: ") + eqv_last_error());

  double **f = atom->f;
  for (int i = 0; i < nall; i++) {
    f[i][0] += forces[3 * i];
    f[i][1] += forces[3 * i + 1];
    f[i][2] += forces[3 * i + 2];
  }
  if (eflag_global) eng_vdwl += energy;
  if (vflag_fdotr) virial_fdotr_compute();
}
