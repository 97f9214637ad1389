//! The `otelbridge` command line. Placeholder.

fn main() {
    println!("otelbridge {}", env!("CARGO_PKG_VERSION"));
}
