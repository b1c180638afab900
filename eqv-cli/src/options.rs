//! Options of the subcommands: one table per command (`(name, takes a
//! value, help)`), parsed by clap from the command line and, for `train`,
//! merged over a config file.
//!
//! The table is the single description of an option: clap's parser, its
//! `--help`, the config file's keys and the copy of the config written
//! into a run's output all come from it, so they cannot drift apart. The
//! resolved options are a map from name to text, read with typed getters
//! whose errors name the option.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

/// The exit code of a command's run: success, or its error printed as one
/// `error: …` line and a failure code.
pub fn exit_code<E: std::fmt::Display>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What a command accepts: `(name, takes a value, help)`.
pub type Spec = &'static [(&'static str, bool, &'static str)];

/// Resolved options: values by name, and the switches that are on.
#[derive(Clone, Debug, Default)]
pub struct Args {
    values: BTreeMap<String, String>,
    flags: Vec<String>,
}

/// The clap command for a spec (used by the `eqv` binary for its
/// subcommands, and by the examples for themselves).
pub fn command(name: &'static str, about: &'static str, spec: Spec) -> clap::Command {
    spec.iter().fold(
        // A repeated option takes its last value, as in most tools (a
        // script can append an override).
        clap::Command::new(name)
            .about(about)
            .args_override_self(true),
        |cmd, &(option, takes, help)| {
            let arg = clap::Arg::new(option).long(option).help(help);
            cmd.arg(if takes {
                arg.value_name("VALUE")
                    .allow_negative_numbers(true)
                    .action(clap::ArgAction::Set)
            } else {
                arg.action(clap::ArgAction::SetTrue)
            })
        },
    )
}

impl Args {
    /// Parses the process's arguments against `spec`. `--help` prints the
    /// usage and exits; a bad argument prints clap's message and exits with
    /// code 2.
    pub fn parse(name: &'static str, about: &'static str, spec: Spec) -> Args {
        Args::from_matches(spec, &command(name, about, spec).get_matches())
    }

    /// Parses `argv` (the first item is the program name) against `spec`.
    pub fn try_parse_from<I, T>(
        name: &'static str,
        about: &'static str,
        spec: Spec,
        argv: I,
    ) -> Result<Args, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = command(name, about, spec).try_get_matches_from(argv)?;
        Ok(Args::from_matches(spec, &matches))
    }

    /// [`Args::try_parse_from`] for a command's `main`: on a usage error
    /// (or `--help`) clap's message is printed and the exit code returned
    /// (2 for an error, 0 for help).
    pub fn parse_for_main<I, T>(
        name: &'static str,
        about: &'static str,
        spec: Spec,
        argv: I,
    ) -> Result<Args, ExitCode>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        Args::try_parse_from(name, about, spec, argv).map_err(|e| {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        })
    }

    /// The options clap found.
    pub fn from_matches(spec: Spec, matches: &clap::ArgMatches) -> Args {
        let mut args = Args::default();
        for &(name, takes, _) in spec {
            if takes {
                if let Some(v) = matches.get_one::<String>(name) {
                    args.values.insert(name.to_string(), v.clone());
                }
            } else if matches.get_flag(name) {
                args.flags.push(name.to_string());
            }
        }
        args
    }

    /// These options laid over a config file's: the command line wins.
    ///
    /// The file is TOML with the options' names as keys (`lr = 0.005`,
    /// `data = "train.extxyz"`, `quiet = true`). A key that is not an
    /// option, or a value of the wrong kind, is an error naming the file
    /// and the key, so a typo never silently falls back to a default.
    pub fn over_config(self, spec: Spec, file: &Path) -> Result<Args, String> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("--config {}: {e}", file.display()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("{}: {}", file.display(), e.message()))?;
        let mut merged = Args::default();
        for (key, value) in &table {
            let Some(&(_, takes, _)) = spec.iter().find(|(n, _, _)| *n == key.as_str()) else {
                return Err(format!(
                    "{}: `{key}` is not an option of this command (see --help)",
                    file.display()
                ));
            };
            match (takes, value) {
                (false, toml::Value::Boolean(on)) => {
                    if *on {
                        merged.flags.push(key.clone());
                    }
                }
                (false, _) => {
                    return Err(format!(
                        "{}: `{key}` is a switch: write `{key} = true` or `false`",
                        file.display()
                    ))
                }
                (true, toml::Value::String(s)) => {
                    merged.values.insert(key.clone(), s.clone());
                }
                (true, toml::Value::Integer(i)) => {
                    merged.values.insert(key.clone(), i.to_string());
                }
                (true, toml::Value::Float(x)) => {
                    merged.values.insert(key.clone(), x.to_string());
                }
                (true, _) => {
                    return Err(format!(
                        "{}: `{key}` takes a number or a string",
                        file.display()
                    ))
                }
            }
        }
        merged.values.extend(self.values);
        for f in self.flags {
            if !merged.flags.contains(&f) {
                merged.flags.push(f);
            }
        }
        Ok(merged)
    }

    /// The options as a TOML config file that gives this run again (a run
    /// copies it into its output).
    pub fn to_toml(&self, spec: Spec) -> String {
        let mut table = toml::Table::new();
        // `config` names the file itself; the copy stands alone.
        for &(name, _, _) in spec.iter().filter(|(n, _, _)| *n != "config") {
            if let Some(v) = self.values.get(name) {
                let value = if let Ok(i) = v.parse::<i64>() {
                    toml::Value::Integer(i)
                } else if let Ok(x) = v.parse::<f64>() {
                    toml::Value::Float(x)
                } else {
                    toml::Value::String(v.clone())
                };
                table.insert(name.to_string(), value);
            } else if self.flag(name) {
                table.insert(name.to_string(), toml::Value::Boolean(true));
            }
        }
        table.to_string()
    }

    /// Sets `--name value` (used by fronts that fix an option).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_string(), value.into());
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

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = &[
        ("lr", true, "learning rate"),
        ("data", true, "data file"),
        ("quiet", false, "no per-epoch lines"),
    ];

    fn parse(argv: &[&str]) -> Args {
        let argv = std::iter::once("eqv").chain(argv.iter().copied());
        Args::try_parse_from("eqv", "test", SPEC, argv).unwrap()
    }

    #[test]
    fn command_line_overrides_the_config_file() {
        let dir = std::env::temp_dir().join(format!("eqv-options-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("run.toml");
        std::fs::write(&file, "lr = 0.005\ndata = \"a.extxyz\"\nquiet = true\n").unwrap();
        let args = parse(&["--lr", "0.02"]).over_config(SPEC, &file).unwrap();
        assert_eq!(args.get::<f64>("lr").unwrap(), Some(0.02));
        assert_eq!(args.path("data"), Some(PathBuf::from("a.extxyz")));
        assert!(args.flag("quiet"));
        let again: toml::Table = args.to_toml(SPEC).parse().unwrap();
        assert_eq!(again["lr"].as_float(), Some(0.02));
        assert_eq!(again["quiet"].as_bool(), Some(true));

        std::fs::write(&file, "learning_rate = 0.005\n").unwrap();
        let err = parse(&[]).over_config(SPEC, &file).unwrap_err();
        assert!(err.contains("`learning_rate` is not an option"), "{err}");
        std::fs::write(&file, "quiet = 3\n").unwrap();
        let err = parse(&[]).over_config(SPEC, &file).unwrap_err();
        assert!(err.contains("is a switch"), "{err}");
        std::fs::write(&file, "lr = [1]\n").unwrap();
        assert!(parse(&[]).over_config(SPEC, &file).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_options_and_bad_values_are_errors() {
        let argv = ["eqv", "--rate", "1"];
        assert!(Args::try_parse_from("eqv", "test", SPEC, argv).is_err());
        let args = parse(&["--lr", "fast"]);
        let err = args.get::<f64>("lr").unwrap_err();
        assert!(err.contains("--lr") && err.contains("fast"), "{err}");
    }
}
