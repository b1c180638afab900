//! The C ABI fails cleanly: null handles and pointers, a missing file and
//! bad counts give error codes and a message, never a crash or a panic
//! across the boundary. (The success path runs in tools/lammps/test.sh,
//! through LAMMPS, with a trained checkpoint.)

use eqv_lammps::ffi::*;
use std::ffi::{CStr, CString};

fn last_error() -> String {
    // SAFETY: eqv_last_error returns a valid NUL-terminated string.
    unsafe { CStr::from_ptr(eqv_last_error()) }
        .to_string_lossy()
        .into_owned()
}

#[test]
fn failures_are_codes_and_messages() {
    let missing = CString::new("/nonexistent/model.safetensors").unwrap();
    // SAFETY: valid C strings or null, as the ABI allows.
    unsafe {
        assert!(eqv_model_load(missing.as_ptr()).is_null());
        assert!(last_error().contains("nonexistent"), "{}", last_error());
        assert!(eqv_model_load(std::ptr::null()).is_null());
        assert!(last_error().contains("null"));
        assert_eq!(eqv_model_cutoff(std::ptr::null()), -1.0);
        assert_eq!(eqv_model_layers(std::ptr::null()), -1);
        assert_eq!(eqv_model_receptive_field(std::ptr::null()), -1.0);
        let si = CString::new("Si").unwrap();
        assert_eq!(eqv_model_species_index(std::ptr::null(), si.as_ptr()), -1);
        let mut e = 0.0;
        let code = eqv_model_compute(
            std::ptr::null(),
            1,
            2,
            std::ptr::null(),
            std::ptr::null(),
            &mut e,
            std::ptr::null_mut(),
        );
        assert_ne!(code, 0);
        assert!(last_error().contains("null model"));
        eqv_model_free(std::ptr::null_mut());
    }
}
