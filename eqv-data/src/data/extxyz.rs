//! Extended XYZ, as written by `ase.io.write(..., format="extxyz")`.
//!
//! A frame is: a line with the atom count, a comment line of `key=value`
//! pairs, and one line per atom whose columns are described by
//! `Properties=name:type:count:...` (types `S` string, `R` real, `I` integer,
//! `L` logical). `Lattice="..."` (nine numbers, rows are lattice vectors) and
//! `pbc="T T T"` give the cell; the energy, forces, stress and virial are found
//! under configurable names (see [`ReadOptions`]) because every dataset spells
//! them differently (`energy`, `REF_energy`, `DFT_energy`, ...). Every other
//! key and column is kept in [`Frame::info`] and [`Frame::arrays`], so writing
//! a frame back loses nothing.
//!
//! Malformed input is never a panic: it is a [`DataError::Parse`] that names
//! the file, the line and the problem, e.g.
//! `si.extxyz:14: expected 9 columns (Properties=species:S:1:pos:R:3:forces:R:3), found 7`.

use super::error::DataError;
use super::frame::{atomic_number, symbol, Column, ColumnData, Frame, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Which keys hold the labels a model is trained on.
///
/// Each list is a search order: the first key present in a frame is used and
/// removed from `info`/`arrays`; the others stay there untouched.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Comment-line keys that may hold the total energy (eV).
    pub energy_keys: Vec<String>,
    /// Per-atom `R:3` columns that may hold the forces (eV/Å).
    pub forces_keys: Vec<String>,
    /// Comment-line keys that may hold the stress (eV/Å³; 9 numbers, or 6 in
    /// Voigt order xx yy zz yz xz xy).
    pub stress_keys: Vec<String>,
    /// Comment-line keys that may hold the virial (eV; 9 or 6 numbers).
    pub virial_keys: Vec<String>,
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

impl Default for ReadOptions {
    /// ASE's own names first, then the names used by common training sets
    /// (MACE's `REF_*`, `DFT_*`, lower-case variants).
    fn default() -> Self {
        ReadOptions {
            energy_keys: strings(&[
                "energy",
                "REF_energy",
                "ref_energy",
                "DFT_energy",
                "dft_energy",
                "Energy",
                "total_energy",
            ]),
            forces_keys: strings(&[
                "forces",
                "REF_forces",
                "ref_forces",
                "DFT_forces",
                "dft_forces",
                "force",
                "Forces",
            ]),
            stress_keys: strings(&[
                "stress",
                "REF_stress",
                "ref_stress",
                "DFT_stress",
                "dft_stress",
            ]),
            virial_keys: strings(&[
                "virial",
                "REF_virial",
                "ref_virial",
                "DFT_virial",
                "dft_virial",
            ]),
        }
    }
}

impl ReadOptions {
    /// Reads the energy only from `key` (e.g. `"REF_energy"`).
    pub fn with_energy_key(mut self, key: &str) -> Self {
        self.energy_keys = vec![key.to_string()];
        self
    }

    /// Reads the forces only from column `key` (e.g. `"REF_forces"`).
    pub fn with_forces_key(mut self, key: &str) -> Self {
        self.forces_keys = vec![key.to_string()];
        self
    }
}

/// Reads every frame of an extended XYZ file, with the default [`ReadOptions`].
pub fn read_extxyz(path: impl AsRef<Path>) -> Result<Vec<Frame>, DataError> {
    read_extxyz_with(path, &ReadOptions::default())
}

/// Reads every frame of an extended XYZ file.
///
/// Errors name the path as given, so keep it short and relative if it is
/// meant to be read by a person.
pub fn read_extxyz_with(
    path: impl AsRef<Path>,
    options: &ReadOptions,
) -> Result<Vec<Frame>, DataError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| DataError::Io {
        path: name.clone(),
        error,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(DataError::parse(
                &name,
                line,
                "file is not valid UTF-8 text",
            ));
        }
    };
    parse_extxyz_with(&text, &name, options)
}

/// Parses extended XYZ text; `source` names it in error messages.
pub fn parse_extxyz(text: &str, source: &str) -> Result<Vec<Frame>, DataError> {
    parse_extxyz_with(text, source, &ReadOptions::default())
}

/// Parses extended XYZ text with explicit label keys.
pub fn parse_extxyz_with(
    text: &str,
    source: &str,
    options: &ReadOptions,
) -> Result<Vec<Frame>, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // `lines` strips "\n" and "\r\n" alike.
    let lines: Vec<&str> = text.lines().collect();
    // Trailing blank lines are allowed; a frame may not run into them.
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    let err = |line: usize, msg: String| DataError::parse(source, line, msg);

    let mut frames = Vec::new();
    let mut i = 0;
    while i < end {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let count_line = i + 1;
        let count_text = lines[i].trim();
        let n: usize = count_text.parse().map_err(|_| {
            err(
                count_line,
                format!("atom count must be a non-negative integer, found '{count_text}'"),
            )
        })?;
        if i + 1 >= lines.len() {
            return Err(err(
                count_line,
                format!("truncated file: frame declares {n} atoms but has no comment line"),
            ));
        }
        let available = end.saturating_sub(i + 2);
        if available < n {
            return Err(err(
                count_line,
                format!(
                    "truncated file: frame declares {n} atoms but only {available} atom lines follow"
                ),
            ));
        }
        let header = parse_header(lines[i + 1], options).map_err(|m| err(i + 2, m))?;
        let atom_lines = &lines[i + 2..i + 2 + n];
        let frame = build_frame(header, atom_lines, i + 3, options).map_err(|(l, m)| err(l, m))?;
        frames.push(frame);
        i += 2 + n;
    }
    Ok(frames)
}

/// One `name:T:count` entry of `Properties`.
#[derive(Clone, Debug)]
struct PropSpec {
    name: String,
    kind: char,
    width: usize,
}

/// What the comment line says, before the atom lines are read.
struct Header {
    props: Vec<PropSpec>,
    props_text: String,
    frame: Frame,
}

/// A raw value from the comment line: its text and whether it was written in
/// `{}`/`[]` brackets (which makes it a list even with one element).
struct RawValue {
    text: String,
    bracketed: bool,
}

/// Splits a comment line into `key=value` pairs. Values may be bare words,
/// `"double quoted"` (with `\"` and `\\` escapes), or `{...}` / `[...]`
/// lists; a key without `=` means true.
fn tokenize(line: &str) -> Result<Vec<(String, Option<RawValue>)>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut pos = 0;
    let mut out = Vec::new();
    let skip_ws = |pos: &mut usize| {
        while *pos < chars.len() && chars[*pos].is_whitespace() {
            *pos += 1;
        }
    };
    loop {
        skip_ws(&mut pos);
        if pos >= chars.len() {
            break;
        }
        let key = if chars[pos] == '"' {
            read_quoted(&chars, &mut pos)?
        } else {
            let start = pos;
            while pos < chars.len() && !chars[pos].is_whitespace() && chars[pos] != '=' {
                pos += 1;
            }
            chars[start..pos].iter().collect()
        };
        if key.is_empty() {
            return Err(format!("expected a key before '=' at column {}", pos + 1));
        }
        let mut look = pos;
        skip_ws(&mut look);
        if look < chars.len() && chars[look] == '=' {
            pos = look + 1;
            skip_ws(&mut pos);
            let value = if pos >= chars.len() {
                RawValue {
                    text: String::new(),
                    bracketed: false,
                }
            } else if chars[pos] == '"' {
                RawValue {
                    text: read_quoted(&chars, &mut pos)?,
                    bracketed: false,
                }
            } else if chars[pos] == '{' || chars[pos] == '[' {
                let open = chars[pos];
                let close = if open == '{' { '}' } else { ']' };
                let start = pos;
                let mut depth = 0usize;
                let mut in_quote = false;
                loop {
                    if pos >= chars.len() {
                        return Err(format!(
                            "value of '{key}' opens '{open}' at column {} but never closes it",
                            start + 1
                        ));
                    }
                    let c = chars[pos];
                    if c == '"' {
                        in_quote = !in_quote;
                    } else if !in_quote && c == open {
                        depth += 1;
                    } else if !in_quote && c == close {
                        depth -= 1;
                        if depth == 0 {
                            pos += 1;
                            break;
                        }
                    }
                    pos += 1;
                }
                RawValue {
                    text: chars[start + 1..pos - 1].iter().collect(),
                    bracketed: true,
                }
            } else {
                let start = pos;
                while pos < chars.len() && !chars[pos].is_whitespace() {
                    pos += 1;
                }
                RawValue {
                    text: chars[start..pos].iter().collect(),
                    bracketed: false,
                }
            };
            out.push((key, Some(value)));
        } else {
            out.push((key, None));
        }
    }
    Ok(out)
}

/// Reads a `"..."` string starting at `chars[*pos] == '"'`.
fn read_quoted(chars: &[char], pos: &mut usize) -> Result<String, String> {
    let start = *pos;
    *pos += 1;
    let mut s = String::new();
    while *pos < chars.len() {
        match chars[*pos] {
            '"' => {
                *pos += 1;
                return Ok(s);
            }
            '\\' if *pos + 1 < chars.len() => {
                let next = chars[*pos + 1];
                match next {
                    '"' | '\\' => s.push(next),
                    'n' => s.push('\n'),
                    other => {
                        s.push('\\');
                        s.push(other);
                    }
                }
                *pos += 2;
            }
            c => {
                s.push(c);
                *pos += 1;
            }
        }
    }
    Err(format!(
        "unterminated quote starting at column {}",
        start + 1
    ))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "T" | "True" | "true" | "TRUE" => Some(true),
        "F" | "False" | "false" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Gives a raw comment-line value its type: integer, real, boolean, string,
/// or a list of one of these when it has several words (or brackets).
fn interpret(raw: &RawValue) -> Value {
    let tokens: Vec<&str> = if raw.bracketed {
        raw.text
            .split(|c: char| c == ',' || c.is_whitespace() || c == '[' || c == ']')
            .filter(|t| !t.is_empty())
            .map(|t| t.trim_matches('"'))
            .collect()
    } else {
        raw.text.split_whitespace().collect()
    };
    if tokens.len() == 1 && !raw.bracketed {
        let t = tokens[0];
        if let Ok(i) = t.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(x) = t.parse::<f64>() {
            return Value::Float(x);
        }
        if let Some(b) = parse_bool(t) {
            return Value::Bool(b);
        }
        return Value::Str(raw.text.clone());
    }
    if tokens.is_empty() {
        return if raw.bracketed {
            Value::FloatArray(Vec::new())
        } else {
            Value::Str(raw.text.clone())
        };
    }
    if let Ok(v) = tokens.iter().map(|t| t.parse::<i64>()).collect() {
        return Value::IntArray(v);
    }
    if let Ok(v) = tokens.iter().map(|t| t.parse::<f64>()).collect() {
        return Value::FloatArray(v);
    }
    if let Some(v) = tokens.iter().map(|t| parse_bool(t)).collect() {
        return Value::BoolArray(v);
    }
    if raw.bracketed {
        Value::StrArray(tokens.iter().map(|t| t.to_string()).collect())
    } else {
        Value::Str(raw.text.clone())
    }
}

fn parse_properties(text: &str) -> Result<Vec<PropSpec>, String> {
    let fields: Vec<&str> = text.split(':').collect();
    if !fields.len().is_multiple_of(3) {
        return Err(format!(
            "Properties must be name:type:count triples, found {} fields in '{text}'",
            fields.len()
        ));
    }
    let mut props: Vec<PropSpec> = Vec::new();
    for f in fields.chunks(3) {
        let name = f[0].to_string();
        if name.is_empty() {
            return Err(format!("Properties has an empty column name in '{text}'"));
        }
        let kind = match f[1] {
            "S" | "R" | "I" | "L" => f[1].chars().next().unwrap_or('S'),
            other => {
                return Err(format!(
                    "unknown property type '{other}' for column '{name}' in Properties (expected S, R, I or L)"
                ))
            }
        };
        let width: usize = match f[2].parse() {
            Ok(w) if w > 0 => w,
            _ => {
                return Err(format!(
                    "column count of '{name}' in Properties must be a positive integer, found '{}'",
                    f[2]
                ))
            }
        };
        if props.iter().any(|p| p.name == name) {
            return Err(format!("column '{name}' appears twice in Properties"));
        }
        props.push(PropSpec { name, kind, width });
    }
    Ok(props)
}

fn numbers_of(key: &str, v: &Value, allowed: &[usize], what: &str) -> Result<Vec<f64>, String> {
    match v.as_f64_vec() {
        Some(xs) if allowed.contains(&xs.len()) => Ok(xs),
        Some(xs) => Err(format!(
            "{key} must have {what} numbers, found {}",
            xs.len()
        )),
        None => Err(format!(
            "{key} must have {what} numbers, found '{}'",
            show(v)
        )),
    }
}

/// A value as it appeared, for error messages.
fn show(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => format_value(other).unwrap_or_default(),
    }
}

fn matrix9(xs: &[f64]) -> [[f64; 3]; 3] {
    [
        [xs[0], xs[1], xs[2]],
        [xs[3], xs[4], xs[5]],
        [xs[6], xs[7], xs[8]],
    ]
}

/// A symmetric tensor from 9 numbers (row-major) or 6 in Voigt order xx yy zz yz xz xy.
fn tensor(xs: &[f64]) -> [[f64; 3]; 3] {
    if xs.len() == 6 {
        [
            [xs[0], xs[5], xs[4]],
            [xs[5], xs[1], xs[3]],
            [xs[4], xs[3], xs[2]],
        ]
    } else {
        matrix9(xs)
    }
}

fn parse_header(line: &str, options: &ReadOptions) -> Result<Header, String> {
    let pairs = tokenize(line)?;
    let mut frame = Frame::default();
    let mut props_text = String::from("species:S:1:pos:R:3");
    let mut lattice: Option<[[f64; 3]; 3]> = None;
    let mut pbc: Option<[bool; 3]> = None;
    let mut info: Vec<(String, Value)> = Vec::new();
    for (key, raw) in pairs {
        let Some(raw) = raw else {
            set(&mut info, key, Value::Bool(true));
            continue;
        };
        if key.eq_ignore_ascii_case("Properties") {
            props_text = raw.text;
        } else if key.eq_ignore_ascii_case("Lattice") {
            let xs = numbers_of("Lattice", &interpret(&raw), &[9], "9")?;
            if xs.iter().any(|x| !x.is_finite()) {
                return Err("Lattice has a non-finite number".into());
            }
            lattice = Some(matrix9(&xs));
        } else if key.eq_ignore_ascii_case("pbc") {
            pbc = Some(match interpret(&raw) {
                Value::Bool(b) => [b; 3],
                Value::BoolArray(v) if v.len() == 3 => [v[0], v[1], v[2]],
                _ => {
                    return Err(format!(
                        "pbc must be 3 booleans such as \"T T F\", found '{}'",
                        raw.text
                    ))
                }
            });
        } else {
            set(&mut info, key, interpret(&raw));
        }
    }
    // The labels: the first key of each search order that is present.
    if let Some(key) = options
        .energy_keys
        .iter()
        .find(|k| info.iter().any(|(i, _)| i == *k))
    {
        let v = take(&mut info, key);
        frame.energy = Some(
            v.as_f64()
                .ok_or_else(|| format!("{key} must be a number, found '{}'", show(&v)))?,
        );
    }
    for (keys, slot) in [
        (&options.stress_keys, &mut frame.stress),
        (&options.virial_keys, &mut frame.virial),
    ] {
        if let Some(key) = keys.iter().find(|k| info.iter().any(|(i, _)| i == *k)) {
            let v = take(&mut info, key);
            *slot = Some(tensor(&numbers_of(key, &v, &[9, 6], "9 (or 6 Voigt)")?));
        }
    }
    if pbc.is_none() && lattice.is_some() {
        // ASE's convention: a Lattice without pbc is periodic.
        pbc = Some([true; 3]);
    }
    let pbc = pbc.unwrap_or([false; 3]);
    if lattice.is_none() && pbc.iter().any(|&p| p) {
        return Err("pbc has a periodic direction (T) but there is no Lattice".into());
    }
    frame.cell = lattice;
    frame.pbc = pbc;
    frame.info = info;
    let props = parse_properties(&props_text)?;
    let pos = props.iter().find(|p| p.name == "pos").ok_or_else(|| {
        format!("Properties has no pos column (expected pos:R:3) in '{props_text}'")
    })?;
    if pos.kind != 'R' || pos.width != 3 {
        return Err(format!(
            "pos must be pos:R:3, found pos:{}:{}",
            pos.kind, pos.width
        ));
    }
    let species = props.iter().find(|p| p.name == "species");
    let z = props.iter().find(|p| p.name == "Z");
    match (species, z) {
        (Some(s), _) if s.kind != 'S' || s.width != 1 => {
            return Err(format!(
                "species must be species:S:1, found species:{}:{}",
                s.kind, s.width
            ))
        }
        (None, Some(z)) if z.kind != 'I' || z.width != 1 => {
            return Err(format!("Z must be Z:I:1, found Z:{}:{}", z.kind, z.width))
        }
        (None, None) => {
            return Err(format!(
                "Properties has no species:S:1 (or Z:I:1) column in '{props_text}'"
            ))
        }
        _ => {}
    }
    Ok(Header {
        props,
        props_text,
        frame,
    })
}

fn set(info: &mut Vec<(String, Value)>, key: String, value: Value) {
    match info.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => info.push((key, value)),
    }
}

fn take(info: &mut Vec<(String, Value)>, key: &str) -> Value {
    match info.iter().position(|(k, _)| k == key) {
        Some(i) => info.remove(i).1,
        None => Value::Bool(false),
    }
}

/// Reads the atom lines; errors carry their own 1-based line number.
fn build_frame(
    header: Header,
    atom_lines: &[&str],
    first_line: usize,
    options: &ReadOptions,
) -> Result<Frame, (usize, String)> {
    let Header {
        props,
        props_text,
        mut frame,
    } = header;
    let n = atom_lines.len();
    let total: usize = props.iter().map(|p| p.width).sum();
    let mut columns: Vec<ColumnData> = props
        .iter()
        .map(|p| match p.kind {
            'S' => ColumnData::Str(Vec::with_capacity(n * p.width)),
            'I' => ColumnData::Int(Vec::with_capacity(n * p.width)),
            'L' => ColumnData::Bool(Vec::with_capacity(n * p.width)),
            _ => ColumnData::Real(Vec::with_capacity(n * p.width)),
        })
        .collect();
    for (a, line) in atom_lines.iter().enumerate() {
        let lineno = first_line + a;
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() != total {
            return Err((
                lineno,
                format!(
                    "expected {total} columns (Properties={props_text}), found {}",
                    words.len()
                ),
            ));
        }
        let mut w = 0;
        for (p, col) in props.iter().zip(columns.iter_mut()) {
            for word in &words[w..w + p.width] {
                let bad =
                    |what: &str| (lineno, format!("bad {what} '{word}' in column {}", p.name));
                match col {
                    ColumnData::Str(v) => v.push(word.to_string()),
                    ColumnData::Real(v) => {
                        let x: f64 = word.parse().map_err(|_| bad("number"))?;
                        if p.name == "pos" && !x.is_finite() {
                            return Err(bad("(non-finite) number"));
                        }
                        v.push(x)
                    }
                    ColumnData::Int(v) => v.push(word.parse().map_err(|_| bad("integer"))?),
                    ColumnData::Bool(v) => {
                        v.push(parse_bool(word).ok_or_else(|| bad("logical (T/F)"))?)
                    }
                }
            }
            w += p.width;
        }
    }
    // Distribute the columns: species/Z -> numbers, pos -> positions,
    // the first forces key -> forces, everything else -> arrays.
    let forces_name = options
        .forces_keys
        .iter()
        .find(|k| props.iter().any(|p| &p.name == *k))
        .cloned();
    let has_species = props.iter().any(|p| p.name == "species");
    for (p, col) in props.into_iter().zip(columns) {
        match (p.name.as_str(), col) {
            ("species", ColumnData::Str(v)) => {
                let mut numbers = Vec::with_capacity(n);
                for (a, s) in v.iter().enumerate() {
                    let z = atomic_number(s).ok_or_else(|| {
                        (first_line + a, format!("unknown chemical symbol '{s}'"))
                    })?;
                    numbers.push(z);
                }
                frame.numbers = numbers;
            }
            ("Z", ColumnData::Int(v)) if !has_species => {
                let mut numbers = Vec::with_capacity(n);
                for (a, &z) in v.iter().enumerate() {
                    match u8::try_from(z).ok().filter(|&z| symbol(z).is_some()) {
                        Some(z) => numbers.push(z),
                        None => {
                            return Err((
                                first_line + a,
                                format!("atomic number {z} in column Z is not an element"),
                            ))
                        }
                    }
                }
                frame.numbers = numbers;
            }
            ("pos", ColumnData::Real(v)) => frame.positions = triples(&v),
            (name, ColumnData::Real(v)) if Some(name) == forces_name.as_deref() && p.width == 3 => {
                frame.forces = Some(triples(&v));
            }
            (name, ColumnData::Real(_)) if Some(name) == forces_name.as_deref() => {
                return Err((
                    first_line.saturating_sub(1),
                    format!(
                        "forces column {name} must be R:3, found {name}:R:{}",
                        p.width
                    ),
                ));
            }
            (name, ColumnData::Str(_) | ColumnData::Int(_) | ColumnData::Bool(_))
                if Some(name) == forces_name.as_deref() =>
            {
                return Err((
                    first_line.saturating_sub(1),
                    format!("forces column {name} must be R:3"),
                ));
            }
            (_, data) => frame.arrays.push((
                p.name,
                Column {
                    width: p.width,
                    data,
                },
            )),
        }
    }
    Ok(frame)
}

fn triples(v: &[f64]) -> Vec<[f64; 3]> {
    v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// Names under which [`write_extxyz_with`] stores the labels.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// Comment-line key of the energy (ASE: `energy`).
    pub energy_key: String,
    /// Column name of the forces (ASE: `forces`).
    pub forces_key: String,
    /// Comment-line key of the stress (ASE: `stress`).
    pub stress_key: String,
    /// Comment-line key of the virial (ASE: `virial`).
    pub virial_key: String,
}

impl Default for WriteOptions {
    /// ASE's names, so that `ase.io.read` attaches the labels as calculator
    /// results.
    fn default() -> Self {
        WriteOptions {
            energy_key: "energy".into(),
            forces_key: "forces".into(),
            stress_key: "stress".into(),
            virial_key: "virial".into(),
        }
    }
}

/// Writes frames to an extended XYZ file that ASE reads, with ASE's key names.
pub fn write_extxyz(path: impl AsRef<Path>, frames: &[Frame]) -> Result<(), DataError> {
    write_extxyz_with(path, frames, &WriteOptions::default())
}

/// Writes frames to an extended XYZ file with the given label names.
pub fn write_extxyz_with(
    path: impl AsRef<Path>,
    frames: &[Frame],
    options: &WriteOptions,
) -> Result<(), DataError> {
    let path = path.as_ref();
    let text = format_extxyz_with(frames, options)?;
    std::fs::write(path, text).map_err(|error| DataError::Io {
        path: path.display().to_string(),
        error,
    })
}

/// Formats frames as extended XYZ text with ASE's key names.
pub fn format_extxyz(frames: &[Frame]) -> Result<String, DataError> {
    format_extxyz_with(frames, &WriteOptions::default())
}

/// Formats frames as extended XYZ text.
///
/// Reals are written in Rust's shortest round-trip form, so reading the text
/// back gives bit-identical numbers. Fails (rather than writing a file that
/// reads back differently) on a frame that does not validate, on an `info` key
/// or column that collides with a label name, or on text that cannot be
/// represented (a newline in a value, whitespace in a per-atom string).
pub fn format_extxyz_with(frames: &[Frame], options: &WriteOptions) -> Result<String, DataError> {
    let mut out = String::new();
    for (index, frame) in frames.iter().enumerate() {
        write_frame(&mut out, frame, options)
            .map_err(|m| DataError::invalid(format!("cannot write frame {index}: {m}")))?;
    }
    Ok(out)
}

fn write_frame(out: &mut String, frame: &Frame, o: &WriteOptions) -> Result<(), String> {
    frame.validate().map_err(|e| e.to_string())?;
    let reserved = [
        "Lattice",
        "Properties",
        "pbc",
        o.energy_key.as_str(),
        o.stress_key.as_str(),
        o.virial_key.as_str(),
    ];
    let n = frame.len();
    let _ = writeln!(out, "{n}");
    let mut header = Vec::<String>::new();
    if let Some(c) = &frame.cell {
        let nums: Vec<String> = c.iter().flatten().map(|x| fmt_f64(*x)).collect();
        header.push(format!("Lattice=\"{}\"", nums.join(" ")));
    }
    let mut props = String::from("species:S:1:pos:R:3");
    for (name, col) in &frame.arrays {
        if name == "species" || name == "pos" || (frame.forces.is_some() && *name == o.forces_key) {
            return Err(format!("column '{name}' collides with a column eqv writes"));
        }
        check_word(name, "column name")?;
        if name.contains(':') {
            return Err(format!("column name '{name}' contains ':'"));
        }
        let _ = write!(props, ":{name}:{}:{}", col.type_letter(), col.width);
    }
    if frame.forces.is_some() {
        let _ = write!(props, ":{}:R:3", o.forces_key);
    }
    header.push(format!("Properties={props}"));
    for (key, value) in &frame.info {
        if reserved.iter().any(|r| r.eq_ignore_ascii_case(key)) {
            return Err(format!("info key '{key}' collides with a key eqv writes"));
        }
        header.push(format!(
            "{}={}",
            quote_if_needed(key)?,
            format_value(value)?
        ));
    }
    if let Some(e) = frame.energy {
        header.push(format!("{}={}", o.energy_key, fmt_f64(e)));
    }
    for (key, t) in [
        (&o.stress_key, &frame.stress),
        (&o.virial_key, &frame.virial),
    ] {
        if let Some(t) = t {
            let nums: Vec<String> = t.iter().flatten().map(|x| fmt_f64(*x)).collect();
            header.push(format!("{key}=\"{}\"", nums.join(" ")));
        }
    }
    let tf = |b: bool| if b { "T" } else { "F" };
    header.push(format!(
        "pbc=\"{} {} {}\"",
        tf(frame.pbc[0]),
        tf(frame.pbc[1]),
        tf(frame.pbc[2])
    ));
    let _ = writeln!(out, "{}", header.join(" "));
    for i in 0..n {
        let sym = symbol(frame.numbers[i]).unwrap_or("X");
        let p = frame.positions[i];
        let _ = write!(
            out,
            "{sym:<3}{:>24}{:>24}{:>24}",
            fmt_f64(p[0]),
            fmt_f64(p[1]),
            fmt_f64(p[2])
        );
        for (name, col) in &frame.arrays {
            let range = i * col.width..(i + 1) * col.width;
            match &col.data {
                ColumnData::Str(v) => {
                    for s in &v[range] {
                        if s.is_empty() || s.chars().any(char::is_whitespace) {
                            return Err(format!(
                                "string '{s}' in column {name} is empty or contains whitespace"
                            ));
                        }
                        let _ = write!(out, " {s:>8}");
                    }
                }
                ColumnData::Real(v) => {
                    for x in &v[range] {
                        let _ = write!(out, " {:>23}", fmt_f64(*x));
                    }
                }
                ColumnData::Int(v) => {
                    for x in &v[range] {
                        let _ = write!(out, " {x:>8}");
                    }
                }
                ColumnData::Bool(v) => {
                    for &b in &v[range] {
                        let _ = write!(out, " {}", tf(b));
                    }
                }
            }
        }
        if let Some(f) = &frame.forces {
            for x in f[i] {
                let _ = write!(out, " {:>23}", fmt_f64(x));
            }
        }
        out.push('\n');
    }
    Ok(())
}

/// Shortest text that parses back to the same `f64` ("1.0", "1e-7").
fn fmt_f64(x: f64) -> String {
    format!("{x:?}")
}

fn check_word(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"' || c == '=') {
        Err(format!(
            "{what} '{s}' is empty or contains whitespace, '\"' or '='"
        ))
    } else {
        Ok(())
    }
}

fn quote_if_needed(s: &str) -> Result<String, String> {
    if s.contains('\n') || s.contains('\r') {
        return Err(format!("'{s}' contains a line break"));
    }
    let plain = !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '=' || c == '\\')
        && !s.starts_with('{')
        && !s.starts_with('[');
    if plain {
        Ok(s.to_string())
    } else {
        Ok(format!(
            "\"{}\"",
            s.replace('\\', "\\\\").replace('"', "\\\"")
        ))
    }
}

fn join<T>(xs: &[T], f: impl Fn(&T) -> String) -> String {
    xs.iter().map(f).collect::<Vec<_>>().join(" ")
}

/// A comment-line value in the form [`parse_extxyz`] reads back to the same
/// value (lists of one element are written in brackets so they stay lists).
fn format_value(v: &Value) -> Result<String, String> {
    let tf = |b: &bool| if *b { "T".to_string() } else { "F".to_string() };
    let list = |items: String, len: usize| {
        if len == 1 {
            format!("[{items}]")
        } else if len == 0 {
            "[]".to_string()
        } else {
            format!("\"{items}\"")
        }
    };
    Ok(match v {
        Value::Bool(b) => tf(b),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => fmt_f64(*x),
        Value::Str(s) => quote_if_needed(s)?,
        Value::BoolArray(xs) => list(join(xs, tf), xs.len()),
        Value::IntArray(xs) => list(join(xs, |i| i.to_string()), xs.len()),
        Value::FloatArray(xs) => list(join(xs, |x| fmt_f64(*x)), xs.len()),
        Value::StrArray(xs) => {
            for s in xs {
                if s.is_empty()
                    || s.chars()
                        .any(|c| c.is_whitespace() || matches!(c, ',' | '"' | '[' | ']'))
                {
                    return Err(format!(
                        "list element '{s}' is empty or contains whitespace, ',', '\"' or brackets"
                    ));
                }
            }
            format!("[{}]", join(xs, |s| format!("\"{s}\"")))
        }
    })
}
