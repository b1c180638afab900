//! The run-time `Irreps` type: e3nn grammar, located errors, and the
//! layout helpers other ops rely on.

use eqv_core::irrep::{Ir, Parity};
use eqv_core::irreps::{Irreps, IrrepsError, IrrepsErrorKind, MulIr, MAX_PARSE_L};
use eqv_core::rng::Rng;
use eqv_core::so3::{
    random_orthogonal, spherical_harmonics_up_to, wigner_d_irreps, Handedness, Normalization,
};
use proptest::prelude::*;

fn parse(s: &str) -> Irreps {
    s.parse().expect(s)
}

fn err(s: &str) -> IrrepsError {
    s.parse::<Irreps>().expect_err(s)
}

#[test]
fn the_documented_examples() {
    let x = parse("16x0e + 8x1o + 4x2e");
    assert_eq!(x.to_string(), "16x0e+8x1o+4x2e");
    assert_eq!(x.dim(), 60);
    assert_eq!(x.len(), 3);
    assert_eq!(x.num_irreps(), 28);
    assert_eq!(x[1], MulIr::new(8, Ir::new(1, Parity::Odd)));
    assert_eq!(parse("1o"), parse("1x1o"));
    assert_eq!(parse("2y"), parse("2e"));
    assert_eq!(parse("1y"), parse("1o"));
    assert_eq!(parse(""), Irreps::default());
    assert!(parse("").is_empty());
    assert_eq!(parse("0x1e").dim(), 0);
    assert_eq!(parse("\t16 x 0e +\n 8x1o "), parse("16x0e+8x1o"));
}

#[test]
fn every_error_names_the_problem_and_the_place() {
    let cases: &[(&str, IrrepsErrorKind, usize, &str)] = &[
        ("16x0e + 8x1q", IrrepsErrorKind::UnknownParity('q'), 12, "q"),
        ("16x", IrrepsErrorKind::MissingIrrep, 4, ""),
        ("x1o", IrrepsErrorKind::MissingMultiplicity, 1, "x"),
        ("1.5x1o", IrrepsErrorKind::NotAnInteger, 1, "1.5"),
        ("-1x1o", IrrepsErrorKind::Negative, 1, "-"),
        ("16x0e ++ 1o", IrrepsErrorKind::EmptyTerm, 8, "+"),
        ("1o +", IrrepsErrorKind::EmptyTerm, 4, "+"),
        ("1x3", IrrepsErrorKind::MissingParity, 3, "3"),
        ("200e", IrrepsErrorKind::DegreeTooLarge(200), 1, "200"),
        ("4X1o", IrrepsErrorKind::WrongTimes('X'), 2, "X"),
        ("1o 2e", IrrepsErrorKind::Unexpected('2'), 4, "2"),
        ("1 6x0e", IrrepsErrorKind::SpaceInNumber, 1, "1 6"),
    ];
    for (s, kind, column, fragment) in cases {
        let e = err(s);
        assert_eq!(&e.kind, kind, "{s:?}");
        assert_eq!(e.column(), *column, "{s:?}");
        assert_eq!(e.fragment(), *fragment, "{s:?}");
        assert_eq!(&e.input, s);
        let msg = e.to_string();
        assert!(msg.contains(&format!("column {column}")), "{msg}");
        assert!(!e.message().is_empty());
        // It is a std error.
        let _: &dyn std::error::Error = &e;
    }
    assert!(err("16x0e + 8x1q")
        .to_string()
        .starts_with("unknown parity 'q' at column 12"));
    assert!(parse(&format!("{MAX_PARSE_L}e")).dim() > 0);
    // Byte offsets, not characters: the span slices the original string.
    let e = err("1o + 2é");
    assert_eq!(&"1o + 2é"[e.span.clone()], "é");
    assert_eq!(e.column(), 7);
}

#[test]
fn sort_simplify_regroup_as_e3nn_jax() {
    let s = parse("1o+0e+1o").sort();
    assert_eq!(s.irreps, parse("0e+1o+1o"));
    assert_eq!(s.perm, vec![1, 0, 2]);
    assert_eq!(s.inv, vec![1, 0, 2]);
    assert_eq!(
        parse("2e+2o+1e+1o+0o+0e").sort().irreps.to_string(),
        "1x0e+1x0o+1x1o+1x1e+1x2e+1x2o"
    );
    assert_eq!(parse("1e + 1e + 0e").simplify().to_string(), "2x1e+1x0e");
    assert_eq!(parse("1e + 0x0e + 1e").simplify().to_string(), "2x1e");
    assert_eq!(
        parse("1o+0e+1o+2e+0x3o").regroup().to_string(),
        "1x0e+2x1o+1x2e"
    );
    assert_eq!(
        parse("1x0e+1x1o+1x2e").regroup(),
        parse("1x0e+1x1o+1x2e"),
        "already regrouped"
    );
}

#[test]
fn helpers() {
    let x = parse("2x0e+1x1o+3x2e+0x3o");
    assert_eq!(x.slices(), vec![0..2, 2..5, 5..20, 20..20]);
    assert_eq!(x.lmax(), Some(3));
    assert_eq!(Irreps::default().lmax(), None);
    assert_eq!(x.count(Ir::new(2, Parity::Even)), 3);
    assert_eq!(x.count(Ir::new(2, Parity::Odd)), 0);
    assert!(!x.contains(Ir::new(3, Parity::Odd)));
    assert_eq!(
        x.filter_irs(&[Ir::new(0, Parity::Even)]).to_string(),
        "2x0e"
    );
    assert_eq!(x.remove_zero_multiplicities().len(), 3);
    assert_eq!(x.concat(&parse("1o")).len(), 5);
    assert_eq!(Irreps::spherical_harmonics(2), parse("0e+1o+2e"));
    assert_eq!(
        Irreps::from(vec![(3, Ir::new(1, Parity::Even))]).to_string(),
        "3x1e"
    );
    assert_eq!(x.iter().count(), 4);
    assert_eq!((&x).into_iter().map(|b| b.mul).sum::<usize>(), 6);
}

/// The block-diagonal D of an irreps acts on the concatenated spherical
/// harmonics exactly as each degree's D: the layout and the parities agree.
#[test]
fn wigner_d_irreps_moves_spherical_harmonics() {
    let mut rng = Rng::new(21);
    let irreps = Irreps::spherical_harmonics(5);
    for handed in [Handedness::Proper, Handedness::Improper] {
        let r = random_orthogonal(&mut rng, handed);
        let v = [rng.normal(), rng.normal(), rng.normal()];
        let rv = r * nalgebra::Vector3::from(v);
        let y = nalgebra::DVector::from_vec(spherical_harmonics_up_to(
            5,
            v,
            true,
            Normalization::Component,
        ));
        let ry =
            spherical_harmonics_up_to(5, [rv[0], rv[1], rv[2]], true, Normalization::Component);
        let d = wigner_d_irreps(&irreps, &r);
        assert_eq!(d.nrows(), irreps.dim());
        let dy = d * y;
        let e = dy
            .iter()
            .zip(&ry)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(e < 1e-12, "{handed:?}: {e}");
    }
}

fn arb_irreps() -> impl Strategy<Value = Irreps> {
    prop::collection::vec((0usize..50, 0u32..12, any::<bool>()), 0..6).prop_map(|v| {
        v.into_iter()
            .map(|(m, l, odd)| {
                MulIr::new(m, Ir::new(l, if odd { Parity::Odd } else { Parity::Even }))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn display_parse_roundtrip(x in arb_irreps()) {
        let s = x.to_string();
        prop_assert_eq!(s.parse::<Irreps>().unwrap(), x.clone());
        // With spaces and implicit multiplicities it means the same.
        let spaced: Vec<String> = x.iter().map(|b| if b.mul == 1 { format!(" {} ", b.ir) } else { format!(" {} x {} ", b.mul, b.ir) }).collect();
        prop_assert_eq!(spaced.join("+").parse::<Irreps>().unwrap(), x.clone());
        prop_assert_eq!(x.slices().last().map_or(0, |r| r.end), x.dim());
        let r = x.regroup();
        prop_assert_eq!(r.dim(), x.dim());
        prop_assert_eq!(r.regroup(), r.clone());
        let sorted = x.sort();
        for (old, &new) in sorted.perm.iter().enumerate() {
            prop_assert_eq!(sorted.irreps[new], x[old]);
            prop_assert_eq!(sorted.inv[new], old);
        }
    }

    /// Arbitrary input never panics; an error's span always lies inside the
    /// input on character boundaries.
    #[test]
    fn parser_never_panics(s in "[0-9xeoy+ .\\-éX]{0,16}") {
        match s.parse::<Irreps>() {
            Ok(x) => { let _ = x.dim(); }
            Err(e) => {
                prop_assert!(e.span.end <= s.len());
                prop_assert!(s.get(e.span.clone()).is_some());
                prop_assert!(e.column() >= 1);
                let _ = e.to_string();
            }
        }
    }
}
