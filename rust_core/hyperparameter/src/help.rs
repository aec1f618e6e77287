//! `generate_params_help()`: every key read by `get_param!` (and `@get`) anywhere in the
//! program, with its help text, collected at link time (`linkme`), for `clap`'s
//! `after_long_help` — as 0.5.13 did.

use std::collections::{BTreeMap, BTreeSet};

/// One `get_param!` site: its key and help text (`""` when it gave none).
#[doc(hidden)]
#[derive(Debug)]
pub struct Help {
    /// The key read.
    pub key: &'static str,
    /// The help text given at the site.
    pub help: &'static str,
}

#[doc(hidden)]
#[linkme::distributed_slice]
pub static PARAMS: [Help];

/// Every `(key, help texts)` read by a `get_param!` in the program, sorted by key; a key read
/// at several sites has each distinct help text once.
///
/// ```
/// use hyperparameter::*;
/// fn train() -> f64 { get_param!(train.lr, 0.1, "learning rate") }
/// let params = params_help();
/// let (_, helps) = params.iter().find(|(k, _)| *k == "train.lr").unwrap();
/// assert_eq!(helps, &["learning rate"]);
/// # let _ = train();
/// ```
pub fn params_help() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut by_key: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    for h in PARAMS.iter() {
        let helps = by_key.entry(h.key).or_default();
        if !h.help.is_empty() {
            helps.insert(h.help);
        }
    }
    by_key
        .into_iter()
        .map(|(k, h)| (k, h.into_iter().collect()))
        .collect()
}

/// The "Hyperparameters:" section for `--help`: every key a `get_param!` reads, each with
/// its help text (`clap`: `#[command(after_long_help = generate_params_help())]`); empty
/// when the program reads none.
///
/// ```
/// use hyperparameter::*;
/// fn train() -> bool { get_param!(train.amp, false, "use mixed precision") }
/// let help = generate_params_help();
/// assert!(help.starts_with("Hyperparameters:\n"));
/// assert!(help.contains("  train.amp\n          use mixed precision\n"));
/// # let _ = train();
/// ```
pub fn generate_params_help() -> String {
    let params = params_help();
    if params.is_empty() {
        return String::new();
    }
    let mut out = String::from("Hyperparameters:\n");
    for (key, helps) in params {
        out.push_str("  ");
        out.push_str(key);
        out.push('\n');
        for h in helps {
            for line in h.lines() {
                out.push_str("          ");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
