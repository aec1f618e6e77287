//! Layers of scopes: a TOML file (read with the `toml` crate), then `-D key=value` from the
//! command line, then a scope set in code; `--help` lists every parameter the program reads.
//!
//! ```sh
//! cargo run -p hyperparameter@0.7.0 --example layered -- -D example.param1=cli
//! cargo run -p hyperparameter@0.7.0 --example layered -- --help
//! ```

use std::path::PathBuf;

use clap::Parser;
use hyperparameter::*;

#[derive(Parser)]
#[command(after_long_help = generate_params_help())]
struct Args {
    /// Sets a parameter: `-D key=value` (repeatable; the last one of a key wins).
    #[arg(short = 'D', long)]
    define: Vec<String>,

    /// A TOML file of parameters.
    #[arg(short = 'C', long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cfg.toml"))]
    config: PathBuf,
}

fn report(layer: &str) {
    with_params! {
        /// an example parameter, set by every layer
        get param1 = example.param1 or "default".to_string();
        let param2 = get_param!(example.param2, 1, "an int from the file, or -D");
        println!("param1={param1} param2={param2} // {layer}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let file: toml::Value = toml::from_str(&std::fs::read_to_string(&args.config)?)?;
    report("no scope");
    with_params! {
        params ParamScope::from_serde(&file)?;
        report("config file");
        with_params! {
            params ParamScope::parse(&args.define)?;
            report("command line");
            with_params! {
                @set example.param1 = "scoped";
                report("set in code");
            }
        }
    }
    Ok(())
}
