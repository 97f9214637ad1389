//! One module per subcommand.

pub mod run;
pub mod translate;
pub mod validate;
