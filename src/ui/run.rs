//! Opening the window. A missing display or a graphics driver that cannot start is an error
//! the agent can act on, not a panic.

use super::app::TerminalApp;
use super::dialogs::NativeDialogs;
use super::env::UiSettings;
use super::screens::settings::active_profile;
use crate::service::Service;
use crate::service::handle::ServiceHandle;
use std::path::PathBuf;
use std::sync::Arc;

/// Why the desktop terminal could not start.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(
        "no display to open the window on: the desktop terminal needs a graphical session (X11 or Wayland, with DISPLAY or WAYLAND_DISPLAY set to a running server); the command line works without one (moto-terminal --help)"
    )]
    NoDisplay,
    #[error(
        "the graphics driver could not start OpenGL, so the window cannot be drawn; install the Mesa OpenGL drivers (libgl1, libegl1) or try LIBGL_ALWAYS_SOFTWARE=1; the command line works without them: {0}"
    )]
    NoGraphics(String),
    #[error("the window could not be opened: {0}")]
    Window(String),
    #[error("{0}")]
    Profile(String),
}

/// What the window shows first.
#[derive(Clone, Debug, Default)]
pub struct UiOptions {
    /// The name of the profile the terminal starts in.
    pub profile: String,
    /// PNG bytes of the window icon, if any.
    pub icon_png: Option<Vec<u8>>,
    /// A batch file to open on the Batch screen at once.
    pub batch_file: Option<PathBuf>,
}

/// Runs the desktop terminal until its window is closed. Call it from the main thread, outside
/// the runtime (it waits once for the profile list before the window opens).
///
/// The service calls run on `runtime`; the UI thread only polls their results. The handle is
/// built here because its waker must reach egui's context, which exists only once the window
/// does.
///
/// # Errors
/// [`UiError`] when there is no display or no working OpenGL, the profile does not exist, or
/// the window fails otherwise.
pub fn run(service: Service, runtime: tokio::runtime::Handle, options: UiOptions) -> Result<(), UiError> {
    if !display_available() {
        return Err(UiError::NoDisplay);
    }
    let UiOptions { profile, icon_png, batch_file } = options;
    let app_settings = service.app_settings();
    let summaries = runtime.block_on(service.profiles()).map_err(|e| UiError::Profile(e.to_string()))?;
    let summary = summaries.iter().find(|s| s.profile.name == profile).ok_or_else(|| {
        UiError::Profile(format!(
            "there is no profile \"{profile}\": choose one with moto-terminal profile list"
        ))
    })?;
    let profile = active_profile(summary, &app_settings.operator, service.settings().operator.as_deref());
    let settings = UiSettings::of(&app_settings);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(format!("moto-terminal - {} ({})", profile.name, profile.environment.label()))
        .with_app_id("io.github.moto_terminal")
        .with_inner_size([1180.0, 820.0])
        .with_min_inner_size([900.0, 600.0]);
    if let Some(icon) = icon_png.as_deref().and_then(|png| eframe::icon_data::from_png_bytes(png).ok()) {
        viewport = viewport.with_icon(icon);
    }
    let native = eframe::NativeOptions { viewport, ..Default::default() };
    let result = eframe::run_native(
        "moto-terminal",
        native,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let wake_ctx = ctx.clone();
            let handle = ServiceHandle::new(service, runtime, Arc::new(move || wake_ctx.request_repaint()));
            let dialogs = Box::new(NativeDialogs::new(ctx.clone()));
            let mut app = TerminalApp::new(handle, profile, settings, dialogs);
            if let Some(path) = batch_file {
                app.open_batch_file(&ctx, path);
            }
            Ok(Box::new(app))
        }),
    );
    result.map_err(classify)
}

/// On Linux and the BSDs a window needs an X11 or Wayland display; checking first gives a
/// clear message instead of whatever the windowing library says (or does) without one.
fn display_available() -> bool {
    if cfg!(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd")) {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        set("DISPLAY") || set("WAYLAND_DISPLAY")
    } else {
        true
    }
}

fn classify(error: eframe::Error) -> UiError {
    let text = error.to_string();
    match error {
        eframe::Error::Glutin(_) | eframe::Error::NoGlutinConfigs(..) | eframe::Error::OpenGL(_) => {
            UiError::NoGraphics(text)
        }
        eframe::Error::WinitEventLoop(_) | eframe::Error::Winit(_) => {
            let lower = text.to_lowercase();
            let no_server = ["display", "wayland", "x11", "x server"].iter().any(|word| lower.contains(word));
            if no_server { UiError::NoDisplay } else { UiError::Window(text) }
        }
        _ => UiError::Window(text),
    }
}
