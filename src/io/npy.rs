//! NumPy `.npy` reading and writing (format versions 1-3, both byte orders, C and Fortran order),
//! on top of the `npyz` crate.
//!
//! Reading is defensive: the header is parsed first, the element count it claims is checked
//! against the bytes actually present before anything is allocated from it, and non-finite
//! floats are rejected with the position of the first one.

use super::{atomic::write_atomic, mapped::FileBytes, IoError, Result};
use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD, IxDyn};
use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar, WriterBuilder};
use std::path::Path;

/// What a `.npy` header declares, without the data.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyInfo {
    /// Shape in C (row-major) terms, as numpy reports it.
    pub shape: Vec<usize>,
    /// The numpy dtype descriptor, e.g. `<f4`, `>f8`, `|O`.
    pub descr: String,
    /// Whether the data is stored in Fortran (column-major) order.
    pub fortran_order: bool,
    /// Byte offset at which the data starts.
    pub data_offset: usize,
}

/// Element types this reader can produce, with the stored dtypes each accepts.
pub trait Element: Copy + npyz::Deserialize + npyz::AutoSerialize + Send + Sync + 'static {
    /// Human description of what is accepted, used in error messages.
    const ACCEPTS: &'static str;
    /// Whether a stored `(type char, byte size)` can be read as `Self` without loss.
    fn accepts(kind: TypeChar, size: u64) -> bool;
    /// `false` for NaN or infinity (always `true` for integers).
    fn is_finite(self) -> bool;
    /// Reads the data of an accepted dtype of `size` bytes, widening integers.
    fn read_vec(npy: NpyFile<&[u8]>, size: u64) -> std::io::Result<Vec<Self>> {
        let _ = size;
        npy.into_vec()
    }
}

fn widen<S: npyz::Deserialize + Into<T>, T>(npy: NpyFile<&[u8]>) -> std::io::Result<Vec<T>> {
    Ok(npy.into_vec::<S>()?.into_iter().map(Into::into).collect())
}

impl Element for f32 {
    const ACCEPTS: &'static str = "float32 ('<f4' or '>f4')";
    fn accepts(kind: TypeChar, size: u64) -> bool {
        kind == TypeChar::Float && size == 4
    }
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
}

impl Element for f64 {
    const ACCEPTS: &'static str = "float64 ('<f8' or '>f8')";
    fn accepts(kind: TypeChar, size: u64) -> bool {
        kind == TypeChar::Float && size == 8
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

impl Element for i64 {
    const ACCEPTS: &'static str = "a signed integer type (int8 .. int64)";
    fn accepts(kind: TypeChar, size: u64) -> bool {
        kind == TypeChar::Int && matches!(size, 1 | 2 | 4 | 8)
    }
    fn is_finite(self) -> bool {
        true
    }
    fn read_vec(npy: NpyFile<&[u8]>, size: u64) -> std::io::Result<Vec<Self>> {
        match size {
            1 => widen::<i8, i64>(npy),
            2 => widen::<i16, i64>(npy),
            4 => widen::<i32, i64>(npy),
            _ => npy.into_vec(),
        }
    }
}

impl Element for i32 {
    const ACCEPTS: &'static str = "a signed integer type of at most 32 bits";
    fn accepts(kind: TypeChar, size: u64) -> bool {
        kind == TypeChar::Int && matches!(size, 1 | 2 | 4)
    }
    fn is_finite(self) -> bool {
        true
    }
    fn read_vec(npy: NpyFile<&[u8]>, size: u64) -> std::io::Result<Vec<Self>> {
        match size {
            1 => widen::<i8, i32>(npy),
            2 => widen::<i16, i32>(npy),
            _ => npy.into_vec(),
        }
    }
}

fn header_error(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::format(
        path,
        format!("not a valid .npy file: {e}"),
        "write the array with numpy.save (the file must start with the magic bytes \\x93NUMPY)",
    )
}

/// Parses the header of an in-memory `.npy` file (the whole file). `path` only labels errors.
pub fn parse_info(bytes: &[u8], path: &Path) -> Result<NpyInfo> {
    parse_header(bytes, bytes.len() as u64, path).map(|(info, _)| info)
}

/// Parses the header at the start of `bytes`, a file of `file_len` bytes (`bytes` may hold only
/// its beginning), and checks that the data the header declares is exactly what the file holds.
fn parse_header(bytes: &[u8], file_len: u64, path: &Path) -> Result<(NpyInfo, NpyHeader)> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(IoError::format(
            path,
            format!(
                "wrong magic number: expected the 6 bytes \\x93NUMPY, found {:?} ({} bytes in the file)",
                String::from_utf8_lossy(&bytes[..bytes.len().min(6)]),
                bytes.len()
            ),
            "write the array with numpy.save; a renamed .npz, .mat or text file is not a .npy file",
        ));
    }
    let dict = header_dict(bytes);
    check_header_nesting(dict, path)?;
    check_shape(dict, path)?;
    let mut cursor = bytes;
    let header = NpyHeader::from_reader(&mut cursor).map_err(|e| header_error(path, e))?;
    let data_offset = bytes.len() - cursor.len();
    let shape = header
        .shape()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| header_error(path, "dimension too large")))
        .collect::<Result<Vec<_>>>()?;
    let info = NpyInfo {
        shape,
        descr: header.dtype().descr().trim_matches('\'').to_string(),
        fortran_order: header.order() == Order::Fortran,
        data_offset,
    };
    // A pickled (object) array's data is a pickle, not `count x item size` bytes.
    if !header.dtype().uses_pickled_array() {
        check_data_size(
            &info,
            &header,
            file_len.saturating_sub(data_offset as u64),
            path,
        )?;
    }
    Ok((info, header))
}

/// The header dict's text (possibly cut short by the end of `bytes`), as the format version's
/// length field delimits it. `bytes` starts with the magic and holds at least 10 bytes.
fn header_dict(bytes: &[u8]) -> &[u8] {
    let (start, len) = match (bytes[6], bytes.get(8..12)) {
        (1, _) => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        (_, Some(l)) => (12, u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize),
        _ => return &[], // too short: the header parser says so
    };
    &bytes[start.min(bytes.len())..start.saturating_add(len).min(bytes.len())]
}

/// Deepest nesting of brackets accepted in a header dict. `npyz`'s header parser backtracks
/// exponentially on unclosed brackets (8 levels took seconds, found by fuzzing); a plain array's
/// header nests 2 deep (`{'shape': (2, 3), ...}`), a simple structured dtype's 4.
const MAX_HEADER_NESTING: usize = 4;

/// Refuses a header dict that nests brackets deeper than [`MAX_HEADER_NESTING`], before it is
/// parsed.
fn check_header_nesting(dict: &[u8], path: &Path) -> Result<()> {
    let mut depth = 0usize;
    for &b in dict {
        match b {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => continue,
        }
        if depth > MAX_HEADER_NESTING {
            return Err(IoError::format(
                path,
                format!(
                    "not a valid .npy file: the header nests brackets deeper than {MAX_HEADER_NESTING} levels"
                ),
                "write a plain numeric array with numpy.save (the header is a flat dict like {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), })",
            ));
        }
    }
    Ok(())
}

/// Refuses a header whose shape has more elements than any array can (`isize::MAX`), before
/// `npyz` sees it: `npyz` 0.9 multiplies the dimensions, and their prefixes for the strides,
/// unchecked, which panics with overflow checks and wraps without (found by fuzzing). The product
/// of the non-zero dimensions bounds every such partial product, zero-sized arrays included.
///
/// The dict is read with `py_literal`, the parser `npyz` itself uses, so the shape checked is the
/// shape `npyz` will read (every `'shape'` entry is checked, whichever one `npyz` keeps). A dict
/// that does not parse, or a dimension that is not a non-negative 64-bit integer, is left to
/// `npyz`, which refuses it with an error before multiplying.
fn check_shape(dict: &[u8], path: &Path) -> Result<()> {
    let text = dict.strip_suffix(b"\n").unwrap_or(dict);
    let Some(py_literal::Value::Dict(entries)) = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<py_literal::Value>().ok())
    else {
        return Ok(());
    };
    for (key, value) in &entries {
        let (Some("shape"), Some(dims)) = (
            key.as_string().map(String::as_str),
            value.as_tuple().or_else(|| value.as_list()),
        ) else {
            continue;
        };
        let Some(dims) = dims
            .iter()
            .map(|d| d.as_integer().and_then(|i| u64::try_from(i).ok()))
            .collect::<Option<Vec<u64>>>()
        else {
            continue;
        };
        let count = dims
            .iter()
            .filter(|&&d| d != 0)
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .filter(|&c| c <= isize::MAX as u64);
        if count.is_none() {
            return Err(IoError::format(
                path,
                format!(
                    "not a valid .npy file: expected a shape of at most {} elements, found shape {dims:?}, whose element count overflows",
                    isize::MAX
                ),
                "the header is damaged: save the array again with numpy.save, or copy or download the file again",
            ));
        }
    }
    Ok(())
}

/// Checks that the data bytes the header declares (shape x item size) are exactly the
/// `present` bytes after the header, before anything is allocated from the shape.
fn check_data_size(info: &NpyInfo, header: &NpyHeader, present: u64, path: &Path) -> Result<()> {
    let needed = header.dtype().num_bytes().and_then(|size| {
        info.shape
            .iter()
            .try_fold(size, |acc, &d| acc.checked_mul(d))
            .filter(|&n| n <= isize::MAX as usize)
    });
    let Some(needed) = needed else {
        return Err(IoError::format(
            path,
            format!(
                "not a valid .npy file: expected at most {} data bytes, found shape {:?} of '{}', whose byte size overflows",
                isize::MAX,
                info.shape,
                info.descr
            ),
            "the header is damaged: save the array again with numpy.save, or copy or download the file again",
        ));
    };
    if present != needed as u64 {
        return Err(IoError::format(
            path,
            format!(
                "the header declares shape {:?} of '{}' ({needed} data bytes) but the file holds {present} data bytes",
                info.shape, info.descr
            ),
            if present < needed as u64 {
                "the file is truncated: copy or download it again"
            } else {
                "the file has trailing bytes after the array: re-save it with numpy.save"
            },
        ));
    }
    Ok(())
}

/// Largest header [`read_info`] reads (numpy writes headers of a few hundred bytes).
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// Reads only the header of the `.npy` file at `path`, without reading its data: layout
/// discovery calls this for every fMRI file, which can be tens of megabytes each.
pub fn read_info(path: &Path) -> Result<NpyInfo> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| IoError::os(path, e))?;
    let file_len = file.metadata().map_err(|e| IoError::os(path, e))?.len();
    let mut head = Vec::new();
    file.take(MAX_HEADER_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| IoError::os(path, e))?;
    parse_header(&head, file_len, path).map(|(info, _)| info)
}

/// Reads the `.npy` file at `path` as an array of `T`, rejecting other dtypes and non-finite values.
pub fn read<T: Element>(path: &Path) -> Result<ArrayD<T>> {
    from_bytes(&FileBytes::open(path)?, path)
}

/// Like [`read`], for a `.npy` file already in memory (e.g. a zip member); `path` labels errors.
pub fn from_bytes<T: Element>(bytes: &[u8], path: &Path) -> Result<ArrayD<T>> {
    let (info, header, size) = checked_header::<T>(bytes, path)?;
    let data: Vec<T> = T::read_vec(
        NpyFile::with_header(header, &bytes[info.data_offset..]),
        size,
    )
    .map_err(|e| header_error(path, e))?;
    check_finite(&data, &info, path)?;
    let array = if info.fortran_order {
        let reversed: Vec<usize> = info.shape.iter().rev().copied().collect();
        ArrayD::from_shape_vec(IxDyn(&reversed), data)
            .map_err(|e| header_error(path, e))?
            .reversed_axes()
            .as_standard_layout()
            .into_owned()
    } else {
        ArrayD::from_shape_vec(IxDyn(&info.shape), data).map_err(|e| header_error(path, e))?
    };
    Ok(array)
}

/// Parses the header (which checks that the data bytes present are exactly what the shape
/// declares) and checks that the dtype is one `T` accepts. Returns the header and the stored
/// element size.
fn checked_header<T: Element>(bytes: &[u8], path: &Path) -> Result<(NpyInfo, NpyHeader, u64)> {
    let (info, header) = parse_header(bytes, bytes.len() as u64, path)?;
    let (kind, size) = match header.dtype() {
        DType::Plain(ts) => (ts.type_char(), ts.size_field()),
        other => {
            return Err(IoError::format(
                path,
                format!(
                    "expected {}, found the structured dtype {}",
                    T::ACCEPTS,
                    other.descr()
                ),
                "save a plain numeric array (arr.astype(...)) rather than a record array",
            ))
        }
    };
    if !T::accepts(kind, size) {
        return Err(IoError::format(
            path,
            format!("expected {}, found dtype '{}'", T::ACCEPTS, info.descr),
            hint_for_dtype(&info.descr),
        ));
    }
    Ok((info, header, size))
}

/// Values checked per block by [`check_finite`]: a block is tested without an early exit (so
/// the test vectorises) and only a block holding a non-finite value is searched.
const FINITE_BLOCK: usize = 4096;

/// Rejects NaN and infinity anywhere in `data`, naming the first one's flat index.
fn check_finite<T: Element>(data: &[T], info: &NpyInfo, path: &Path) -> Result<()> {
    let Some(block) = data
        .chunks(FINITE_BLOCK)
        .position(|c| !c.iter().fold(true, |ok, v| ok & v.is_finite()))
    else {
        return Ok(());
    };
    let i = block * FINITE_BLOCK
        + data[block * FINITE_BLOCK..]
            .iter()
            .position(|v| !v.is_finite())
            .expect("the block holds a non-finite value");
    let bad = data.iter().filter(|v| !v.is_finite()).count();
    Err(IoError::format(
        path,
        format!(
            "{bad} non-finite value(s) (NaN or Inf); the first at flat index {i} of shape {:?}",
            info.shape
        ),
        "replace NaN/Inf before saving (e.g. numpy.nan_to_num), or fix the model producing them",
    ))
}

/// A 2-D float32 array read from a `.npy` file. When the file is little-endian float32 in C
/// order and its data is 4-byte aligned in memory (numpy pads headers to 64 bytes, so every file
/// numpy writes is), the matrix is a view into the file's (memory-mapped) bytes: no copy and no
/// second allocation. Other files are converted into an owned array.
#[derive(Clone)]
pub struct F32Matrix {
    storage: MatrixStorage,
    dim: (usize, usize),
}

#[derive(Clone)]
enum MatrixStorage {
    Owned(Array2<f32>),
    InFile { bytes: FileBytes, offset: usize },
}

impl F32Matrix {
    /// Parses `bytes` as a 2-D float32 `.npy` file, with every check [`from_bytes`] makes (dtype,
    /// size against the header, every value finite); `path` labels errors.
    pub fn from_file_bytes(bytes: &FileBytes, path: &Path) -> Result<Self> {
        let (info, header, _) = checked_header::<f32>(bytes, path)?;
        let [rows, cols] = info.shape[..] else {
            return Err(IoError::format(
                path,
                format!(
                    "expected a 2-D array (rows, columns), found shape {:?}",
                    info.shape
                ),
                "save a 2-D array with numpy.save",
            ));
        };
        let little = header.dtype().descr().contains('<') == cfg!(target_endian = "little");
        let data = &bytes[info.data_offset..];
        match bytemuck::try_cast_slice::<u8, f32>(data) {
            Ok(values) if little && !info.fortran_order => {
                check_finite(values, &info, path)?;
                Ok(F32Matrix {
                    storage: MatrixStorage::InFile {
                        bytes: bytes.clone(),
                        offset: info.data_offset,
                    },
                    dim: (rows, cols),
                })
            }
            _ => {
                let owned = from_bytes::<f32>(bytes, path)?
                    .into_dimensionality::<ndarray::Ix2>()
                    .expect("2-D shape checked");
                Ok(owned.into())
            }
        }
    }

    /// (rows, columns).
    pub fn dim(&self) -> (usize, usize) {
        self.dim
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.dim.0
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.dim.1
    }

    /// The values, row-major.
    pub fn view(&self) -> ArrayView2<'_, f32> {
        match &self.storage {
            MatrixStorage::Owned(a) => a.view(),
            MatrixStorage::InFile { bytes, offset } => {
                let values: &[f32] = bytemuck::cast_slice(&bytes[*offset..]);
                ArrayView2::from_shape(self.dim, values).expect("size checked when parsed")
            }
        }
    }
}

impl From<Array2<f32>> for F32Matrix {
    fn from(a: Array2<f32>) -> Self {
        F32Matrix {
            dim: a.dim(),
            storage: MatrixStorage::Owned(a),
        }
    }
}

impl PartialEq for F32Matrix {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl std::fmt::Debug for F32Matrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("F32Matrix")
            .field("dim", &self.dim)
            .field("values", &self.view())
            .finish()
    }
}

fn hint_for_dtype(descr: &str) -> &'static str {
    match descr.get(1..) {
        Some("f2") => "float16 loses precision: save with arr.astype(numpy.float32)",
        Some("O") => "object arrays (pickles) are not accepted here: save a numeric array",
        Some(d) if d.starts_with('i') || d.starts_with('u') => {
            "integer predictions are not accepted: save with arr.astype(numpy.float32)"
        }
        _ => "convert with arr.astype(numpy.float32) before numpy.save",
    }
}

/// A version-1 `.npy` file: the header dict text (e.g. `{'descr': '<f4', ...}`), padded as numpy
/// pads it, followed by `payload`. For payloads `npyz` cannot write (numpy-pickled objects).
pub(crate) fn with_header(dict: &str, payload: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// Serialises `array` as a version-1 little-endian C-order `.npy` file in memory.
pub fn to_bytes<T: Element>(array: ArrayViewD<'_, T>) -> Vec<u8> {
    let shape: Vec<u64> = array.shape().iter().map(|&d| d as u64).collect();
    let mut out = Vec::with_capacity(128 + array.len() * std::mem::size_of::<T>());
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&shape)
        .writer(&mut out)
        .begin_nd()
        .expect("writing to memory cannot fail");
    writer
        .extend(array.iter().copied())
        .expect("writing to memory cannot fail");
    writer.finish().expect("writing to memory cannot fail");
    out
}

/// Writes `array` to `path` atomically as a `.npy` file.
pub fn write<T: Element>(path: &Path, array: ArrayViewD<'_, T>) -> Result<()> {
    write_atomic(path, &to_bytes(array))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn p() -> &'static Path {
        Path::new("test.npy")
    }

    #[test]
    fn round_trip_f32() {
        let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.5]].into_dyn();
        let back: ArrayD<f32> = from_bytes(&to_bytes(a.view()), p()).unwrap();
        assert_eq!(a, back);
    }

    #[test]
    fn rejects_wrong_dtype_with_hint() {
        let a = array![[1.0f64, 2.0]].into_dyn();
        let err = from_bytes::<f32>(&to_bytes(a.view()), p())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected float32") && err.contains("'<f8'"),
            "{err}"
        );
    }

    #[test]
    fn rejects_truncated_file() {
        let a = array![[1.0f32, 2.0], [3.0, 4.0]].into_dyn();
        let bytes = to_bytes(a.view());
        let err = from_bytes::<f32>(&bytes[..bytes.len() - 3], p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn rejects_bad_magic() {
        let err = from_bytes::<f32>(b"PK\x03\x04garbagegarbage", p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("magic"), "{err}");
    }

    #[test]
    fn rejects_nan_with_position() {
        let a = array![[1.0f32, f32::NAN]].into_dyn();
        let err = from_bytes::<f32>(&to_bytes(a.view()), p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("flat index 1"), "{err}");
    }

    #[test]
    fn huge_declared_shape_is_rejected_before_allocation() {
        let bytes = with_header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999999,), }",
            &[0u8; 4],
        );
        let err = from_bytes::<f32>(&bytes, p()).unwrap_err().to_string();
        assert!(
            err.contains("truncated") && err.contains("39999999999996"),
            "{err}"
        );
    }

    #[test]
    fn matrix_views_aligned_files_and_copies_others() {
        let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.5, 6.0]];
        let bytes = FileBytes::from(to_bytes(a.view().into_dyn()));
        let m = F32Matrix::from_file_bytes(&bytes, p()).unwrap();
        assert_eq!(m.view(), a.view());
        assert!(matches!(m.storage, MatrixStorage::InFile { .. }));
        // Big-endian Fortran order: converted.
        let payload: Vec<u8> = [1.0f32, 4.0, 2.0, 5.5, 3.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let be = FileBytes::from(with_header(
            "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }",
            &payload,
        ));
        let m = F32Matrix::from_file_bytes(&be, p()).unwrap();
        assert_eq!(m.view(), a.view());
    }

    #[test]
    fn matrix_rejects_nan_truncation_and_wrong_rank() {
        let mut a = Array2::<f32>::zeros((3, 5000));
        a[[2, 4999]] = f32::INFINITY;
        let bytes = to_bytes(a.view().into_dyn());
        let err = F32Matrix::from_file_bytes(&bytes.clone().into(), p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("flat index 14999"), "{err}");
        let err = F32Matrix::from_file_bytes(&bytes[..bytes.len() - 4].to_vec().into(), p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
        let v = array![1.0f32, 2.0].into_dyn();
        let err = F32Matrix::from_file_bytes(&to_bytes(v.view()).into(), p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("2-D"), "{err}");
    }

    #[test]
    fn reads_big_endian_fortran_order() {
        // 2x3 array [[1,2,3],[4,5,6]] stored column-major, big-endian float64.
        let payload: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let bytes = with_header(
            "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }",
            &payload,
        );
        let a: ArrayD<f64> = from_bytes(&bytes, p()).unwrap();
        assert_eq!(a, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].into_dyn());
    }
}
