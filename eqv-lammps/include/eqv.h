/* The C ABI of eqv-lammps (libeqv_lammps.so): a trained eqv model for MD
 * engines that split the system between MPI ranks.
 *
 * Every function is safe to call with null handles or pointers (it fails
 * cleanly); failures return null, -1 or a nonzero code, and
 * eqv_last_error() then holds the message for the calling thread. No Rust
 * panic ever crosses this boundary. Units: Å, eV, eV/Å. */
#ifndef EQV_H
#define EQV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EqvModel EqvModel;

/* The message of the last failed call on this thread ("" if none). */
const char *eqv_last_error(void);

/* Loads a checkpoint (.safetensors file or training directory); null on failure. */
EqvModel *eqv_model_load(const char *path);
void eqv_model_free(EqvModel *model);

/* Edge cutoff (Å), message-passing layers, and their product: the ghost
 * shell a subdomain needs. */
double eqv_model_cutoff(const EqvModel *model);
int eqv_model_layers(const EqvModel *model);
double eqv_model_receptive_field(const EqvModel *model);

/* The model's species index of an element ("Si" or "14"); -1 if unknown. */
int eqv_model_species_index(const EqvModel *model, const char *element);

/* Atoms 0..n_owned-1 are owned, n_owned..n_total-1 ghosts (unwrapped
 * copies). species: n_total model species indices; positions: 3*n_total.
 * Writes the owned atoms' energy to *energy and -dE_owned/dR of all atoms
 * to forces (3*n_total, overwritten). Returns 0 on success. */
int eqv_model_compute(const EqvModel *model, int64_t n_owned, int64_t n_total,
                      const int32_t *species, const double *positions,
                      double *energy, double *forces);

#ifdef __cplusplus
}
#endif

#endif /* EQV_H */
