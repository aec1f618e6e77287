//! The minimal example of the 0.5.13 crate's README, unchanged: it compiles against this
//! crate with only the dependency changed.
//!
//! ```sh
//! cargo run -p hyperparameter@0.7.0 --example clap_mini -- -D example.param2=true
//! ```
use clap::Parser;
use hyperparameter::*;

#[derive(Parser)]
#[command(after_long_help=generate_params_help())]
struct CommandLineArgs {
    /// Specifies parameters in the format `-D key=value` on the command line
    #[arg(short = 'D', long)]
    define: Vec<String>,
}

fn main() {
    let args = CommandLineArgs::parse();
    with_params! {
        params ParamScope::from(&args.define); // Receives all parameters from the command line

        // Retrieves the parameter `example.param1`, using a default value of `1` if not specified.
        println!("param1={}", get_param!(example.param1, 1));
        // Retrieves the parameter `example.param2`, displaying help information when `<app> --help` is executed.
        println!("param2={}", get_param!(example.param2, false, "help for example.param2"));
    }
}
