//! Benchmarks: their specifications and the data layouts they read.

pub mod algonauts2019;
pub mod algonauts2023;
pub mod spec;
pub mod synth;
