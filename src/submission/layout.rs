//! The official file names of a submission, spelled once (SCIENCE.md §1 and §2). Parsing,
//! validation messages and the writer all take them from here.

/// The prediction file of one subject and hemisphere (Algonauts 2023):
/// `subjNN/{lh,rh}_pred_test.npy`, float32, (test images, vertices).
pub fn encoding_file(subject: &str, hemisphere: &str) -> String {
    format!("{subject}/{hemisphere}_pred_test.npy")
}

/// The MATLAB file of an RSA submission (Algonauts 2019), holding one variable per target.
pub const RSA_MAT_FILE: &str = "submit_fmri.mat";

/// The variable of a target's RDM inside [`RSA_MAT_FILE`]: `<ROI>_RDMs`.
pub fn rsa_variable(target: &str) -> String {
    format!("{target}_RDMs")
}

/// The `.npy` alternative to [`RSA_MAT_FILE`], one file per target: `<ROI>_RDMs.npy`, float64.
pub fn rsa_npy_file(target: &str) -> String {
    format!("{}.npy", rsa_variable(target))
}
