//! The C ABI (`include/eqv.h`): what the LAMMPS pair style, or any other
//! C/C++/Fortran MD engine, calls.
//!
//! Rules kept by every function here: no panic crosses the boundary (each
//! body runs under `catch_unwind`, a panic becomes an error code), errors
//! are a return value plus a message in [`eqv_last_error`] (per thread),
//! and every pointer is checked for null before use. What the caller must
//! guarantee is in each function's `# Safety`.

use crate::domain::DomainModel;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// An opaque handle to a loaded model (C: `EqvModel *`).
pub struct EqvModel(DomainModel);

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_error(message: &str) {
    // An interior NUL would truncate nothing useful; replace it.
    let c = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
}

/// Runs `body`; an `Err` or a panic sets the last error and yields
/// `fallback`.
fn guarded<R>(fallback: R, body: impl FnOnce() -> Result<R, String>) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(r)) => r,
        Ok(Err(message)) => {
            set_error(&message);
            fallback
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_error(&format!("internal error in eqv (please report): {what}"));
            fallback
        }
    }
}

/// A non-null model handle as a reference.
///
/// # Safety
/// `model` is null or a live handle from [`eqv_model_load`].
unsafe fn model_ref<'a>(model: *const EqvModel) -> Result<&'a DomainModel, String> {
    // SAFETY: the caller guarantees a null or live handle; null is refused.
    unsafe { model.as_ref() }
        .map(|m| &m.0)
        .ok_or_else(|| "null model handle".to_string())
}

/// A non-null C string as UTF-8.
///
/// # Safety
/// `s` is null or a NUL-terminated string valid for reads.
unsafe fn str_arg<'a>(s: *const c_char, what: &str) -> Result<&'a str, String> {
    if s.is_null() {
        return Err(format!("{what} is a null pointer"));
    }
    // SAFETY: non-null and NUL-terminated by the caller's guarantee.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| format!("{what} is not valid UTF-8"))
}

/// The message of the last failed call on this thread ("" if none). The
/// pointer stays valid until the next failing call on the same thread.
#[no_mangle]
pub extern "C" fn eqv_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Loads a checkpoint (a `.safetensors` file or a training directory).
/// Returns null on failure (see [`eqv_last_error`]).
///
/// # Safety
/// `path` is null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn eqv_model_load(path: *const c_char) -> *mut EqvModel {
    guarded(std::ptr::null_mut(), || {
        // SAFETY: forwarded from the caller.
        let path = unsafe { str_arg(path, "path") }?;
        let model = DomainModel::load(path)?;
        Ok(Box::into_raw(Box::new(EqvModel(model))))
    })
}

/// Frees a model. Null is allowed (and does nothing).
///
/// # Safety
/// `model` is null or a handle from [`eqv_model_load`] not freed before;
/// it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn eqv_model_free(model: *mut EqvModel) {
    guarded((), || {
        if !model.is_null() {
            // SAFETY: a live handle made by Box::into_raw, freed once.
            drop(unsafe { Box::from_raw(model) });
        }
        Ok(())
    })
}

/// The edge cutoff (Å), or −1 on a null handle.
///
/// # Safety
/// `model` is null or a live handle.
#[no_mangle]
pub unsafe extern "C" fn eqv_model_cutoff(model: *const EqvModel) -> f64 {
    // SAFETY: forwarded from the caller.
    guarded(-1.0, || Ok(unsafe { model_ref(model) }?.cutoff()))
}

/// The number of message-passing layers, or −1 on a null handle.
///
/// # Safety
/// `model` is null or a live handle.
#[no_mangle]
pub unsafe extern "C" fn eqv_model_layers(model: *const EqvModel) -> c_int {
    guarded(-1, || {
        // SAFETY: forwarded from the caller.
        let layers = unsafe { model_ref(model) }?.layers();
        c_int::try_from(layers).map_err(|_| format!("{layers} layers do not fit an int"))
    })
}

/// `layers × cutoff` (Å): the thickness of ghost shell a subdomain
/// needs, or −1 on a null handle.
///
/// # Safety
/// `model` is null or a live handle.
#[no_mangle]
pub unsafe extern "C" fn eqv_model_receptive_field(model: *const EqvModel) -> f64 {
    // SAFETY: forwarded from the caller.
    guarded(-1.0, || Ok(unsafe { model_ref(model) }?.receptive_field()))
}

/// The model's species index of an element ("Si" or "14"), or −1 if the
/// model does not know it (see [`eqv_last_error`]).
///
/// # Safety
/// `model` is null or a live handle; `element` is null or a NUL-terminated
/// string.
#[no_mangle]
pub unsafe extern "C" fn eqv_model_species_index(
    model: *const EqvModel,
    element: *const c_char,
) -> c_int {
    guarded(-1, || {
        // SAFETY: forwarded from the caller.
        let (m, el) = unsafe { (model_ref(model)?, str_arg(element, "element")?) };
        let known = m
            .species()
            .numbers()
            .iter()
            .map(|&z| eqv::data::symbol(z).unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(" ");
        let i = m
            .species_index(el)
            .ok_or_else(|| format!("the model was not trained on `{el}`; it knows {known}"))?;
        c_int::try_from(i).map_err(|_| "species index does not fit an int".into())
    })
}

/// Energy of the owned atoms and forces on all atoms of a subdomain.
///
/// The first `n_owned` of the `n_total` atoms are owned; the rest are
/// ghosts (copies from other ranks or periodic images, at their unwrapped
/// positions). `species[i]` is the model's species index of atom `i`
/// ([`eqv_model_species_index`]); `positions` holds `3 · n_total` numbers
/// (Å, `x y z` per atom). On success writes the owned atoms' energy (eV,
/// E0 included) to `*energy` and `−∂E_owned/∂R` (eV/Å) of every atom to
/// `forces` (`3 · n_total` numbers, overwritten), and returns 0; on failure
/// returns nonzero and writes nothing.
///
/// # Safety
/// `model` is null or a live handle; `species` and `positions` are null or
/// valid for reads of `n_total` and `3 · n_total` elements; `energy` is
/// null or valid for one write; `forces` is null or valid for writes of
/// `3 · n_total` elements. The arrays must not overlap `forces`.
#[no_mangle]
pub unsafe extern "C" fn eqv_model_compute(
    model: *const EqvModel,
    n_owned: i64,
    n_total: i64,
    species: *const i32,
    positions: *const f64,
    energy: *mut f64,
    forces: *mut f64,
) -> c_int {
    guarded(1, || {
        // SAFETY: forwarded from the caller.
        let m = unsafe { model_ref(model) }?;
        let (owned, total) = match (usize::try_from(n_owned), usize::try_from(n_total)) {
            (Ok(o), Ok(t)) if o <= t => (o, t),
            _ => return Err(format!("bad atom counts: {n_owned} owned of {n_total}")),
        };
        if total > 0 && (species.is_null() || positions.is_null() || forces.is_null()) {
            return Err("species, positions or forces is a null pointer".into());
        }
        if energy.is_null() {
            return Err("energy is a null pointer".into());
        }
        let (species, positions) = if total == 0 {
            (&[][..], &[][..])
        } else {
            // SAFETY: non-null, and valid for these lengths by the caller's
            // guarantee; only read while this call runs.
            unsafe {
                (
                    std::slice::from_raw_parts(species, total),
                    std::slice::from_raw_parts(positions, 3 * total),
                )
            }
        };
        let species = species
            .iter()
            .enumerate()
            .map(|(i, &s)| usize::try_from(s).map_err(|_| format!("atom {i} has species {s}")))
            .collect::<Result<Vec<_>, _>>()?;
        let positions: Vec<[f64; 3]> = positions
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let out = m.compute(owned, &species, &positions)?;
        // SAFETY: non-null and valid for one write by the caller's guarantee.
        unsafe { *energy = out.energy };
        if total > 0 {
            // SAFETY: non-null, valid for 3·total writes and not aliasing
            // the inputs (caller's guarantee); the inputs are no longer read.
            let f = unsafe { std::slice::from_raw_parts_mut(forces, 3 * total) };
            for (dst, src) in f.chunks_exact_mut(3).zip(&out.forces) {
                dst.copy_from_slice(src);
            }
        }
        Ok(0)
    })
}
