/* pair_style eqv: a trained eqv model (message passing over several
 * layers) as a LAMMPS pair style. See pair_eqv.cpp for the ghost-atom
 * scheme. */
#ifndef LMP_PAIR_EQV_H
#define LMP_PAIR_EQV_H

#include "pair.h"

#include <string>
#include <vector>

struct EqvModel;

namespace LAMMPS_NS {

class PairEQV : public Pair {
 public:
  explicit PairEQV(class LAMMPS *);
  ~PairEQV() override;
  void compute(int, int) override;
  void settings(int, char **) override;
  void coeff(int, char **) override;
  void init_style() override;
  double init_one(int, int) override;

 private:
  void allocate();

  EqvModel *model;
  std::string model_path;
  double cutoff;              // one edge (Å)
  double receptive_field;     // layers * cutoff (Å)
  std::vector<int> type_species;    // model species index of each LAMMPS type (1-based)
  std::vector<int32_t> species;     // per atom, owned + ghost
  std::vector<double> forces;       // per atom, owned + ghost
};

}    // namespace LAMMPS_NS

#endif
