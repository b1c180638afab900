//! The extended XYZ reader and writer against files written by ASE
//! (tools/data/make_ase_fixtures.py) and against malformed input.

use eqv_data::data::{
    format_extxyz, parse_extxyz, parse_extxyz_with, read_extxyz, write_extxyz, ColumnData,
    DataError, Frame, ReadOptions, Value,
};
use serde_json::Value as Json;

fn data_path(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn expected() -> Json {
    let text = std::fs::read_to_string(data_path("ase_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(j: &Json) -> Vec<f64> {
    match j {
        Json::Array(xs) => xs.iter().flat_map(floats).collect(),
        Json::Number(x) => vec![x.as_f64().unwrap()],
        other => panic!("not numeric: {other}"),
    }
}

fn assert_close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
            "{what}: {x} vs {y}"
        );
    }
}

fn flat3(v: &[[f64; 3]]) -> Vec<f64> {
    v.iter().flatten().copied().collect()
}

/// Checks one frame read by eqv against what ASE read from the same file.
fn check_frame(f: &Frame, e: &Json, name: &str) {
    let numbers: Vec<u8> = e["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(f.numbers, numbers, "{name}");
    assert_close(&flat3(&f.positions), &floats(&e["positions"]), "positions");
    let pbc: Vec<bool> = e["pbc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_bool().unwrap())
        .collect();
    assert_eq!(f.pbc.to_vec(), pbc);
    let cell = floats(&e["cell"]);
    match f.cell {
        Some(c) => assert_close(&flat3(&c), &cell, "cell"),
        None => assert!(cell.iter().all(|&x| x == 0.0), "ASE has a cell, eqv none"),
    }
    let results = &e["calc_results"];
    // Energy: ASE's calculator result, or MACE-style REF_energy in info.
    let energy = e
        .get("energy")
        .or_else(|| e["info"].get("REF_energy"))
        .and_then(Json::as_f64);
    assert_eq!(f.energy, energy, "{name} energy");
    let forces = e.get("forces").or_else(|| e["arrays"].get("REF_forces"));
    match (&f.forces, forces) {
        (Some(mine), Some(theirs)) => assert_close(&flat3(mine), &floats(theirs), "forces"),
        (None, None) => {}
        _ => panic!("{name}: forces present in one reader only"),
    }
    match (&f.stress, e.get("stress")) {
        (Some(mine), Some(theirs)) => assert_close(&flat3(mine), &floats(theirs), "stress"),
        (None, None) => {}
        _ => panic!("{name}: stress present in one reader only"),
    }
    // Remaining info keys, with their types.
    for (key, value) in e["info"].as_object().unwrap() {
        if key == "REF_energy" {
            assert!(
                f.info_get(key).is_none(),
                "the energy label is taken out of info"
            );
            continue;
        }
        let mine = f
            .info_get(key)
            .unwrap_or_else(|| panic!("{name}: info {key} missing"));
        match (mine, value) {
            (Value::Str(s), Json::String(t)) => assert_eq!(s, t),
            (Value::Int(i), Json::Number(n)) => assert_eq!(Some(*i), n.as_i64()),
            (Value::Float(x), Json::Number(n)) => assert_eq!(Some(*x), n.as_f64()),
            (Value::Bool(b), Json::Bool(c)) => assert_eq!(b, c),
            (Value::IntArray(v), Json::Array(_)) => {
                assert_eq!(
                    v.iter().map(|&i| i as f64).collect::<Vec<_>>(),
                    floats(value)
                )
            }
            (Value::FloatArray(v), Json::Array(_)) => assert_close(v, &floats(value), key),
            (m, t) => panic!("{name}: info {key}: eqv {m:?}, ASE {t}"),
        }
    }
    // Per-atom columns ASE keeps as arrays, plus those it turns into results.
    let mut columns: Vec<(String, &Json)> = e["arrays"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.as_str() != "REF_forces")
        .map(|(k, v)| (k.clone(), v))
        .collect();
    for (ase_key, eqv_key) in [("charges", "charge"), ("dipole", "dipole")] {
        if let Some(v) = results.get(ase_key) {
            columns.push((eqv_key.to_string(), v));
        }
    }
    for (key, value) in columns {
        let col = f
            .array_get(&key)
            .unwrap_or_else(|| panic!("{name}: column {key} missing"));
        match &col.data {
            ColumnData::Real(v) => assert_close(v, &floats(value), &key),
            ColumnData::Int(v) => {
                assert_eq!(
                    v.iter().map(|&i| i as f64).collect::<Vec<_>>(),
                    floats(value)
                )
            }
            ColumnData::Bool(v) => {
                let t: Vec<bool> = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b.as_bool().unwrap())
                    .collect();
                assert_eq!(v, &t);
            }
            ColumnData::Str(v) => {
                let t: Vec<&str> = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                assert_eq!(v, &t);
            }
        }
    }
    // eqv keeps every column of the file: nothing beyond the ones above.
    let known = e["arrays"].as_object().unwrap().len()
        - usize::from(e["arrays"].get("REF_forces").is_some())
        + usize::from(results.get("charges").is_some())
        + usize::from(results.get("dipole").is_some());
    assert_eq!(
        f.arrays.len(),
        known,
        "{name}: columns {:?}",
        f.arrays.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
}

#[test]
fn data_extxyz_reads_ase_fixtures_as_ase_does() {
    let exp = expected();
    for (name, frames) in exp["files"].as_object().unwrap() {
        let mine = read_extxyz(data_path(name)).unwrap();
        let theirs = frames.as_array().unwrap();
        assert_eq!(mine.len(), theirs.len(), "{name}");
        for (f, e) in mine.iter().zip(theirs) {
            check_frame(f, e, name);
        }
    }
}

#[test]
fn data_extxyz_fixture_spot_values() {
    // A few literal values from the fixtures (as written by the script), so
    // a broken JSON comparison cannot hide a broken reader.
    let si = read_extxyz(data_path("si_periodic.extxyz")).unwrap();
    assert_eq!(si.len(), 2);
    assert_eq!(si[0].numbers, vec![14; 8]);
    assert_eq!(si[0].energy, Some(-34.6928));
    assert_eq!(si[0].cell.unwrap()[0], [5.431, 0.0, 0.0]);
    assert_eq!(
        si[0].forces.as_ref().unwrap()[0],
        [0.43070923, -0.23584612, -1.05643325]
    );
    assert_eq!(si[0].stress.unwrap()[0][1], 0.005766895836701853);
    let mol = read_extxyz(data_path("molecules_ref.extxyz")).unwrap();
    assert_eq!(
        mol.iter().map(Frame::len).collect::<Vec<_>>(),
        vec![3, 5, 4, 3]
    );
    assert_eq!(mol[0].symbols(), vec!["O", "H", "H"]);
    assert_eq!(mol[0].energy, Some(-86.9464959794822));
    assert_eq!(
        mol[0].forces.as_ref().unwrap()[1],
        [-0.04096990, -0.11372957, 0.13893305]
    );
    assert_eq!(mol[0].cell, None);
    assert_eq!(
        mol[0].info_get("config_type"),
        Some(&Value::Str("molecule".into()))
    );
    let extra = read_extxyz(data_path("extra_info.extxyz")).unwrap();
    assert_eq!(extra[0].pbc, [true, true, false]);
    assert_eq!(
        extra[0].info_get("comment"),
        Some(&Value::Str("made by make_ase_fixtures.py".into()))
    );
    assert_eq!(
        extra[0].info_get("kpts"),
        Some(&Value::IntArray(vec![4, 4, 1]))
    );
    assert_eq!(extra[0].info_get("converged"), Some(&Value::Bool(true)));
}

#[test]
fn data_extxyz_roundtrip_loses_nothing() {
    for name in [
        "si_periodic.extxyz",
        "molecules_ref.extxyz",
        "extra_info.extxyz",
    ] {
        let frames = read_extxyz(data_path(name)).unwrap();
        let text = format_extxyz(&frames).unwrap();
        let again = parse_extxyz(&text, "roundtrip").unwrap();
        assert_eq!(frames, again, "{name}\n{text}");
        // And through a file.
        let path =
            std::env::temp_dir().join(format!("eqv_roundtrip_{}_{name}", std::process::id()));
        write_extxyz(&path, &frames).unwrap();
        assert_eq!(read_extxyz(&path).unwrap(), frames);
        let _ = std::fs::remove_file(&path);
    }
    // Values of every kind, including awkward strings and exact reals.
    let mut f = Frame::periodic(
        vec![14, 8],
        vec![[0.1, 1e-7, -3.0], [1.0 / 3.0, 2.5, 1e22]],
        [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.5, 0.0, 3.0]],
    );
    f.pbc = [true, false, true];
    f.energy = Some(-1.0 / 7.0);
    f.forces = Some(vec![[0.1, 0.2, 0.3], [-0.1, -0.2, -0.3]]);
    f.virial = Some([[1.0, 2.0, 3.0], [2.0, 5.0, 6.0], [3.0, 6.0, 9.0]]);
    f.info = vec![
        (
            "s".into(),
            Value::Str("two words and \"quotes\" \\ backslash".into()),
        ),
        ("i".into(), Value::Int(-3)),
        ("x".into(), Value::Float(2.0)),
        ("b".into(), Value::Bool(false)),
        ("one".into(), Value::FloatArray(vec![1.5])),
        ("ia".into(), Value::IntArray(vec![1, 2, 3])),
        ("ba".into(), Value::BoolArray(vec![true, false])),
        ("sa".into(), Value::StrArray(vec!["x".into(), "y".into()])),
        ("json".into(), Value::Str("_JSON {\"x\": 1}".into())),
    ];
    let text = format_extxyz(std::slice::from_ref(&f)).unwrap();
    assert_eq!(parse_extxyz(&text, "t").unwrap(), vec![f.clone()], "{text}");
    // A key the writer owns cannot also be in info.
    f.info.push(("energy".into(), Value::Float(1.0)));
    assert!(format_extxyz(&[f]).is_err());
}

#[test]
fn data_extxyz_comment_line_grammar() {
    let text = "1\r\nflag a=1 b=2.5 c=T d=False e=\"x y\" f={1 2 3} g=[1.0, 2.0] h=\"T F T\" Properties=species:S:1:pos:R:3 \"quoted key\"=word\r\nH 0 0 0\r\n\r\n\r\n";
    let f = &parse_extxyz(text, "g.xyz").unwrap()[0];
    let get = |k: &str| f.info_get(k).cloned().unwrap();
    assert_eq!(get("flag"), Value::Bool(true));
    assert_eq!(get("a"), Value::Int(1));
    assert_eq!(get("b"), Value::Float(2.5));
    assert_eq!(get("c"), Value::Bool(true));
    assert_eq!(get("d"), Value::Bool(false));
    assert_eq!(get("e"), Value::Str("x y".into()));
    assert_eq!(get("f"), Value::IntArray(vec![1, 2, 3]));
    assert_eq!(get("g"), Value::FloatArray(vec![1.0, 2.0]));
    assert_eq!(get("h"), Value::BoolArray(vec![true, false, true]));
    assert_eq!(get("quoted key"), Value::Str("word".into()));
    assert_eq!(f.pbc, [false; 3]);
    // Empty input and blank lines between frames are fine; a Lattice without
    // pbc is periodic (ASE's convention); Z:I:1 may replace species.
    assert!(parse_extxyz("", "e").unwrap().is_empty());
    assert!(parse_extxyz("\n\n", "e").unwrap().is_empty());
    let two = "1\nLattice=\"2 0 0 0 2 0 0 0 2\" Properties=Z:I:1:pos:R:3\n14 0 0 0\n\n0\n\n";
    let frames = parse_extxyz(two, "two").unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].numbers, vec![14]);
    assert_eq!(frames[0].pbc, [true; 3]);
    assert!(frames[1].is_empty());
    // The energy key is configurable; with both present, the search order decides.
    let both = "1\nenergy=1.0 REF_energy=2.0\nH 0 0 0\n";
    assert_eq!(parse_extxyz(both, "b").unwrap()[0].energy, Some(1.0));
    let opts = ReadOptions::default().with_energy_key("REF_energy");
    let f = &parse_extxyz_with(both, "b", &opts).unwrap()[0];
    assert_eq!(f.energy, Some(2.0));
    assert_eq!(f.info_get("energy"), Some(&Value::Float(1.0)));
    let dft = "1\nDFT_energy=-3 Properties=species:S:1:pos:R:3:force:R:3\nH 0 0 0 1 2 3\n";
    let f = &parse_extxyz(dft, "d").unwrap()[0];
    assert_eq!(f.energy, Some(-3.0));
    assert_eq!(f.forces, Some(vec![[1.0, 2.0, 3.0]]));
}

fn error_of(text: &str, name: &str) -> String {
    match parse_extxyz(text, name) {
        Err(e @ DataError::Parse { .. }) => e.to_string(),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn data_extxyz_errors_name_file_and_line() {
    // Files on disk: the message names the path as given.
    let path = data_path("bad_columns.extxyz");
    let e = read_extxyz(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{path}:4: expected 7 columns (Properties=species:S:1:pos:R:3:forces:R:3), found 6"
        )
    );
    let path = data_path("bad_lattice.extxyz");
    let e = read_extxyz(&path).unwrap_err().to_string();
    assert_eq!(e, format!("{path}:5: Lattice must have 9 numbers, found 8"));
    let e = read_extxyz("no/such/file.extxyz").unwrap_err();
    assert!(matches!(e, DataError::Io { .. }));
    assert!(e.to_string().starts_with("no/such/file.extxyz: "));

    let head = "2\nProperties=species:S:1:pos:R:3\n";
    let cases: Vec<(String, &str)> = vec![
        (format!("{head}Si 0 0 0\nSi 0 0 x\n"), "si.extxyz:4: bad number 'x' in column pos"),
        (format!("{head}Si 0 0 0\nSi 0 0\n"), "si.extxyz:4: expected 4 columns (Properties=species:S:1:pos:R:3), found 3"),
        (format!("{head}Si 0 0 0\n"), "si.extxyz:1: truncated file: frame declares 2 atoms but only 1 atom lines follow"),
        (format!("{head}Si 0 0 0\n\n\n"), "si.extxyz:1: truncated file: frame declares 2 atoms but only 1 atom lines follow"),
        ("2\n".to_string(), "si.extxyz:1: truncated file: frame declares 2 atoms but has no comment line"),
        (format!("{head}Si 0 0 0\nQq 0 0 0\n"), "si.extxyz:4: unknown chemical symbol 'Qq'"),
        ("two\nx\n".to_string(), "si.extxyz:1: atom count must be a non-negative integer, found 'two'"),
        ("1\n\nH 0 0 0\n1\nx\nH 0 0 0\n-1\n".to_string(), "si.extxyz:7: atom count must be a non-negative integer, found '-1'"),
        ("1\nProperties=species:S:1:pos:R:3:q:Q:1\nH 0 0 0 1\n".to_string(), "si.extxyz:2: unknown property type 'Q' for column 'q' in Properties (expected S, R, I or L)"),
        ("1\nProperties=species:S:1:xyz:R:3\nH 0 0 0\n".to_string(), "si.extxyz:2: Properties has no pos column (expected pos:R:3) in 'species:S:1:xyz:R:3'"),
        ("1\nProperties=species:S:1:pos:R\nH 0 0 0\n".to_string(), "si.extxyz:2: Properties must be name:type:count triples, found 5 fields in 'species:S:1:pos:R'"),
        ("1\nProperties=species:S:1:pos:R:x\nH 0 0 0\n".to_string(), "si.extxyz:2: column count of 'pos' in Properties must be a positive integer, found 'x'"),
        ("1\nLattice=\"1 0 0 0 1 0 0 0 a\"\nH 0 0 0\n".to_string(), "si.extxyz:2: Lattice must have 9 numbers, found '1 0 0 0 1 0 0 0 a'"),
        ("1\npbc=\"T T\" Lattice=\"1 0 0 0 1 0 0 0 1\"\nH 0 0 0\n".to_string(), "si.extxyz:2: pbc must be 3 booleans such as \"T T F\", found 'T T'"),
        ("1\npbc=\"T T T\"\nH 0 0 0\n".to_string(), "si.extxyz:2: pbc has a periodic direction (T) but there is no Lattice"),
        ("1\nenergy=abc\nH 0 0 0\n".to_string(), "si.extxyz:2: energy must be a number, found 'abc'"),
        ("1\nstress=\"1 2 3\"\nH 0 0 0\n".to_string(), "si.extxyz:2: stress must have 9 (or 6 Voigt) numbers, found 3"),
        ("1\ncomment=\"open\nH 0 0 0\n".to_string(), "si.extxyz:2: unterminated quote starting at column 9"),
        ("1\nk={1 2\nH 0 0 0\n".to_string(), "si.extxyz:2: value of 'k' opens '{' at column 3 but never closes it"),
        ("1\nProperties=species:S:1:pos:R:3:forces:R:2\nH 0 0 0 1 2\n".to_string(), "si.extxyz:2: forces column forces must be R:3, found forces:R:2"),
        ("1\nProperties=species:S:1:pos:R:3:t:I:1\nH 0 0 0 1.5\n".to_string(), "si.extxyz:3: bad integer '1.5' in column t"),
        ("1\nProperties=species:S:1:pos:R:3:t:L:1\nH 0 0 0 yes\n".to_string(), "si.extxyz:3: bad logical (T/F) 'yes' in column t"),
        ("1\nProperties=pos:R:3\n0 0 0\n".to_string(), "si.extxyz:2: Properties has no species:S:1 (or Z:I:1) column in 'pos:R:3'"),
    ];
    for (text, msg) in cases {
        assert_eq!(error_of(&text, "si.extxyz"), msg, "input:\n{text}");
    }
}

#[test]
fn data_extxyz_never_panics_on_mangled_input() {
    // Every prefix of a valid file, and every single-byte corruption of its
    // header, is either parsed or rejected with an error, never a panic.
    let text = std::fs::read_to_string(data_path("extra_info.extxyz")).unwrap();
    for cut in (0..text.len()).step_by(7) {
        if text.is_char_boundary(cut) {
            let _ = parse_extxyz(&text[..cut], "cut");
        }
    }
    let header_end = text.find("\nSi").unwrap();
    for i in (0..header_end).step_by(3) {
        for c in ['"', '=', ' ', '{', ']', ':', 'x', '\\'] {
            let mut t = text.clone();
            if t.is_char_boundary(i) && t.is_char_boundary(i + 1) {
                t.replace_range(i..i + 1, &c.to_string());
                let _ = parse_extxyz(&t, "mangled");
            }
        }
    }
}
