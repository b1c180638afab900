//! What `#[equivariant]` generates, at run time, on a small NequIP-like
//! network: seeded construction, the parameter walk, config-dependent sizes,
//! save/load, the summary, the equivariance self-check, and `Model::predict`
//! in `f32`, `f64` and dual numbers.

use eqv::dual::Dual;
use eqv::equivariant;
use eqv::graph::{forces_from_energy, Batch};
use eqv::layer::Layer;
use eqv::model::Model;
use eqv::non_equivariant::input;
use eqv::param::Parameters;
use eqv::prelude::*;
use std::collections::HashSet;
use std::path::PathBuf;

/// Scalars and vectors per atom.
type Nodes<'t, T> = (Feat<'t, Scalar, T>, Feat<'t, Vector, T>);

/// One interaction: radial weights, channel-wise convolution, mix, gate.
#[equivariant(config(channels = 4, vectors = 2, n_basis = 4, radial_hidden = 8))]
pub struct Interaction {
    radial: Mlp<{ n_basis }, { radial_hidden }, conv>,
    conv: ChannelwiseTp<"{channels}x0e + {vectors}x1o", "1x0e + 1x1o", "0e + 1o">,
    mix: Linear<conv, "{channels}x0e + {vectors}x0e + {vectors}x1o">,
    gate: Gate<"{channels}x0e", "{vectors}x1o">,
}

impl Interaction {
    fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        sh: (Feat<'t, Scalar, T>, Feat<'t, Vector, T>),
        basis: Feat<'t, Scalar, T>,
        x: Nodes<'t, T>,
    ) -> Nodes<'t, T> {
        let w = self.radial.forward(basis);
        let from = (g.gather_neighbors(x.0), g.gather_neighbors(x.1));
        let (m0, m1) = self.conv.forward(from, sh, w);
        let k = 0.25;
        let (s, v) = self.gate.forward(
            self.mix
                .forward((g.scatter_sum(m0).scale_by(k), g.scatter_sum(m1).scale_by(k))),
        );
        (x.0 + s, x.1 + v)
    }
}

/// The network: embedding, harmonics, radial basis, `layers` interactions,
/// a scalar readout.
#[equivariant(
    output = Energy,
    config(species = 2, channels = 4, vectors = 2, n_basis = 4, cutoff = 3.0, layers = 2)
)]
pub struct Small {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    sh: SphericalHarmonics<"1x0e + 1x1o">,
    radial: Bessel<{ n_basis }, { cutoff }>,
    #[eqv(repeat = layers)]
    interactions: Vec<Interaction>,
    readout: Linear<"{channels}x0e", "1x0e">,
}

impl Small {
    fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let r = g.edge_vectors();
        let sh = self.sh.forward(r);
        let basis = self.radial.forward(r.norm());
        let vectors = self.config().vectors;
        let mut x = (
            self.embed.forward(g),
            Feat::<Vector, T>::zeros(g.tape(), g.num_atoms(), vectors),
        );
        for layer in &self.interactions {
            x = layer.forward(g, sh, basis, x);
        }
        Energy::from_feat(g.sum_over_atoms(self.readout.forward(x.0)))
    }
}

fn config(channels: usize, vectors: usize, layers: usize) -> SmallConfig {
    SmallConfig {
        channels,
        vectors,
        layers,
        interactions: InteractionConfig {
            channels,
            vectors,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn batch() -> Batch {
    let positions = [
        [0.0, 0.0, 0.0],
        [1.1, 0.1, -0.2],
        [-0.3, 1.0, 0.4],
        [0.5, 0.6, 1.3],
        [1.4, 1.2, 0.9],
    ];
    Batch::from_positions(&positions, &[0, 1, 1, 0, 1], 3.0).unwrap()
}

/// Every parameter as (path, shape, values), in walk order.
fn walk(m: &impl Parameters) -> Vec<(String, Vec<usize>, Vec<f64>)> {
    let mut out = Vec::new();
    m.visit("", &mut |path, p| {
        out.push((path.to_string(), p.shape().to_vec(), p.data().to_vec()))
    });
    out
}

fn energy_f64(m: &Small, b: &Batch) -> f64 {
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, b);
    m.predict(&g).to_f64()[0]
}

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "eqv-macro-models-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn new_is_deterministic_per_seed() {
    let cfg = SmallConfig::default();
    let a = walk(&Small::new(&cfg, 7));
    let b = walk(&Small::new(&cfg, 7));
    let c = walk(&Small::new(&cfg, 8));
    assert_eq!(a, b, "the same seed gives the same parameters");
    assert_ne!(a, c, "another seed gives other parameters");
    // Same paths and shapes whatever the seed.
    let shapes = |w: &[(String, Vec<usize>, Vec<f64>)]| {
        w.iter()
            .map(|(p, s, _)| (p.clone(), s.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shapes(&a), shapes(&c));
    assert_eq!(
        energy_f64(&Small::new(&cfg, 7), &batch()),
        energy_f64(&Small::new(&cfg, 7), &batch())
    );
}

#[test]
fn parameter_walk_counts_and_paths() {
    let m = Small::new(&SmallConfig::default(), 0);
    let w = walk(&m);
    assert!(!w.is_empty());
    let total: usize = w
        .iter()
        .map(|(_, s, d)| {
            assert_eq!(s.iter().product::<usize>(), d.len());
            d.len()
        })
        .sum();
    assert_eq!(m.num_params(), total);

    let paths: Vec<&str> = w.iter().map(|(p, _, _)| p.as_str()).collect();
    let unique: HashSet<&str> = paths.iter().copied().collect();
    assert_eq!(unique.len(), paths.len(), "duplicate paths in {paths:?}");
    for p in &paths {
        assert!(
            !p.is_empty() && !p.starts_with('.') && !p.ends_with('.') && !p.contains(".."),
            "malformed path `{p}`"
        );
        assert!(
            !p.contains(' ') && !p.contains('/'),
            "path `{p}` is not dotted"
        );
    }
    for prefix in [
        "embed.",
        "interactions.0.radial.",
        "interactions.0.mix.",
        "interactions.1.radial.",
        "interactions.1.mix.",
        "readout.",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(prefix)),
            "no path under `{prefix}` in {paths:?}"
        );
    }
    assert!(
        !paths.iter().any(|p| p.starts_with("interactions.2")),
        "{paths:?}"
    );
    // Layers without weights (harmonics, Bessel basis, gate) have no parameters.
    for prefix in ["sh", "radial", "interactions.0.gate", "interactions.0.conv"] {
        assert!(
            !paths
                .iter()
                .any(|p| *p == prefix || p.starts_with(&format!("{prefix}."))),
            "`{prefix}` should own no parameters: {paths:?}"
        );
    }
    // Walk order is stable and `visit_mut` visits the same paths.
    let mut m2 = Small::new(&SmallConfig::default(), 0);
    let mut mut_paths = Vec::new();
    m2.visit_mut("", &mut |p, _| mut_paths.push(p.to_string()));
    assert_eq!(mut_paths, paths);
    // A prefix is prepended with a dot.
    let mut prefixed = Vec::new();
    m.visit("model", &mut |p, _| prefixed.push(p.to_string()));
    assert!(prefixed
        .iter()
        .zip(&paths)
        .all(|(a, b)| *a == format!("model.{b}")));
}

#[test]
fn config_changes_change_parameter_counts() {
    let base = Small::new(&config(4, 2, 2), 0);
    let block = |c: usize, v: usize| {
        Interaction::new(
            &InteractionConfig {
                channels: c,
                vectors: v,
                ..Default::default()
            },
            0,
        )
        .num_params()
    };

    // One more layer adds exactly one interaction.
    let deeper = Small::new(&config(4, 2, 3), 0);
    assert_eq!(deeper.num_params(), base.num_params() + block(4, 2));
    assert_eq!(deeper.interactions.len(), 3);

    // Count by hand: species embedding (species × channels) and readout
    // (channels × 1) besides the interactions.
    let per_top = |c: usize| 2 * c + c;
    assert_eq!(base.num_params(), per_top(4) + 2 * block(4, 2));
    let wider = Small::new(&config(6, 2, 2), 0);
    assert_eq!(wider.num_params(), per_top(6) + 2 * block(6, 2));

    // Inside an interaction, by hand: the radial MLP n_basis -> hidden ->
    // numel, numel = channels (0e ⊗ 0e -> 0e) + vectors (1o ⊗ 1o -> 0e)
    // + channels (0e ⊗ 1o -> 1o) + vectors (1o ⊗ 0e -> 1o); the mix
    // maps (channels + vectors)x0e -> (channels + 2 vectors)x0e and
    // (channels + vectors)x1o -> vectors x1o.
    let by_hand = |c: usize, v: usize| {
        let numel = 2 * c + 2 * v;
        let radial = 4 * 8 + 8 * numel;
        let mix = (c + v) * (c + v) + (c + v) * v;
        radial + mix
    };
    for (c, v) in [(4, 2), (6, 2), (4, 3), (1, 1)] {
        assert_eq!(block(c, v), by_hand(c, v), "channels {c}, vectors {v}");
    }
}

#[test]
fn save_then_load_round_trips_exactly() {
    let dir = TempDir::new("roundtrip");
    let path = dir.0.join("small.safetensors");
    let cfg = config(4, 2, 2);
    let m = Small::new(&cfg, 11);
    m.save(&path).unwrap();
    let loaded = Small::load(&cfg, &path).unwrap();
    assert_eq!(walk(&loaded), walk(&m), "parameters differ after save/load");
    assert_eq!(loaded.config(), m.config());
    let b = batch();
    assert_eq!(
        energy_f64(&loaded, &b).to_bits(),
        energy_f64(&m, &b).to_bits()
    );
    assert_ne!(
        walk(&Small::new(&cfg, 0)),
        walk(&m),
        "load must not just rebuild with seed 0"
    );
}

#[test]
fn loading_into_another_config_names_the_parameter() {
    let dir = TempDir::new("mismatch");
    let path = dir.0.join("small.safetensors");
    Small::new(&config(4, 2, 2), 1).save(&path).unwrap();

    // Wider: a shape differs.
    let err = Small::load(&config(6, 2, 2), &path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("parameter `"), "{text}");
    assert!(
        text.contains("embed") || text.contains("interactions.0"),
        "{text}"
    );

    // Deeper: a parameter is missing from the file.
    let err = Small::load(&config(4, 2, 3), &path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("interactions.2."), "{err}");
}

#[test]
fn summary_lists_every_layer() {
    let m = Small::new(&config(4, 2, 2), 0);
    let s = m.summary();
    assert!(s.starts_with("Small -> Energy ("), "{s}");
    assert!(
        s.contains(&format!("({} parameters)", m.num_params())),
        "{s}"
    );
    for line in [
        "  embed: ",
        "  sh: ",
        "  radial: ",
        "  interactions.0: ",
        "  interactions.1: ",
        "  readout: ",
    ] {
        assert!(s.contains(line), "`{line}` missing from\n{s}");
    }
    for layer in [
        "radial: Mlp",
        "conv: ChannelwiseTp",
        "mix: Linear",
        "gate: Gate",
    ] {
        assert_eq!(
            s.matches(layer).count(),
            2,
            "`{layer}` once per interaction in\n{s}"
        );
    }
    assert!(
        s.contains("SphericalHarmonics") && s.contains("Bessel") && s.contains("SpeciesEmbedding"),
        "{s}"
    );
    // Debug prints the summary.
    assert_eq!(format!("{m:?}"), s);
    // The Layer description of the model is the summary too.
    assert_eq!(Layer::describe(&m), s);
}

#[test]
fn generated_model_is_equivariant() {
    let m = Small::new(&config(4, 2, 2), 3);
    let report = m.check_equivariance(&batch(), 5);
    assert!(report.max() <= 1e-10, "{report}");
}

#[test]
fn predict_in_f32_f64_and_dual() {
    let m = Small::new(&config(4, 2, 2), 4);
    let b = batch();
    let e64 = energy_f64(&m, &b);
    assert!(e64.is_finite() && e64 != 0.0);

    let tape32 = Tape::<f32>::new();
    let g32 = Graph::new(&tape32, &b);
    let e32 = m.predict(&g32).to_f64()[0];
    assert!(
        (e32 - e64).abs() <= 1e-4 * (1.0 + e64.abs()),
        "f32 {e32} vs f64 {e64}"
    );

    // Dual numbers along a direction: the primal part is the energy, the
    // tangent part the directional derivative, -Σ F·d.
    let direction: Vec<[f64; 3]> = (0..b.num_atoms())
        .map(|i| [0.3 - 0.1 * i as f64, 0.2 * i as f64, -0.5 + 0.05 * i as f64])
        .collect();
    let tape_d = Tape::<Dual<f64>>::new();
    let gd = Graph::with_position_tangent(&tape_d, &b, &direction);
    let ed = m.predict(&gd).data()[0];
    assert!(
        (ed.re - e64).abs() <= 1e-12 * (1.0 + e64.abs()),
        "dual {} vs f64 {e64}",
        ed.re
    );

    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &b);
    let energy = m.predict(&g);
    let forces = forces_from_energy(&g, energy);
    let directional: f64 = -forces
        .iter()
        .zip(&direction)
        .map(|(f, d)| f[0] * d[0] + f[1] * d[1] + f[2] * d[2])
        .sum::<f64>();
    assert!(
        (ed.eps - directional).abs() <= 1e-9 * (1.0 + directional.abs()),
        "dual tangent {} vs -F·d {directional}",
        ed.eps
    );
}

#[test]
fn nested_configs_follow_the_parent() {
    // Only the parent's entries are set: the interactions follow.
    let cfg = SmallConfig {
        channels: 6,
        vectors: 3,
        ..Default::default()
    };
    let m = Small::new(&cfg, 1);
    assert_eq!(m.config().interactions.channels, 6);
    assert_eq!(m.config().interactions.vectors, 3);
    let e = energy_f64(&m, &batch());
    assert!(e.is_finite());
    // The sub-network's own entries (not shared) keep their values.
    assert_eq!(m.config().interactions.radial_hidden, 8);
    // Setting both to the same value is fine.
    let _ = Small::new(&config(5, 2, 1), 0);
}

#[test]
#[should_panic(
    expected = "config mismatch: `SmallConfig.channels` = 6 but the sub-network's `InteractionConfig.channels` = 5"
)]
fn a_nested_config_that_disagrees_is_an_error_at_new() {
    let cfg = SmallConfig {
        channels: 6,
        interactions: InteractionConfig {
            channels: 5,
            ..Default::default()
        },
        ..Default::default()
    };
    let _ = Small::new(&cfg, 1);
}

/// A fully connected product whose outputs have one or two paths with
/// unequal fan-ins.
#[equivariant(config(channels = 2))]
pub struct Products {
    tp: FullTp<"{channels}x0e + 3x1o", "1x0e + 2x1o", "2x0e + 2x1o + 1x1e">,
}

#[test]
fn full_tp_normalises_each_output_over_its_paths() {
    // Each path is `FullyConnectedTp::new` (`1/√(mul_a·mul_b)`) on the
    // same weights, its output scaled by `√(fan_in / Σ fan_in)` of the
    // paths into that output, then summed: the macro folds the product of
    // both factors into the path weight, and must give the same numbers.
    let m = Products::new(&ProductsConfig::default(), 3);
    let tape = Tape::<f64>::new();
    let rows = 4;
    let data = |n: usize, s: f64| (0..n).map(|i| ((i as f64 + s) * 0.613).sin()).collect();
    // Test numbers, not a physical structure: the named trust door.
    let x0 = input::<Scalar, f64>(&tape, rows, 2, data(rows * 2, 0.5));
    let x1 = input::<Vector, f64>(&tape, rows, 3, data(rows * 9, 1.5));
    let y0 = input::<Scalar, f64>(&tape, rows, 1, data(rows, 2.5));
    let y1 = input::<Vector, f64>(&tape, rows, 2, data(rows * 6, 3.5));
    let (o0, o1, o2) = m.tp.forward((x0, x1), (y0, y1));
    let tp = &m.tp;
    // A path's output as `new` would give it, times `√(fan / total)`.
    let scale = |out: Vec<f64>, path_weight: f64, fan: f64, total: f64| -> Vec<f64> {
        let k = (1.0 / fan.sqrt()) / path_weight * (fan / total).sqrt();
        out.iter().map(|v| v * k).collect::<Vec<f64>>()
    };
    macro_rules! path {
        ($p:ident($x:expr, $y:expr), $fan:expr, $total:expr) => {
            scale(
                tp.$p.forward($x, $y).to_f64(),
                tp.$p.path_weight,
                $fan,
                $total,
            )
        };
    }
    let sum =
        |a: Vec<f64>, b: Vec<f64>| -> Vec<f64> { a.iter().zip(&b).map(|(a, b)| a + b).collect() };
    // 0e ← 0e⊗0e (fan 2), 1o⊗1o (fan 6): total 8.
    let want0 = sum(
        path!(p0_0_0(x0, y0), 2.0, 8.0),
        path!(p0_1_1(x1, y1), 6.0, 8.0),
    );
    // 1o ← 0e⊗1o (fan 4), 1o⊗0e (fan 3): total 7.
    let want1 = sum(
        path!(p1_0_1(x0, y1), 4.0, 7.0),
        path!(p1_1_0(x1, y0), 3.0, 7.0),
    );
    // 1e ← 1o⊗1o alone (fan 6).
    let want2 = path!(p2_1_1(x1, y1), 6.0, 6.0);
    for (got, want) in [
        (o0.to_f64(), want0),
        (o1.to_f64(), want1),
        (o2.to_f64(), want2),
    ] {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }
    // The path weights themselves: `1/√(Σ fan_in)` of each output.
    assert!((tp.p0_0_0.path_weight - 1.0 / 8f64.sqrt()).abs() < 1e-15);
    assert!((tp.p1_1_0.path_weight - 1.0 / 7f64.sqrt()).abs() < 1e-15);
    assert!((tp.p2_1_1.path_weight - 1.0 / 6f64.sqrt()).abs() < 1e-15);
}
