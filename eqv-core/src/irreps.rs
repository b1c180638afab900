//! Run-time irreps strings in e3nn grammar (being written).
