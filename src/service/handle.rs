//! How the desktop runs service calls without ever blocking a frame.
//!
//! A screen asks the handle to run an async call; it gets back a [`Task`] that it polls once per
//! frame. The call runs on the tokio runtime whose handle `main` passed in. When it finishes,
//! the result is delivered to the task first and the UI is woken second, so the repaint that
//! follows always sees the result. Stage changes (sending, reconciling) wake the UI the same way.

use super::{Progress, Service, Stage};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Wakes the UI (egui's `request_repaint`), injected so the service never knows egui.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct ServiceHandle {
    service: Service,
    runtime: tokio::runtime::Handle,
    wake: Waker,
}

/// A call in flight, polled by the screen that started it.
pub struct Task<T> {
    result: tokio::sync::oneshot::Receiver<T>,
    stage: Arc<Mutex<Option<Stage>>>,
    done: Option<T>,
}

impl<T> Task<T> {
    /// The result, once, when it has arrived.
    pub fn take(&mut self) -> Option<T> {
        if self.done.is_none()
            && let Ok(value) = self.result.try_recv()
        {
            self.done = Some(value);
        }
        self.done.take()
    }

    /// The latest stage the call reported.
    pub fn stage(&self) -> Option<Stage> {
        self.stage.lock().map(|s| s.clone()).unwrap_or(None)
    }
}

impl ServiceHandle {
    pub fn new(service: Service, runtime: tokio::runtime::Handle, wake: Waker) -> Self {
        Self { service, runtime, wake }
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Runs `call` on the runtime and returns the task to poll.
    pub fn run<T, F, Fut>(&self, call: F) -> Task<T>
    where
        T: Send + 'static,
        F: FnOnce(Service, Progress) -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let stage = Arc::new(Mutex::new(None));
        let progress = {
            let stage = stage.clone();
            let wake = self.wake.clone();
            Progress::new(move |s| {
                if let Ok(mut slot) = stage.lock() {
                    *slot = Some(s);
                }
                wake();
            })
        };
        let service = self.service.clone();
        let wake = self.wake.clone();
        self.runtime.spawn(async move {
            let value = call(service, progress).await;
            // Deliver first, then wake: the repaint must find the result.
            let _ = tx.send(value);
            wake();
        });
        Task { result: rx, stage, done: None }
    }
}
