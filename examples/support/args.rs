//! A small command-line parser for the examples: `--name value` options and
//! `--flag` switches, with errors that name the option. (Examples only; the
//! library has no CLI.)

// Each example uses the part of this parser it needs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

/// Parsed arguments: options with values, and switches.
pub struct Args {
    values: BTreeMap<String, String>,
    flags: Vec<String>,
}

/// What an example accepts: `(name, takes a value, help)`.
pub type Spec = &'static [(&'static str, bool, &'static str)];

impl Args {
    /// Parses `std::env::args()` against `spec`; `--help` prints the usage
    /// and exits.
    pub fn parse(about: &str, spec: Spec) -> Result<Args, String> {
        let mut values = BTreeMap::new();
        let mut flags = Vec::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if a == "--help" || a == "-h" {
                println!("{about}\n\nOptions:");
                for (name, takes, help) in spec {
                    let v = if *takes { " VALUE" } else { "" };
                    println!("  --{name}{v}\n      {help}");
                }
                std::process::exit(0);
            }
            let Some(name) = a.strip_prefix("--") else {
                return Err(format!(
                    "unexpected argument `{a}` (options start with --; see --help)"
                ));
            };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (name.to_string(), None),
            };
            let Some((_, takes, _)) = spec.iter().find(|(n, _, _)| *n == name) else {
                return Err(format!("unknown option `--{name}` (see --help)"));
            };
            if *takes {
                let v = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .ok_or_else(|| format!("option `--{name}` needs a value"))?,
                };
                values.insert(name, v);
            } else {
                flags.push(name);
            }
        }
        Ok(Args { values, flags })
    }

    /// The value of `--name`, parsed, if given.
    pub fn get<T: FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        match self.values.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("option `--{name}`: cannot read `{v}`")),
        }
    }

    /// The value of `--name`, or `default`.
    pub fn get_or<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        Ok(self.get(name)?.unwrap_or(default))
    }

    /// A path option.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.values.get(name).map(PathBuf::from)
    }

    /// Whether the switch `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}
