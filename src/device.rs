//! Where models run: `--device auto|cpu|cuda` resolved to a candle [`Device`].
//!
//! `auto` uses the first GPU when candle can open one and the CPU otherwise; `cuda` insists on the
//! GPU and says exactly why it cannot have it: this build lacks the `cuda` cargo feature, or the
//! build has it but no GPU could be opened (no driver, no device). Both are the user's to fix
//! (exit 2). A `cuda` build links the driver library `libcuda.so.1`, so it starts only where an
//! NVIDIA driver is installed; see `scripts/build-cuda.sh`.

use candle_core::Device;
use serde::Serialize;
use std::str::FromStr;

/// The `--device` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// A GPU where candle sees one, else the CPU.
    #[default]
    Auto,
    /// The CPU.
    Cpu,
    /// The first CUDA GPU, or an error.
    Cuda,
}

impl FromStr for DeviceChoice {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, DeviceError> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            other => Err(DeviceError::Unknown(other.to_string())),
        }
    }
}

/// Why the asked-for device cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DeviceError {
    /// Not one of the choices.
    #[error("unknown device '{0}'\n  hint: use --device auto, cpu or cuda")]
    Unknown(String),
    /// `cuda` asked of a binary built without the feature.
    #[error("--device cuda: this bench was built without the `cuda` feature\n  hint: build with `cargo build --release --features cuda` (scripts/build-cuda.sh builds it without a system CUDA), or use --device cpu")]
    NotBuilt,
    /// `cuda` asked, the feature is there, but no GPU could be opened.
    #[error("--device cuda: this bench has the `cuda` feature but found no usable GPU: {0}\n  hint: check `nvidia-smi` and that LD_LIBRARY_PATH holds the CUDA 13 libraries, or use --device cpu")]
    NoGpu(String),
}

impl DeviceError {
    /// The exit status: always the user's to fix (2).
    pub fn exit_status(&self) -> crate::ExitStatus {
        crate::ExitStatus::InvalidInput
    }
}

/// Whether this binary was built with the `cuda` feature.
pub const CUDA_BUILT: bool = cfg!(feature = "cuda");

/// Resolves `choice` to a device, opening GPU 0 when it is asked for or `auto`.
pub fn resolve(choice: DeviceChoice) -> Result<Device, DeviceError> {
    resolve_with(choice, CUDA_BUILT, || {
        Device::new_cuda(0).map_err(|e| e.to_string())
    })
}

/// [`resolve`] with the build's capability and the GPU probe given, so that every branch is
/// testable on a machine without a GPU. `open_gpu` is called only when a GPU is wanted and built.
fn resolve_with(
    choice: DeviceChoice,
    built: bool,
    open_gpu: impl FnOnce() -> Result<Device, String>,
) -> Result<Device, DeviceError> {
    match (choice, built) {
        (DeviceChoice::Cpu, _) | (DeviceChoice::Auto, false) => Ok(Device::Cpu),
        (DeviceChoice::Cuda, false) => Err(DeviceError::NotBuilt),
        (DeviceChoice::Cuda, true) => open_gpu().map_err(DeviceError::NoGpu),
        (DeviceChoice::Auto, true) => Ok(open_gpu().unwrap_or(Device::Cpu)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_gpu() -> Result<Device, String> {
        Err("CUDA_ERROR_NO_DEVICE".into())
    }

    /// A probe that must not be reached.
    fn unreachable_probe() -> Result<Device, String> {
        panic!("the GPU was probed although it was not wanted")
    }

    #[test]
    fn cuda_without_the_feature_names_the_feature() {
        let err = resolve_with(DeviceChoice::Cuda, false, unreachable_probe).unwrap_err();
        assert_eq!(err, DeviceError::NotBuilt);
        let text = err.to_string();
        assert!(text.contains("without the `cuda` feature"), "{text}");
        assert_eq!(err.exit_status(), crate::ExitStatus::InvalidInput);
    }

    #[test]
    fn cuda_without_a_gpu_says_so_with_the_driver_reason() {
        let err = resolve_with(DeviceChoice::Cuda, true, no_gpu).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("found no usable GPU") && text.contains("CUDA_ERROR_NO_DEVICE"),
            "{text}"
        );
        assert_eq!(err.exit_status(), crate::ExitStatus::InvalidInput);
    }

    #[test]
    fn auto_falls_back_to_the_cpu_and_cpu_never_probes() {
        assert!(resolve_with(DeviceChoice::Auto, true, no_gpu)
            .unwrap()
            .is_cpu());
        assert!(resolve_with(DeviceChoice::Auto, false, unreachable_probe)
            .unwrap()
            .is_cpu());
        assert!(resolve_with(DeviceChoice::Cpu, true, unreachable_probe)
            .unwrap()
            .is_cpu());
    }

    #[test]
    fn parsing_accepts_the_three_names_only() {
        assert_eq!("auto".parse(), Ok(DeviceChoice::Auto));
        assert_eq!("cpu".parse(), Ok(DeviceChoice::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda));
        let err = "gpu".parse::<DeviceChoice>().unwrap_err().to_string();
        assert!(err.contains("auto, cpu or cuda"), "{err}");
    }

    #[test]
    fn this_build_reports_its_feature() {
        // Without the feature `cuda` must fail whatever the machine; with it, whether it opens
        // depends on the machine, so only the error's kind is fixed.
        let result = resolve(DeviceChoice::Cuda);
        let not_built = matches!(result, Err(DeviceError::NotBuilt));
        let no_gpu_or_gpu = matches!(result, Err(DeviceError::NoGpu(_)) | Ok(_));
        assert_eq!(
            (not_built, no_gpu_or_gpu),
            (!CUDA_BUILT, CUDA_BUILT),
            "{result:?}"
        );
    }
}
