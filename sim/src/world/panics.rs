//! Panics inside a simulated world are findings, not crashes: a process-wide hook records the
//! message of any panic on a thread that is running a world (and says nothing), and the world
//! asks for it after every step. The app's own simulated exceptions are left out: whether the
//! bridge survives them is checked separately.

use std::cell::RefCell;
use std::sync::Once;

use super::app_stack::APP_THROWS;

thread_local! {
    static IN_WORLD: RefCell<bool> = const { RefCell::new(false) };
    static CAUGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Installs the hook (once per process) and marks this thread as running a world.
pub(super) fn watch() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_world = IN_WORLD.with(|w| *w.borrow());
            if !in_world {
                previous(info);
                return;
            }
            let message = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| {
                    info.payload()
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                })
                .unwrap_or_else(|| "a panic without a message".to_owned());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            if !message.contains(APP_THROWS) {
                CAUGHT.with(|c| c.borrow_mut().push(format!("{message}{at}")));
            }
        }));
    });
    IN_WORLD.with(|w| *w.borrow_mut() = true);
    CAUGHT.with(|c| c.borrow_mut().clear());
}

/// This thread is done with its world.
pub(super) fn unwatch() {
    IN_WORLD.with(|w| *w.borrow_mut() = false);
}

/// The first panic caught since the last call, if any.
pub(super) fn take() -> Option<String> {
    CAUGHT.with(|c| {
        let mut c = c.borrow_mut();
        (!c.is_empty()).then(|| c.remove(0))
    })
}
