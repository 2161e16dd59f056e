//! Containing the panics of third-party parsers of untrusted files.
//!
//! A dependency that panics on a malformed file (candle-core 0.11's pickle reader does, found
//! by fuzzing: docs/fuzzing.md) would otherwise crash `bench` instead of letting it exit 2 with
//! an error naming the file. [`catch`] runs such a parser and turns its panic into a message;
//! [`quiet_contained_panics`] keeps the panic hook from printing (or, under libFuzzer, aborting
//! on) a panic that [`catch`] contains, while every other panic goes to the hook as before.
//!
//! This relies on unwinding: no profile of this crate or of `fuzz/` sets `panic = "abort"`.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// How many [`catch`] calls are running on this thread.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Runs `f`; a panic inside it becomes `Err` with the panic's message.
///
/// Only for code that builds its result from scratch (a parser reading a file): whatever it
/// leaves half-built when it panics is dropped, so asserting unwind safety is sound.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

/// Wraps the current panic hook so that it is skipped for the panics [`catch`] contains on the
/// panicking thread. `bench` installs it at start, so a contained panic shows only as the error
/// it becomes; the fuzz targets install it over libFuzzer's hook, which aborts on every panic,
/// caught or not, so that only panics that escape stay fatal.
pub fn quiet_contained_panics() {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if DEPTH.with(Cell::get) == 0 {
            hook(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_values_pass_through() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> u8 { panic!("bad {}", "file") }),
            Err("bad file".into())
        );
        let v: Vec<u8> = Vec::new();
        let err = catch(|| v[usize::from(v.is_empty())]).unwrap_err();
        assert!(err.contains("index out of bounds"), "{err}");
        assert_eq!(DEPTH.with(Cell::get), 0);
    }
}
