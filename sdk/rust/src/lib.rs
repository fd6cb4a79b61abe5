//! voxgate plugin SDK: write dialogue, CRM-sync and analysis plugins in Rust.
//!
//! Plugins are WebAssembly components built for `wasm32-wasip2` against `sdk/wit`
//! (package `voxgate:plugin@0.1.0`). Pick the trait of your plugin kind
//! ([`dialogue::Dialogue`], [`crm::CrmSync`], [`analysis::Analysis`]), implement the callbacks
//! you need, and export it with [`export_dialogue!`], [`export_crm_sync!`] or
//! [`export_analysis!`]. Callbacks return actions through small builders; the host performs
//! them. Host functions (log, time, random, config, secrets, key-value store) are in [`host`].
#![warn(missing_docs)]
#![deny(unsafe_code)]

mod bindings;

pub mod analysis;
#[cfg(feature = "chat")]
pub mod chat;
pub mod crm;
pub mod dialogue;
pub mod host;
pub mod machine;
pub mod matching;
pub mod prompt;
pub mod types;

/// The WIT package version these bindings were generated from.
pub const WIT_VERSION: &str = "0.1.0";

/// The README's examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[doc(hidden)]
pub mod __private {
    use std::any::Any;
    use std::cell::RefCell;

    pub use crate::bindings::*;

    std::thread_local! {
        /// The plugin value of this component instance (the host makes one instance per call).
        static INSTANCE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    }

    /// Runs `f` on the instance's plugin value, created with `Default` on first use. The export
    /// macros are the only callers, and a component exports exactly one plugin type.
    pub fn with_instance<T: Default + 'static, R>(f: impl FnOnce(&mut T) -> R) -> R {
        INSTANCE.with(|cell| {
            let mut slot = cell.borrow_mut();
            let value = slot.get_or_insert_with(|| Box::new(T::default()));
            match value.downcast_mut::<T>() {
                Some(plugin) => f(plugin),
                None => unreachable!("a component exports one plugin type"),
            }
        })
    }
}
