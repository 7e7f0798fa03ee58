//! A service call a screen is waiting for, polled once per frame. The service wakes the UI when
//! the answer is there, so an idle screen costs nothing and no frame ever waits.

use crate::service::Stage;
use crate::service::handle::Task;

pub struct Call<T> {
    task: Option<Task<T>>,
}

impl<T> Default for Call<T> {
    fn default() -> Self {
        Self { task: None }
    }
}

impl<T> Call<T> {
    /// Starts waiting for `task`, replacing any call still running (its answer is dropped).
    pub fn start(&mut self, task: Task<T>) {
        self.task = Some(task);
    }

    /// True while the answer has not arrived.
    pub fn busy(&self) -> bool {
        self.task.is_some()
    }

    /// The answer, once.
    pub fn poll(&mut self) -> Option<T> {
        let value = self.task.as_mut()?.take()?;
        self.task = None;
        Some(value)
    }

    /// The latest stage reported by the call in flight.
    pub fn stage(&self) -> Option<Stage> {
        self.task.as_ref().and_then(|t| t.stage())
    }
}
