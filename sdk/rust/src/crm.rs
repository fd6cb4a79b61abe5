//! CRM-sync plugins: the [`CrmSync`] trait, the [`CrmActions`] builder and the WIT types.
//!
//! Before a call the host sends `lookup`: answer with [`CrmActions::fields`] and
//! [`CrmActions::done`] (directly, or after an HTTP response). After a call it sends
//! `call-finished`: push the record and answer `done(true)`, or `done(false)` to have the host
//! retry through its outbox.
//!
//! ```
//! use voxgate_plugin_sdk::crm::{CrmActions, CrmSync};
//! use voxgate_plugin_sdk::types::{CallInfo, Pair};
//!
//! #[derive(Default)]
//! struct StaticFields;
//!
//! impl CrmSync for StaticFields {
//!     fn on_lookup(&mut self, _call: &CallInfo, out: &mut CrmActions) {
//!         out.fields(vec![Pair::new("name", "Ms Li")]).done(true);
//!     }
//! }
//! // In the plugin crate: voxgate_plugin_sdk::export_crm_sync!(StaticFields);
//! ```

use crate::types::{CallInfo, CallSummary, HttpRequest, HttpResponse, LogEntry, LogLevel, Pair};

pub use crate::bindings::crm::voxgate::plugin::crm_types::{CrmAction, CrmEvent};

/// A CRM synchronisation plugin. Every callback has an empty default body.
pub trait CrmSync: Default {
    /// Fetch the customer's fields for a call about to be placed or answered.
    fn on_lookup(&mut self, call: &CallInfo, out: &mut CrmActions) {
        let _ = call;
        out.done(true);
    }
    /// Push the finished call's record.
    fn on_call_finished(&mut self, summary: &CallSummary, out: &mut CrmActions) {
        let _ = summary;
        out.done(true);
    }
    /// The answer to an `http-request` action.
    fn on_http_response(&mut self, response: &HttpResponse, out: &mut CrmActions) {
        let _ = (response, out);
    }

    /// Dispatches one event to the callbacks above and returns the actions they built.
    fn on_event(&mut self, event: CrmEvent) -> Vec<CrmAction> {
        let mut out = CrmActions::new();
        match &event {
            CrmEvent::Lookup(call) => self.on_lookup(call, &mut out),
            CrmEvent::CallFinished(summary) => self.on_call_finished(summary, &mut out),
            CrmEvent::HttpResponse(response) => self.on_http_response(response, &mut out),
        }
        out.into_vec()
    }
}

/// Builds the list of actions a CRM callback returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrmActions {
    actions: Vec<CrmAction>,
}

impl CrmActions {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends any action.
    pub fn push(&mut self, action: CrmAction) -> &mut Self {
        self.actions.push(action);
        self
    }

    /// Asks the host to perform an HTTP request.
    pub fn http_request(&mut self, request: HttpRequest) -> &mut Self {
        self.push(CrmAction::HttpRequest(request))
    }

    /// Customer fields for the call's prompt variables (lookup only).
    pub fn fields(&mut self, fields: Vec<Pair>) -> &mut Self {
        self.push(CrmAction::Fields(fields))
    }

    /// The lookup or push is complete; `false` marks a failed push to retry.
    pub fn done(&mut self, ok: bool) -> &mut Self {
        self.push(CrmAction::Done(ok))
    }

    /// Returns a log line as an action.
    pub fn log(&mut self, level: LogLevel, message: impl Into<String>) -> &mut Self {
        self.push(CrmAction::Log(LogEntry {
            level,
            message: message.into(),
        }))
    }

    /// The actions built so far.
    pub fn as_slice(&self) -> &[CrmAction] {
        &self.actions
    }

    /// The finished list.
    pub fn into_vec(self) -> Vec<CrmAction> {
        self.actions
    }
}

/// Exports a [`CrmSync`] implementation as the component's `on-event`; one value per
/// component instance, created with `Default` on the first event.
#[macro_export]
macro_rules! export_crm_sync {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __VoxgateCrmSyncComponent;

        impl $crate::__private::crm::Guest for __VoxgateCrmSyncComponent {
            fn on_event(event: $crate::crm::CrmEvent) -> ::std::vec::Vec<$crate::crm::CrmAction> {
                $crate::__private::with_instance(|plugin: &mut $plugin| {
                    $crate::crm::CrmSync::on_event(plugin, event)
                })
            }
        }

        $crate::__private::crm::__export_crm_sync_world!(
            __VoxgateCrmSyncComponent with_types_in $crate::__private::crm
        );
    };
}
