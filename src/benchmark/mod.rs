//! Benchmarks: their specifications and the data layouts they read.

pub mod spec;
