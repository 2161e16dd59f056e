//! A minimal writer of MATLAB level-5 `.mat` files: uncompressed real double arrays only, which is
//! all `target_fmri.mat` of the Algonauts 2019 layout holds. The reader is [`crate::io::mat`]; the
//! format is MathWorks' "MAT-File Format" (level 5), little-endian.

/// Data-element type codes (MAT-File Format, table 1-1).
const MI_INT8: u32 = 1;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_DOUBLE: u32 = 9;
const MI_MATRIX: u32 = 14;
/// Array class of a double array.
const MX_DOUBLE_CLASS: u32 = 6;

/// One variable: its name, MATLAB dimensions, and its values in C (row-major) order over those
/// dimensions, as ndarray holds them.
pub(crate) struct Variable<'a> {
    pub name: &'a str,
    pub dims: &'a [usize],
    pub data: &'a [f64],
}

/// A data element: 8-byte tag (type, byte count), the bytes, padding to a multiple of 8.
fn element(out: &mut Vec<u8>, ty: u32, bytes: &[u8]) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
    out.resize(out.len().next_multiple_of(8), 0);
}

/// C-order values reordered into MATLAB's column-major order.
fn column_major(dims: &[usize], data: &[f64]) -> Vec<f64> {
    let strides: Vec<usize> = (0..dims.len())
        .map(|k| dims[k + 1..].iter().product())
        .collect();
    let mut index = vec![0usize; dims.len()];
    (0..data.len())
        .map(|_| {
            let value = data[index
                .iter()
                .zip(&strides)
                .map(|(i, s)| i * s)
                .sum::<usize>()];
            // Advance the first axis fastest.
            for (k, i) in index.iter_mut().enumerate() {
                *i += 1;
                if *i < dims[k] {
                    break;
                }
                *i = 0;
            }
            value
        })
        .collect()
}

/// The bytes of a level-5 `.mat` file holding `variables`.
///
/// # Panics
/// When a variable's data length is not the product of its dimensions (a caller bug).
pub(crate) fn to_bytes(variables: &[Variable]) -> Vec<u8> {
    let mut text = b"MATLAB 5.0 MAT-file, written by brainbench".to_vec();
    text.resize(116, b' ');
    let mut out = text;
    out.extend_from_slice(&[0u8; 8]); // no subsystem data
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    for v in variables {
        assert_eq!(
            v.data.len(),
            v.dims.iter().product::<usize>(),
            "{}: data does not match dims",
            v.name
        );
        let mut body = Vec::new();
        let flags = [MX_DOUBLE_CLASS, 0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<u8>>();
        element(&mut body, MI_UINT32, &flags);
        let dims: Vec<u8> = v
            .dims
            .iter()
            .flat_map(|&d| (d as i32).to_le_bytes())
            .collect();
        element(&mut body, MI_INT32, &dims);
        element(&mut body, MI_INT8, v.name.as_bytes());
        let values: Vec<u8> = column_major(v.dims, v.data)
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        element(&mut body, MI_DOUBLE, &values);
        out.extend_from_slice(&MI_MATRIX.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::mat;
    use std::path::Path;

    #[test]
    fn a_3d_array_reads_back_with_the_same_shape_and_values() {
        let data: Vec<f64> = (0..24).map(|i| i as f64 * 0.5 - 3.0).collect();
        let bytes = to_bytes(&[
            Variable {
                name: "EVC_RDMs",
                dims: &[2, 3, 4],
                data: &data,
            },
            Variable {
                name: "x",
                dims: &[1, 1],
                data: &[7.0],
            },
        ]);
        let file = mat::from_bytes(&bytes, Path::new("t.mat")).unwrap();
        let a = file.numeric("EVC_RDMs").unwrap();
        assert_eq!(a.shape(), [2, 3, 4]);
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), data);
        assert_eq!(file.numeric("x").unwrap()[[0, 0]], 7.0);
    }

    #[test]
    fn column_major_puts_the_first_axis_fastest() {
        // C order of [[1, 2, 3], [4, 5, 6]] is 1..6; MATLAB's order is 1, 4, 2, 5, 3, 6.
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(column_major(&[2, 3], &data), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }
}
