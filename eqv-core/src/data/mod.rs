//! Data: extended XYZ, neighbour lists, species (being written).
