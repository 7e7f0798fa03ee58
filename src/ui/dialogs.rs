//! Save and open dialogs, behind a trait so tests never open one.
//!
//! A native dialog blocks until the person picks a file, and headless with zenity installed it
//! can block forever (stack notes). The frame must never wait for it, so a dialog runs on its
//! own thread and its answer comes back through a [`PendingPath`] the screen polls each frame;
//! the thread wakes the UI after delivering the answer.

use std::path::PathBuf;
use std::sync::mpsc;

/// What a dialog asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRequest {
    /// Window title, e.g. "Export history as CSV".
    pub title: String,
    /// Suggested file name for a save dialog; ignored when opening.
    pub file_name: String,
    /// Name of the file filter, e.g. "CSV".
    pub filter_name: String,
    /// Extensions without the dot, e.g. `["csv"]`.
    pub extensions: Vec<String>,
}

impl FileRequest {
    /// A request for one kind of file, e.g. `FileRequest::new("Export", "history.csv", "CSV", "csv")`.
    pub fn new(title: &str, file_name: &str, filter_name: &str, extension: &str) -> Self {
        Self {
            title: title.to_owned(),
            file_name: file_name.to_owned(),
            filter_name: filter_name.to_owned(),
            extensions: vec![extension.to_owned()],
        }
    }
}

/// A dialog's answer that arrives later: `Some(path)` once picked, `None` if cancelled.
pub struct PendingPath {
    answer: mpsc::Receiver<Option<PathBuf>>,
}

/// Where a pending dialog stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogAnswer {
    Waiting,
    Picked(PathBuf),
    Cancelled,
}

impl PendingPath {
    /// A pending answer and the sender that completes it.
    pub fn channel() -> (mpsc::Sender<Option<PathBuf>>, Self) {
        let (tx, rx) = mpsc::channel();
        (tx, Self { answer: rx })
    }

    /// An answer that is already known (fakes, or a platform without dialogs).
    pub fn ready(path: Option<PathBuf>) -> Self {
        let (tx, pending) = Self::channel();
        // The receiver is alive in `pending`, so this send cannot fail.
        tx.send(path).ok();
        pending
    }

    /// The answer if it has arrived. A dialog thread that died counts as cancelled, so a
    /// crashed dialog never leaves a screen waiting forever.
    pub fn poll(&self) -> DialogAnswer {
        match self.answer.try_recv() {
            Ok(Some(path)) => DialogAnswer::Picked(path),
            Ok(None) | Err(mpsc::TryRecvError::Disconnected) => DialogAnswer::Cancelled,
            Err(mpsc::TryRecvError::Empty) => DialogAnswer::Waiting,
        }
    }
}

/// Save and open dialogs. The desktop uses [`NativeDialogs`]; tests use a fake that answers
/// with a temporary path.
pub trait FileDialogs {
    /// Asks where to save a file.
    fn save_file(&self, request: FileRequest) -> PendingPath;
    /// Asks which file to open.
    fn open_file(&self, request: FileRequest) -> PendingPath;
    /// Opens a saved file (a receipt, a report) in the system's viewer, where it can be
    /// printed. Does nothing unless the platform has a viewer to open.
    fn show_in_viewer(&self, _path: &std::path::Path) {}
}

/// The operating system's dialogs through `rfd` (the XDG desktop portal on Linux).
pub struct NativeDialogs {
    ctx: egui::Context,
}

impl NativeDialogs {
    /// Dialogs that wake `ctx` when the person has answered.
    pub fn new(ctx: egui::Context) -> Self {
        Self { ctx }
    }

    fn spawn(&self, request: FileRequest, save: bool) -> PendingPath {
        let (tx, pending) = PendingPath::channel();
        let ctx = self.ctx.clone();
        let job = move || {
            let mut dialog = rfd::FileDialog::new()
                .set_title(&request.title)
                .add_filter(&request.filter_name, &request.extensions);
            let path = if save {
                dialog = dialog.set_file_name(&request.file_name);
                dialog.save_file()
            } else {
                dialog.pick_file()
            };
            // Deliver first, then wake, so the repaint finds the answer.
            tx.send(path).ok();
            ctx.request_repaint();
        };
        let spawned = std::thread::Builder::new().name("file-dialog".into()).spawn(job);
        if let Err(e) = spawned {
            log::error!("could not open a file dialog: {e}");
            return PendingPath::ready(None);
        }
        pending
    }
}

impl FileDialogs for NativeDialogs {
    fn save_file(&self, request: FileRequest) -> PendingPath {
        self.spawn(request, true)
    }

    fn open_file(&self, request: FileRequest) -> PendingPath {
        self.spawn(request, false)
    }

    fn show_in_viewer(&self, path: &std::path::Path) {
        // Detached: the viewer is its own program, and the frame does not wait for it to start.
        if let Err(e) = open::that_detached(path) {
            log::warn!("could not open {} in a viewer: {e}", path.display());
        }
    }
}
