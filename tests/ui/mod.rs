//! The desktop terminal's behaviour, driven through its accessibility tree with egui_kittest
//! (no GPU, no window): what an agent types, what they see, what each key does.

mod audit;
mod back_office;
mod batch;
mod card_privacy;
mod hero;
mod operators;
mod order_form;
mod outside;
mod phone_order;
mod recurring;
mod reports;
mod settings;
mod submit_flow;
mod supervisor;
mod team;
mod token_search;

use crate::service::rig::{PROFILE, Rig};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use moto_terminal::aps::money::Currency;
use moto_terminal::service::handle::ServiceHandle;
use moto_terminal::ui::ProfileEnvironment as Environment;
use moto_terminal::ui::{
    ActiveProfile, DialogAnswer, FileDialogs, FileRequest, PendingPath, TerminalApp, UiSettings,
};
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The real service over the simulator, as the desktop runs it: a tokio runtime, the service
/// on it, and the handle the screens use.
pub struct UiRig {
    pub rig: Rig,
    pub handle: ServiceHandle,
    /// Dropped last: the simulator and the service's tasks run on it.
    pub rt: tokio::runtime::Runtime,
}

impl UiRig {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let rig = rt.block_on(Rig::new());
        // The harness polls every step, so the waker has nothing to wake.
        let handle = ServiceHandle::new(rig.service.clone(), rt.handle().clone(), Arc::new(|| {}));
        Self { rig, handle, rt }
    }

    /// The rig's profile as the terminal shows it.
    pub fn profile(&self) -> ActiveProfile {
        ActiveProfile { name: PROFILE.to_owned(), ..profile(Environment::Demo, true) }
    }

    /// The whole terminal in a harness, on the rig's profile.
    pub fn app(&self, dialogs: FakeDialogs) -> Harness<'static, TerminalApp> {
        self.app_with(self.handle.clone(), dialogs)
    }

    /// As [`UiRig::app`], on another service of the rig (another journal, say).
    pub fn app_on(&self, service: moto_terminal::service::Service) -> Harness<'static, TerminalApp> {
        let handle = ServiceHandle::new(service, self.rt.handle().clone(), Arc::new(|| {}));
        self.app_with(handle, FakeDialogs::default())
    }

    fn app_with(&self, handle: ServiceHandle, dialogs: FakeDialogs) -> Harness<'static, TerminalApp> {
        let app = TerminalApp::new(handle, self.profile(), UiSettings::default(), Box::new(dialogs));
        let mut harness = Harness::builder()
            .with_size([1280.0, 1000.0])
            .build_ui_state(|ui, app: &mut TerminalApp| app.show(ui), app);
        // The journal says first whether operators are defined (the sign-in covers everything).
        wait_until(&mut harness, "the operators check", |h| !h.state().checking_operators());
        harness
    }
}

/// Steps the UI until `done` holds, failing after 10 s with `what`.
pub fn wait_until<S>(harness: &mut Harness<'_, S>, what: &str, done: impl Fn(&Harness<'_, S>) -> bool) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness) {
            settle(harness);
            return;
        }
        if start.elapsed() > Duration::from_secs(10) {
            panic!("timed out waiting for {what}; on screen:\n{}", screen_text(harness));
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Steps the UI until some text contains `needle`.
pub fn wait_for_text<S>(harness: &mut Harness<'_, S>, needle: &str) {
    wait_until(harness, needle, |h| shows(h, needle));
}

/// File dialogs that never open a window: they record what was asked and answer at once.
#[derive(Default)]
pub struct FakeDialogs {
    pub asked: RefCell<Vec<FileRequest>>,
    /// The path every dialog answers with; `None` answers as if cancelled.
    pub answer: Option<PathBuf>,
    /// The files the terminal asked the system viewer to open.
    pub viewed: Arc<std::sync::Mutex<Vec<PathBuf>>>,
}

impl FileDialogs for FakeDialogs {
    fn save_file(&self, request: FileRequest) -> PendingPath {
        self.asked.borrow_mut().push(request);
        PendingPath::ready(self.answer.clone())
    }

    fn open_file(&self, request: FileRequest) -> PendingPath {
        self.asked.borrow_mut().push(request);
        PendingPath::ready(self.answer.clone())
    }

    fn show_in_viewer(&self, path: &std::path::Path) {
        self.viewed.lock().unwrap().push(path.to_owned());
    }
}

#[test]
fn fake_dialogs_answer_without_a_window() {
    let dialogs = FakeDialogs { answer: Some(PathBuf::from("/tmp/x.csv")), ..Default::default() };
    let pending = dialogs.save_file(FileRequest::new("Export", "x.csv", "CSV", "csv"));
    assert_eq!(pending.poll(), DialogAnswer::Picked(PathBuf::from("/tmp/x.csv")));
    assert_eq!(dialogs.asked.borrow().len(), 1);
    let cancelled = FakeDialogs::default().open_file(FileRequest::new("Open", "", "CSV", "csv"));
    assert_eq!(cancelled.poll(), DialogAnswer::Cancelled);
}

pub fn profile(environment: Environment, trusted_channel: bool) -> ActiveProfile {
    ActiveProfile {
        name: "Demo merchant".to_owned(),
        environment,
        merchant_identifier: "DEMO0001".to_owned(),
        trusted_channel,
        default_currency: Currency::parse("AED").unwrap(),
        operator: "agent7".to_owned(),
        custom_endpoint: None,
    }
}

/// The text input labelled `label`.
pub fn input<'h, S>(harness: &'h Harness<'_, S>, label: &'h str) -> egui_kittest::Node<'h> {
    harness.get_by_role_and_label(Role::TextInput, label)
}

/// The value shown in the text input labelled `label`.
pub fn value_of<S>(harness: &Harness<'_, S>, label: &str) -> String {
    input(harness, label).value().unwrap_or_default()
}

/// Focuses the input labelled `label` and types `text` into it.
pub fn type_into<S>(harness: &mut Harness<'_, S>, label: &str, text: &str) {
    input(harness, label).focus();
    settle(harness);
    input(harness, label).type_text(text);
    settle(harness);
}

/// Every label and value on screen, one per line, for failure messages.
pub fn screen_text<S>(harness: &Harness<'_, S>) -> String {
    harness
        .query_all_by(|node| node.label().is_some() || node.value().is_some())
        .map(|node| {
            let n = node.accesskit_node();
            format!("{} {}", n.label().unwrap_or_default(), n.value().unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// True if some visible text contains `needle`.
pub fn shows<S>(harness: &Harness<'_, S>, needle: &str) -> bool {
    harness
        .query_all_by(|node| {
            node.label().is_some_and(|l| l.contains(needle))
                || node.value().is_some_and(|v| v.contains(needle))
        })
        .next()
        .is_some()
}

/// Presses a key and lets the UI settle.
/// Scrolls the button `label` into view and clicks it.
pub fn button<S>(harness: &mut Harness<'_, S>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).scroll_to_me();
    settle(harness);
    harness.get_by_role_and_label(Role::Button, label).click();
    settle(harness);
}

pub fn press<S>(harness: &mut Harness<'_, S>, key: egui::Key) {
    harness.key_press(key);
    settle(harness);
}

/// Runs frames until the UI is idle, or a few if it keeps animating (the spinner of a request
/// in flight repaints until the answer is there).
pub fn settle<S>(harness: &mut Harness<'_, S>) {
    if harness.run_ok().is_none() {
        harness.run_steps(2);
    }
}
