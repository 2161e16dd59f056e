//! Stimulus images (PNG, JPEG) as RGB arrays, via the `image` crate; errors name the file.

use super::atomic::write_atomic;
use super::{IoError, Result};
use image::imageops::FilterType;
use ndarray::Array3;
use std::path::Path;

fn open(path: &Path) -> Result<image::RgbImage> {
    let img = image::ImageReader::open(path)
        .map_err(|e| IoError::os(path, e))?
        .with_guessed_format()
        .map_err(|e| IoError::os(path, e))?
        .decode()
        .map_err(|e| {
            IoError::format(
                path,
                format!("cannot decode the image: {e}"),
                "provide a PNG or JPEG file",
            )
        })?;
    Ok(img.to_rgb8())
}

fn to_array(img: &image::RgbImage) -> Array3<u8> {
    let (w, h) = img.dimensions();
    Array3::from_shape_vec((h as usize, w as usize, 3), img.as_raw().clone())
        .expect("RGB buffer matches its size")
}

/// Reads an image as (height, width, 3) RGB; grey and RGBA images are converted.
pub fn read_rgb(path: &Path) -> Result<Array3<u8>> {
    Ok(to_array(&open(path)?))
}

/// Reads an image and resizes it to `side` x `side` (Lanczos), as (side, side, 3) RGB.
pub fn read_thumbnail(path: &Path, side: u32) -> Result<Array3<u8>> {
    let img = open(path)?;
    Ok(to_array(&image::imageops::resize(
        &img,
        side,
        side,
        FilterType::Lanczos3,
    )))
}

/// Writes a (height, width, 3) RGB array as a PNG file, atomically.
pub fn write_png(path: &Path, rgb: &Array3<u8>) -> Result<()> {
    let (h, w, c) = rgb.dim();
    if c != 3 {
        return Err(IoError::format(
            path,
            format!("expected 3 colour channels, found {c}"),
            "pass an RGB array",
        ));
    }
    let img = image::RgbImage::from_raw(
        w as u32,
        h as u32,
        rgb.as_standard_layout().iter().copied().collect(),
    )
    .expect("buffer size matches");
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| {
        IoError::format(
            path,
            format!("cannot encode PNG: {e}"),
            "report this as a bug",
        )
    })?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_and_thumbnail() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("a.png");
        let rgb = Array3::from_shape_fn((8, 6, 3), |(y, x, c)| (y * 20 + x * 3 + c) as u8);
        write_png(&path, &rgb).unwrap();
        assert_eq!(read_rgb(&path).unwrap(), rgb);
        assert_eq!(read_thumbnail(&path, 4).unwrap().dim(), (4, 4, 3));
        let err = read_rgb(&d.path().join("missing.png"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.png"), "{err}");
    }
}
