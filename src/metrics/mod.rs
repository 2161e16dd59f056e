//! Metrics: pure numerical kernels over slices and ndarray views; no file access.
