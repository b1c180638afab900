//! Trainable parameters and the walk over them.

use crate::rng::Rng;

/// A trainable tensor: its shape and its values (always `f64`; a forward
/// pass in another number type converts them on the tape).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    shape: Vec<usize>,
    data: Vec<f64>,
}

impl Param {
    /// A parameter of the given shape filled with `data` (row-major).
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape` (a programming error).
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "parameter data does not match its shape {shape:?}"
        );
        Param { shape, data }
    }

    /// Zeros.
    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        Param::new(shape, vec![0.0; n])
    }

    /// Independent N(0, 1) entries (e3nn's initialisation; the forward pass
    /// applies the normalisation, so the optimiser sees unit-scale weights).
    pub fn normal(shape: Vec<usize>, rng: &mut Rng) -> Self {
        let n = shape.iter().product();
        Param::new(shape, rng.normals(n))
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Number of scalars.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// Whether the parameter has no entries.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// The values, row-major.
    pub fn data(&self) -> &[f64] {
        &self.data
    }
    /// The values, mutable (for optimisers and loading).
    pub fn data_mut(&mut self) -> &mut [f64] {
        &mut self.data
    }
}

/// Anything that owns parameters: layers and whole models.
///
/// The walk visits every parameter once, in a fixed order, under a
/// dotted path (`"interaction.0.linear.weight"`): optimisers keep their state
/// by position, checkpoints store by path.
pub trait Parameters {
    /// Visits each parameter with its path below `prefix`.
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param));
    /// Visits each parameter mutably, in the same order as [`Parameters::visit`].
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param));

    /// Total number of trainable scalars.
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit("", &mut |_, p| n += p.len());
        n
    }
}

/// Joins a path prefix and a field name with a dot.
pub fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Parameters for Param {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        f(prefix, self)
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        f(prefix, self)
    }
}

impl<P: Parameters> Parameters for Vec<P> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        for (i, p) in self.iter().enumerate() {
            p.visit(&join_path(prefix, &i.to_string()), f);
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        for (i, p) in self.iter_mut().enumerate() {
            p.visit_mut(&join_path(prefix, &i.to_string()), f);
        }
    }
}

impl<P: Parameters> Parameters for Option<P> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        if let Some(p) = self {
            p.visit(prefix, f);
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        if let Some(p) = self {
            p.visit_mut(prefix, f);
        }
    }
}
