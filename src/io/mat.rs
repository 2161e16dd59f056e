//! MATLAB `.mat` files as the Algonauts challenges distribute them: version 5 (the classic
//! format; numeric, char, struct and cell arrays, compressed or not, either byte order) and
//! version 7.3 (HDF5 with a 512-byte MATLAB user block, read with the pure-Rust `hdf5-reader`).
//!
//! Numeric arrays come back as `ArrayD<f64>` with MATLAB's shape and C-order indexing, so
//! `a[[i, j, k]]` is MATLAB's `A(i+1, j+1, k+1)` whatever the version: v5 stores column-major
//! data (converted here), v7.3 datasets list their dimensions reversed (HDF5 shows a MATLAB
//! 15 x 92 x 92 array as 92 x 92 x 15; the axes are reversed here).
//!
//! Every declared length is checked against the bytes that remain, and decompression is capped,
//! so a damaged or hostile file gives an error naming the file, never a panic or a huge allocation.

use super::{IoError, Result};
use flate2::read::ZlibDecoder;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest total a v5 file may decompress to (a zip-bomb guard): 2 GiB.
pub const MAX_DECOMPRESSED: usize = 2 << 30;

/// Which container format a `.mat` file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatVersion {
    /// Level 5 MAT-file (MATLAB v5 to v7).
    V5,
    /// HDF5-based MAT-file (MATLAB v7.3).
    V73,
}

/// One MATLAB value.
#[derive(Debug, Clone, PartialEq)]
pub enum MatValue {
    /// A real numeric or logical array, as f64, MATLAB shape, C-order indexing.
    Numeric(ArrayD<f64>),
    /// A char array, as text (rows concatenated).
    Char(String),
    /// A struct array: field names in file order, and per element (column-major order) the
    /// value of every field.
    Struct {
        /// MATLAB dimensions of the struct array.
        dims: Vec<usize>,
        /// Field names.
        fields: Vec<String>,
        /// `elements[e][f]` is field `f` of element `e`.
        elements: Vec<Vec<MatValue>>,
    },
    /// A cell array: dimensions and items in column-major order.
    Cell {
        /// MATLAB dimensions.
        dims: Vec<usize>,
        /// The items.
        items: Vec<MatValue>,
    },
    /// Anything else (sparse, complex, objects, function handles): named, not decoded.
    Unsupported(String),
}

impl MatValue {
    /// The field `name` of element `index` of a struct array.
    pub fn field(&self, index: usize, name: &str) -> Option<&MatValue> {
        match self {
            MatValue::Struct {
                fields, elements, ..
            } => {
                let f = fields.iter().position(|n| n == name)?;
                elements.get(index)?.get(f)
            }
            _ => None,
        }
    }

    fn kind(&self) -> String {
        match self {
            MatValue::Numeric(a) => format!("a numeric array of shape {:?}", a.shape()),
            MatValue::Char(_) => "a char array".into(),
            MatValue::Struct { .. } => "a struct".into(),
            MatValue::Cell { .. } => "a cell array".into(),
            MatValue::Unsupported(what) => format!("an unsupported value ({what})"),
        }
    }
}

/// The variables of one `.mat` file.
#[derive(Debug, Clone, PartialEq)]
pub struct MatFile {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// Container version.
    pub version: MatVersion,
    /// Variables by name.
    pub variables: BTreeMap<String, MatValue>,
}

impl MatFile {
    /// The variable `name`, or an error listing the variables the file does hold.
    pub fn get(&self, name: &str) -> Result<&MatValue> {
        self.variables.get(name).ok_or_else(|| {
            IoError::format(
                &self.path,
                format!(
                    "no variable '{name}'; the file holds: {}",
                    self.variables
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!("save the data under the name {name}"),
            )
        })
    }

    /// The numeric variable `name`.
    pub fn numeric(&self, name: &str) -> Result<&ArrayD<f64>> {
        match self.get(name)? {
            MatValue::Numeric(a) => Ok(a),
            other => Err(IoError::format(
                &self.path,
                format!(
                    "variable '{name}' is {}, expected a real numeric array",
                    other.kind()
                ),
                format!("store {name} as a real double matrix"),
            )),
        }
    }
}

/// Reads the `.mat` file at `path`.
pub fn read_mat(path: &Path) -> Result<MatFile> {
    let bytes = std::fs::read(path).map_err(|e| IoError::os(path, e))?;
    from_bytes(&bytes, path)
}

/// Parses a `.mat` file already in memory; `path` labels errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<MatFile> {
    const HDF5_MAGIC: &[u8] = b"\x89HDF\r\n\x1a\n";
    let is_hdf5 =
        bytes.starts_with(HDF5_MAGIC) || (bytes.len() > 520 && &bytes[512..520] == HDF5_MAGIC);
    let (version, variables) = if is_hdf5 {
        (MatVersion::V73, v73::read(bytes, path)?)
    } else if bytes.len() >= 128 && bytes.starts_with(b"MATLAB 5.0 MAT-file") {
        (MatVersion::V5, v5::read(bytes, path)?)
    } else {
        return Err(IoError::format(
            path,
            format!(
                "not a MATLAB .mat file: expected the header 'MATLAB 5.0 MAT-file' (v5) or an HDF5 signature (v7.3), found {:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(19)])
            ),
            "save with MATLAB `save` (-v7 or -v7.3) or scipy.io.savemat; MATLAB v4 files are not supported",
        ));
    };
    Ok(MatFile {
        path: path.to_path_buf(),
        version,
        variables,
    })
}

/// A column-major buffer of MATLAB shape `dims` as a C-order-indexed array of that shape.
fn from_column_major(dims: &[usize], data: Vec<f64>, path: &Path) -> Result<ArrayD<f64>> {
    let array = ArrayD::from_shape_vec(IxDyn(dims).f(), data).map_err(|e| {
        IoError::format(
            path,
            format!("array data does not match its dimensions {dims:?}: {e}"),
            "the file is damaged: save it again",
        )
    })?;
    Ok(array.as_standard_layout().into_owned())
}

mod v5 {
    //! Level 5 MAT-file parser (MathWorks, "MAT-File Format", 2021, chapter 1).
    use super::*;

    const MI_INT8: u32 = 1;
    const MI_UINT8: u32 = 2;
    const MI_INT16: u32 = 3;
    const MI_UINT16: u32 = 4;
    const MI_INT32: u32 = 5;
    const MI_UINT32: u32 = 6;
    const MI_SINGLE: u32 = 7;
    const MI_DOUBLE: u32 = 9;
    const MI_INT64: u32 = 12;
    const MI_UINT64: u32 = 13;
    const MI_MATRIX: u32 = 14;
    const MI_COMPRESSED: u32 = 15;
    const MI_UTF8: u32 = 16;
    const MI_UTF16: u32 = 17;

    const CLASS_CELL: u8 = 1;
    const CLASS_STRUCT: u8 = 2;
    const CLASS_CHAR: u8 = 4;

    /// Deepest nesting of elements read (a cell or struct in another, a compressed element, a
    /// variable in the file): each level is a recursion, and a 20 KiB compressed file nesting
    /// 10,000 cells overflowed a 2 MiB thread's stack. Files MATLAB and scipy write nest a few
    /// levels.
    const MAX_NESTING: usize = 64;

    struct Reader<'a> {
        bytes: &'a [u8],
        pos: usize,
        big_endian: bool,
        path: &'a Path,
        budget: &'a mut usize,
        /// How many elements enclose `bytes` (0 for the whole file).
        depth: usize,
    }

    fn damaged(path: &Path, what: String) -> IoError {
        IoError::format(
            path,
            what,
            "the file is truncated or damaged: save or download it again",
        )
    }

    impl<'a> Reader<'a> {
        fn u32_at(&self, at: usize) -> Result<u32> {
            let b: [u8; 4] = self
                .bytes
                .get(at..at + 4)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| {
                    damaged(self.path, format!("unexpected end of data at byte {at}"))
                })?;
            Ok(if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            })
        }

        /// Reads one data element: (type, payload).
        fn element(&mut self) -> Result<(u32, &'a [u8])> {
            let first = self.u32_at(self.pos)?;
            if first >> 16 != 0 {
                // Small data element: 2-byte length and 2-byte type packed in one word.
                let (ty, n) = (first & 0xffff, (first >> 16) as usize);
                if n > 4 {
                    return Err(damaged(
                        self.path,
                        format!("small data element claims {n} bytes (at most 4)"),
                    ));
                }
                let data = self
                    .bytes
                    .get(self.pos + 4..self.pos + 4 + n)
                    .ok_or_else(|| {
                        damaged(
                            self.path,
                            format!(
                            "a small data element at byte {} declares {n} bytes but only {} remain",
                            self.pos,
                            self.bytes.len().saturating_sub(self.pos + 4)
                        ),
                        )
                    })?;
                self.pos += 8;
                return Ok((ty, data));
            }
            let n = self.u32_at(self.pos + 4)? as usize;
            let start = self.pos + 8;
            let end = start
                .checked_add(n)
                .filter(|&e| e <= self.bytes.len())
                .ok_or_else(|| {
                    damaged(
                        self.path,
                        format!(
                            "a data element at byte {} declares {n} bytes but only {} remain",
                            self.pos,
                            self.bytes.len().saturating_sub(start)
                        ),
                    )
                })?;
            self.pos = if first == MI_COMPRESSED {
                end
            } else {
                (end + 7) & !7
            };
            Ok((first, &self.bytes[start..end]))
        }

        /// A reader of the payload `bytes` of an element, one level deeper than `self`.
        fn sub<'b>(&'b mut self, bytes: &'b [u8]) -> Result<Reader<'b>> {
            if self.depth >= MAX_NESTING {
                return Err(IoError::format(
                    self.path,
                    format!(
                        "expected cells, structs and compressed elements nested at most {MAX_NESTING} levels deep, found deeper nesting"
                    ),
                    "the file is damaged or was not written by MATLAB or scipy.io.savemat: save the variables again, nested less deeply",
                ));
            }
            Ok(Reader {
                bytes,
                pos: 0,
                big_endian: self.big_endian,
                path: self.path,
                budget: self.budget,
                depth: self.depth + 1,
            })
        }

        fn numbers(&self, ty: u32, data: &[u8]) -> Result<Vec<f64>> {
            let be = self.big_endian;
            macro_rules! conv {
                ($t:ty, $n:expr) => {
                    data.chunks_exact($n)
                        .map(|c| {
                            let a: [u8; $n] = c.try_into().expect("chunk size");
                            (if be {
                                <$t>::from_be_bytes(a)
                            } else {
                                <$t>::from_le_bytes(a)
                            }) as f64
                        })
                        .collect()
                };
            }
            Ok(match ty {
                MI_INT8 => data.iter().map(|&b| b as i8 as f64).collect(),
                MI_UINT8 | MI_UTF8 => data.iter().map(|&b| b as f64).collect(),
                MI_INT16 => conv!(i16, 2),
                MI_UINT16 | MI_UTF16 => conv!(u16, 2),
                MI_INT32 => conv!(i32, 4),
                MI_UINT32 => conv!(u32, 4),
                MI_SINGLE => conv!(f32, 4),
                MI_DOUBLE => conv!(f64, 8),
                MI_INT64 => conv!(i64, 8),
                MI_UINT64 => conv!(u64, 8),
                other => {
                    return Err(damaged(
                        self.path,
                        format!("unknown numeric data type {other}"),
                    ))
                }
            })
        }

        /// Parses a miMATRIX payload into (name, value).
        fn matrix(&mut self) -> Result<(String, MatValue)> {
            let (_, flags) = self.element()?;
            let flags = self.numbers(MI_UINT32, flags)?;
            let word = *flags
                .first()
                .ok_or_else(|| damaged(self.path, "array flags missing".into()))?
                as u32;
            let (class, complex) = ((word & 0xff) as u8, word & 0x0800 != 0);
            if class == 5 {
                return Ok((String::new(), MatValue::Unsupported("sparse array".into())));
            }
            let (ty, dims) = self.element()?;
            let dims: Vec<usize> = self
                .numbers(ty, dims)?
                .into_iter()
                .map(|d| d.max(0.0) as usize)
                .collect();
            let (_, name) = self.element()?;
            let name = String::from_utf8_lossy(name).into_owned();
            let count = dims
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .ok_or_else(|| damaged(self.path, format!("dimensions {dims:?} overflow")))?;
            let value = match class {
                CLASS_STRUCT => {
                    let (ty, len) = self.element()?;
                    let len = *self.numbers(ty, len)?.first().unwrap_or(&0.0) as usize;
                    let (_, names) = self.element()?;
                    let fields: Vec<String> = if len == 0 {
                        Vec::new()
                    } else {
                        names
                            .chunks(len)
                            .map(|c| {
                                String::from_utf8_lossy(c)
                                    .trim_end_matches('\0')
                                    .to_string()
                            })
                            .collect()
                    };
                    // Every element of every field takes at least 8 bytes; a struct without
                    // fields still gets one (empty) entry per element, so it counts as one.
                    if count.saturating_mul(fields.len().max(1)) > self.bytes.len() {
                        return Err(damaged(self.path, format!("struct '{name}' claims {count} elements of {} fields, more than the file holds", fields.len())));
                    }
                    let mut elements = Vec::with_capacity(count);
                    for _ in 0..count {
                        let mut values = Vec::with_capacity(fields.len());
                        for _ in &fields {
                            values.push(self.nested()?);
                        }
                        elements.push(values);
                    }
                    MatValue::Struct {
                        dims,
                        fields,
                        elements,
                    }
                }
                CLASS_CELL => {
                    if count > self.bytes.len() {
                        return Err(damaged(
                            self.path,
                            format!("cell '{name}' claims {count} items, more than the file holds"),
                        ));
                    }
                    let items = (0..count).map(|_| self.nested()).collect::<Result<_>>()?;
                    MatValue::Cell { dims, items }
                }
                CLASS_CHAR => {
                    let (ty, data) = self.element()?;
                    let codes = self.numbers(ty, data)?;
                    let rows = dims.first().copied().unwrap_or(1).max(1);
                    let cols = codes.len() / rows;
                    // Dimensions claiming more rows than there are characters: no full column.
                    let rows = if cols == 0 { 0 } else { rows };
                    // Column-major: row r is codes[r], codes[r + rows], ...
                    let text: String = (0..rows)
                        .flat_map(|r| (0..cols).map(move |c| r + c * rows))
                        .filter_map(|i| codes.get(i).and_then(|&c| char::from_u32(c as u32)))
                        .collect();
                    MatValue::Char(text)
                }
                6..=15 if complex => MatValue::Unsupported("complex array".into()),
                6..=15 => {
                    let (ty, data) = self.element()?;
                    let values = self.numbers(ty, data)?;
                    if values.len() != count {
                        return Err(damaged(
                            self.path,
                            format!(
                                "'{name}' has dimensions {dims:?} ({count} values) but holds {}",
                                values.len()
                            ),
                        ));
                    }
                    MatValue::Numeric(from_column_major(&dims, values, self.path)?)
                }
                other => MatValue::Unsupported(format!("MATLAB class {other}")),
            };
            Ok((name, value))
        }

        /// A miMATRIX element nested in a struct or cell.
        fn nested(&mut self) -> Result<MatValue> {
            let (ty, payload) = self.element()?;
            if ty != MI_MATRIX {
                return Err(damaged(
                    self.path,
                    format!("expected a nested matrix element (type 14), found type {ty}"),
                ));
            }
            if payload.is_empty() {
                return Ok(MatValue::Numeric(ArrayD::zeros(IxDyn(&[0, 0]))));
            }
            Ok(self.sub(payload)?.matrix()?.1)
        }

        /// A top-level element: a variable, possibly compressed.
        fn variable(&mut self) -> Result<Option<(String, MatValue)>> {
            let (ty, payload) = self.element()?;
            match ty {
                MI_COMPRESSED => {
                    let mut inflated = Vec::new();
                    let limit = (*self.budget as u64).saturating_add(1);
                    ZlibDecoder::new(payload)
                        .take(limit)
                        .read_to_end(&mut inflated)
                        .map_err(|e| {
                            damaged(
                                self.path,
                                format!("compressed variable cannot be inflated: {e}"),
                            )
                        })?;
                    if inflated.len() > *self.budget {
                        return Err(IoError::format(
                            self.path,
                            format!(
                                "compressed data expands past the {MAX_DECOMPRESSED}-byte limit"
                            ),
                            "this looks like a decompression bomb; submit the actual predictions",
                        ));
                    }
                    *self.budget -= inflated.len();
                    self.sub(&inflated)?.variable()
                }
                MI_MATRIX => self.sub(payload)?.matrix().map(Some),
                _ => Ok(None),
            }
        }
    }

    pub(super) fn read(bytes: &[u8], path: &Path) -> Result<BTreeMap<String, MatValue>> {
        let big_endian = match &bytes[126..128] {
            b"IM" => false,
            b"MI" => true,
            other => {
                return Err(damaged(
                    path,
                    format!("bad endian indicator {other:?} in the v5 header"),
                ))
            }
        };
        let mut budget = MAX_DECOMPRESSED;
        let mut reader = Reader {
            bytes,
            pos: 128,
            big_endian,
            path,
            budget: &mut budget,
            depth: 0,
        };
        let mut vars = BTreeMap::new();
        while reader.pos + 8 <= bytes.len() {
            if let Some((name, value)) = reader.variable()? {
                vars.insert(name, value);
            }
        }
        Ok(vars)
    }
}

mod v73 {
    //! MATLAB v7.3 = HDF5: every top-level dataset is a variable; its `MATLAB_class` attribute
    //! says how to read it.
    use super::*;
    use hdf5_reader::{Dataset, Datatype, Hdf5File};

    fn h5(path: &Path, e: impl std::fmt::Display) -> IoError {
        IoError::format(
            path,
            format!("cannot read the HDF5 (MATLAB v7.3) content: {e}"),
            "the file is truncated or damaged: save or download it again",
        )
    }

    fn class_of(ds: &Dataset) -> String {
        ds.attribute("MATLAB_class")
            .and_then(|a| a.read_string())
            .unwrap_or_default()
    }

    fn numeric(ds: &Dataset, path: &Path, file_len: usize) -> Result<ArrayD<f64>> {
        // `read_array` allocates and zeroes the declared size before reading (found by fuzzing:
        // a mutated 14 KiB file asked for gigabytes): bound it by the file's size first, at the
        // f64 this reader returns.
        let limit = 8u64 * file_len as u64 + (16 << 20);
        let elements = ds.shape().iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        match elements.and_then(|n| n.checked_mul(8)) {
            Some(bytes) if bytes <= limit => {}
            _ => {
                return Err(IoError::format(
                    path,
                    format!(
                        "dataset '{}' declares shape {:?}, more than the {file_len}-byte file can hold (at most {limit} bytes of values)",
                        ds.name(),
                        ds.shape()
                    ),
                    "the file is truncated or damaged: save or download it again",
                ))
            }
        }
        macro_rules! as_f64 {
            ($t:ty) => {
                ds.read_array::<$t>()
                    .map_err(|e| h5(path, e))?
                    .mapv(|v| v as f64)
            };
        }
        let array = match ds.dtype() {
            Datatype::FloatingPoint { size: 8, .. } => {
                ds.read_array::<f64>().map_err(|e| h5(path, e))?
            }
            Datatype::FloatingPoint { size: 4, .. } => as_f64!(f32),
            Datatype::FixedPoint {
                size: 1,
                signed: false,
                ..
            } => as_f64!(u8),
            Datatype::FixedPoint {
                size: 1,
                signed: true,
                ..
            } => as_f64!(i8),
            Datatype::FixedPoint {
                size: 2,
                signed: false,
                ..
            } => as_f64!(u16),
            Datatype::FixedPoint {
                size: 2,
                signed: true,
                ..
            } => as_f64!(i16),
            Datatype::FixedPoint {
                size: 4,
                signed: false,
                ..
            } => as_f64!(u32),
            Datatype::FixedPoint {
                size: 4,
                signed: true,
                ..
            } => as_f64!(i32),
            Datatype::FixedPoint {
                size: 8,
                signed: false,
                ..
            } => as_f64!(u64),
            Datatype::FixedPoint {
                size: 8,
                signed: true,
                ..
            } => as_f64!(i64),
            other => {
                return Err(IoError::format(
                    path,
                    format!("dataset '{}' has an unsupported type {other:?}", ds.name()),
                    "store real numeric arrays",
                ))
            }
        };
        // HDF5 lists MATLAB's dimensions in reverse order.
        Ok(array.reversed_axes().as_standard_layout().into_owned())
    }

    pub(super) fn read(bytes: &[u8], path: &Path) -> Result<BTreeMap<String, MatValue>> {
        let file = Hdf5File::from_bytes(bytes).map_err(|e| h5(path, e))?;
        let root = file.root_group().map_err(|e| h5(path, e))?;
        let mut vars = BTreeMap::new();
        for ds in root.datasets().map_err(|e| h5(path, e))? {
            let name = ds.name().trim_start_matches('/').to_string();
            let value = match class_of(&ds).as_str() {
                "char" => {
                    let codes = numeric(&ds, path, bytes.len())?;
                    MatValue::Char(
                        codes
                            .iter()
                            .filter_map(|&c| char::from_u32(c as u32))
                            .collect(),
                    )
                }
                "cell" => MatValue::Unsupported("cell array (v7.3 object references)".into()),
                _ if ds.attribute("MATLAB_sparse").is_ok() => {
                    MatValue::Unsupported("sparse array".into())
                }
                _ => MatValue::Numeric(numeric(&ds, path, bytes.len())?),
            };
            vars.insert(name, value);
        }
        for group in root.groups().map_err(|e| h5(path, e))? {
            let name = group.name().trim_start_matches('/').to_string();
            if name.starts_with('#') {
                continue; // MATLAB's internal #refs# group
            }
            vars.insert(name, MatValue::Unsupported("struct (v7.3 group)".into()));
        }
        Ok(vars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_mat_file_is_a_clear_error() {
        let err = from_bytes(b"hello world, this is text", Path::new("x.mat"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.mat") && err.contains("MATLAB 5.0 MAT-file"),
            "{err}"
        );
    }

    #[test]
    fn truncated_v5_is_an_error_not_a_panic() {
        let mut bytes = b"MATLAB 5.0 MAT-file, test".to_vec();
        bytes.resize(126, b' ');
        bytes.extend_from_slice(b"IM");
        // miMATRIX claiming 1000 bytes with none present.
        bytes.extend_from_slice(&14u32.to_le_bytes());
        bytes.extend_from_slice(&1000u32.to_le_bytes());
        let err = from_bytes(&bytes, Path::new("t.mat"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("declares 1000 bytes"), "{err}");
    }
}
