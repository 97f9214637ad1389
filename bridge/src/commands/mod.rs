//! One module per subcommand.

pub mod export;
pub mod loadgen;
pub mod run;
pub mod search;
pub mod translate;
pub mod validate;
