//! Classical reference potentials and molecular dynamics that make eqv's default data (being written).
