//! The ImageNet transform equals torchvision's on PIL images, computed with Pillow
//! (`tests/peers/preprocess_peer.py`): the resized and cropped 8-bit images bit for bit, the
//! normalised tensors exactly; for upscaling, downscaling, odd crop offsets and small inputs.

mod common;

use brainbench::features::preprocess::Preprocess;
use brainbench::io::{image, npy};
use ndarray::{Array3, ArrayD};
use std::path::PathBuf;

/// Noise-heavy test images (the hardest case for matching a resize filter bit for bit).
fn test_image(k: usize, h: usize, w: usize) -> Array3<u8> {
    Array3::from_shape_fn((h, w, 3), |(y, x, c)| {
        let noise = (x * 7919 + y * 104_729 + c * 31 + k * 7) % 256;
        let ramp = (x * 255 / w + y * 128 / h) % 256;
        ((noise + 3 * ramp) / 4) as u8
    })
}

fn compare(test: &str, paths: &[PathBuf], pre: &Preprocess) -> Option<()> {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::run_peer(
        test,
        "preprocess_peer.py",
        &serde_json::json!({"images": paths, "resize": pre.resize, "crop": pre.crop, "out_dir": tmp.path()}),
    )?;
    for (i, p) in paths.iter().enumerate() {
        let rgb = image::read_rgb(p).unwrap();
        let decoded: ArrayD<i32> = npy::read(&tmp.path().join(format!("{i}_decoded.npy"))).unwrap();
        assert_eq!(
            rgb.mapv(i32::from).into_dyn(),
            decoded,
            "{}: decoding",
            p.display()
        );
        let crop: ArrayD<i32> = npy::read(&tmp.path().join(format!("{i}_crop.npy"))).unwrap();
        assert_eq!(
            pre.resize_crop(rgb.view()).mapv(i32::from).into_dyn(),
            crop,
            "{}: resize + crop differ from Pillow",
            p.display()
        );
        let t: ArrayD<f32> = npy::read(&tmp.path().join(format!("{i}_tensor.npy"))).unwrap();
        assert_eq!(
            pre.apply(rgb.view()).into_dyn(),
            t,
            "{}: normalised tensor",
            p.display()
        );
    }
    eprintln!(
        "{} images equal Pillow {} (resize {}, crop {})",
        paths.len(),
        out["pillow"],
        pre.resize,
        pre.crop
    );
    Some(())
}

#[test]
fn resize_crop_normalise_equal_pillow_and_torchvision() {
    let tmp = tempfile::tempdir().unwrap();
    let sizes = [
        (375, 500),
        (500, 375),
        (97, 131),
        (256, 256),
        (224, 1000),
        (341, 343),
        (64, 64),
    ];
    let paths: Vec<PathBuf> = sizes
        .iter()
        .enumerate()
        .map(|(k, &(h, w))| {
            let p = tmp.path().join(format!("img{k}.png"));
            image::write_png(&p, &test_image(k, h, w)).unwrap();
            p
        })
        .collect();
    for side in [224, 64] {
        if compare(
            "resize_crop_normalise_equal_pillow_and_torchvision",
            &paths,
            &Preprocess::imagenet(side),
        )
        .is_none()
        {
            return;
        }
    }
}

/// JPEG decoding: the `image` crate (zune-jpeg) against Pillow (libjpeg-turbo) on the real
/// Algonauts 2019 stimuli; prints how many 8-bit values differ and by how much, and how far that
/// moves the network input.
#[test]
fn jpeg_decoding_against_pillow_on_the_algonauts_images() {
    let test = "jpeg_decoding_against_pillow_on_the_algonauts_images";
    let Some(data) = common::real_data(test) else {
        return;
    };
    let dir = data.join("algonauts2019/Training_Data/92_Image_Set/92images");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths.truncate(12);
    let pre = Preprocess::imagenet(224);
    let tmp = tempfile::tempdir().unwrap();
    let Some(_) = common::run_peer(
        test,
        "preprocess_peer.py",
        &serde_json::json!({"images": paths, "resize": pre.resize, "crop": pre.crop, "out_dir": tmp.path()}),
    ) else {
        return;
    };
    let (mut differ, mut total, mut max_diff, mut max_input) = (0usize, 0usize, 0i32, 0f32);
    for (i, p) in paths.iter().enumerate() {
        let rgb = image::read_rgb(p).unwrap();
        let decoded: ArrayD<i32> = npy::read(&tmp.path().join(format!("{i}_decoded.npy"))).unwrap();
        assert_eq!(rgb.shape(), decoded.shape(), "{}", p.display());
        for (a, b) in rgb.iter().zip(decoded.iter()) {
            let d = (*a as i32 - b).abs();
            differ += usize::from(d > 0);
            max_diff = max_diff.max(d);
        }
        total += rgb.len();
        let t: ArrayD<f32> = npy::read(&tmp.path().join(format!("{i}_tensor.npy"))).unwrap();
        let ours = pre.apply(rgb.view()).into_dyn();
        max_input = ours
            .iter()
            .zip(t.iter())
            .fold(max_input, |m, (a, b)| m.max((a - b).abs()));
    }
    eprintln!(
        "{} JPEGs: {differ} of {total} decoded 8-bit values differ from Pillow's (max by {max_diff}); max network-input difference {max_input:.4}",
        paths.len()
    );
    // Both decoders implement the same standard; they may round the IDCT and chroma upsampling
    // differently, but never by more than a few levels.
    assert!(max_diff <= 8, "decoders differ by {max_diff} levels");
}
