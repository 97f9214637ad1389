//! Thrift compact and binary protocols: a bounded reader and a writer. Placeholder.
