//! `eqv inspect`: what a checkpoint holds — architecture, sizes, cutoff,
//! species and their reference energies, the epoch, the number of
//! parameters — after every check `load` makes, so a file that inspects
//! cleanly also loads.

use eqv::param::Parameters;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

/// What `inspect` says about itself.
pub const ABOUT: &str = "Show what a trained checkpoint holds (and check that it loads).";

/// The clap command of `inspect`: one positional path.
pub fn command(name: &'static str) -> clap::Command {
    clap::Command::new(name).about(ABOUT).arg(
        clap::Arg::new("checkpoint")
            .value_name("CHECKPOINT")
            .help("a .safetensors checkpoint, or the --out directory of a training run")
            .default_value("target/train_potential"),
    )
}

/// Parses `argv` (program name first) and prints the summary.
pub fn main<I, T>(name: &'static str, argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = match command(name).try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let path = PathBuf::from(
        matches
            .get_one::<String>("checkpoint")
            .expect("has a default"),
    );
    match summary(&path) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The summary of a checkpoint, as printed.
pub fn summary(path: &std::path::Path) -> Result<String, Box<dyn Error>> {
    let trained = eqv::zoo::load(path)?;
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("checkpoint  {}", trained.path.display()));
    line(format!("model       {}", trained.model.name()));
    line(format!("parameters  {}", trained.model.num_params()));
    line(format!("epoch       {}", trained.epoch));
    line(format!("cutoff      {} Å", trained.cutoff));
    line(format!("config      {}", trained.config));
    line("species     Z   E0 (eV)".to_string());
    let species = trained.reference.species();
    for (i, e0) in trained.reference.e0().iter().enumerate() {
        let z = species.number(i).unwrap_or(0);
        line(format!(
            "            {:<3} {z:>3}   {e0:.6}",
            eqv::data::symbol(z).unwrap_or("?")
        ));
    }
    Ok(out)
}
