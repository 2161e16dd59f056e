#![no_main]
// An input starting with a zip's magic goes to candle's pickle reader, as in the `pth` target:
// `bench` contains that reader's panics as errors (brainbench::contain); libFuzzer's panic hook,
// which aborts on every panic, caught or not, must skip those.
libfuzzer_sys::fuzz_target!(
    init: brainbench::contain::quiet_contained_panics(),
    |data: &[u8]| brainbench_fuzz::safetensors(data)
);
