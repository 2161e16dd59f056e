#![no_main]
// `bench` contains a panic of candle's pickle reader as an error (brainbench::contain);
// libFuzzer's panic hook, which aborts on every panic, caught or not, must skip those.
libfuzzer_sys::fuzz_target!(
    init: brainbench::contain::quiet_contained_panics(),
    |data: &[u8]| brainbench_fuzz::pth(data)
);
