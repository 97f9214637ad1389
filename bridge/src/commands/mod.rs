//! One module per subcommand.

pub mod loadgen;
pub mod run;
pub mod translate;
pub mod validate;
