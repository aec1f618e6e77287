//! Scopes that follow a future, whatever runtime polls it (the way `tracing::Instrument` and
//! tokio's `task_local!` carry their values): a wrapper puts the future's frame on the thread
//! for each `poll` and takes it off after, so the scope survives `.await` and a work-stealing
//! executor moving the future between threads, and never shows in another task.
//!
//! - [`Bound`] ([`crate::ParamScope::bind`]) is the explicit form: the future runs inside a
//!   scope of its own, made when it was bound.
//! - [`Scoped`] is what `with_params!` wraps around each `.await` in its input: while the
//!   awaited future is pending, the thread gets back the frame it had outside the scope.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hp_store::{local, Frame, Value};

use crate::context::{self, FrameRef};
use crate::host;

pin_project_lite::pin_project! {
    /// A future that runs inside its own scope on every poll ([`crate::ParamScope::bind`]).
    ///
    /// ```
    /// use hyperparameter::*;
    /// let fut = ParamScope::from(&["job.id=7".to_string()]).bind(async {
    ///     get_param!(job.id, 0)
    /// });
    /// assert_eq!(futures::executor::block_on(fut), 7);
    /// assert_eq!(get_param!(job.id, 0), 0); // only the future saw it
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Bound<F> {
        frame: FrameRef,
        #[pin]
        inner: F,
    }
}

impl<F> Bound<F> {
    pub(crate) fn new(frame: Arc<Frame<Value>>, inner: F) -> Self {
        Bound {
            frame: Some(frame),
            inner,
        }
    }
}

/// Restores a thread's frame and base when a poll ends, also by a panic.
struct Restore {
    current: Option<FrameRef>,
    base: Option<Option<FrameRef>>,
}

impl Restore {
    /// Puts `frame` on the thread as the scope open for the length of one poll; the thread's
    /// own frame becomes the base that inner scopes give back when they suspend.
    fn install(frame: FrameRef) -> Self {
        let base = context::take_base();
        let current = local::replace(frame);
        let outside = match &base {
            Some(b) => b.clone(),
            None => current.clone(),
        };
        context::set_base(Some(outside));
        Restore {
            current: Some(current),
            base: Some(base),
        }
    }

    /// Ends the poll: the thread gets its own frame and base back; returns the future's frame.
    fn finish(mut self) -> FrameRef {
        let mine = local::replace(self.current.take().flatten());
        context::set_base(self.base.take().flatten());
        mine
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(current) = self.current.take() {
            drop(local::replace(current));
            context::set_base(self.base.take().flatten());
        }
    }
}

impl<F: Future> Future for Bound<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if host::active().is_some() {
            return this.inner.poll(cx);
        }
        let restore = Restore::install(this.frame.take());
        let out = this.inner.poll(cx);
        *this.frame = restore.finish();
        out
    }
}

pin_project_lite::pin_project! {
    /// An awaited future inside `with_params!` (the macro writes `scoped(fut).await` for
    /// `fut.await`): when it is pending, the scope comes off the thread, to be put back when
    /// it is polled again (maybe on another thread). Not meant to be used by hand.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Scoped<F> {
        // `None` until the first `Pending`: before that, the scope is already on the thread.
        saved: Option<FrameRef>,
        #[pin]
        inner: F,
    }
}

/// `fut` as a [`Scoped`] future (what `with_params!` awaits).
#[doc(hidden)]
pub fn scoped<F: IntoFuture>(fut: F) -> Scoped<F::IntoFuture> {
    Scoped {
        saved: None,
        inner: fut.into_future(),
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if host::active().is_some() {
            return this.inner.poll(cx);
        }
        let base = context::take_base();
        let prior = match this.saved.take() {
            Some(frame) => local::replace(frame),
            None => local::current(),
        };
        // What the thread had outside every scope of this poll.
        let outside = match base {
            Some(b) => b,
            None => prior,
        };
        context::set_base(Some(outside.clone()));
        let out = this.inner.poll(cx);
        if out.is_pending() {
            *this.saved = Some(local::replace(outside));
            context::set_base(None);
        }
        out
    }
}
