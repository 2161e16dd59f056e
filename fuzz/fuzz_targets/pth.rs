#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| brainbench_fuzz::pth(data));
