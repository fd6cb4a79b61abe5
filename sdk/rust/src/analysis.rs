//! Analysis plugins: the [`Analysis`] trait, the [`AnalysisActions`] builder and the WIT types.
//!
//! After a call the host sends `call-finished` with the record and transcript; the plugin
//! answers with one [`Report`] (directly, or after HTTP responses), which ends the job.
//!
//! ```
//! use voxgate_plugin_sdk::analysis::{Analysis, AnalysisActions, AnalysisInput, Report};
//!
//! #[derive(Default)]
//! struct ShortCalls;
//!
//! impl Analysis for ShortCalls {
//!     fn on_call_finished(&mut self, input: &AnalysisInput, out: &mut AnalysisActions) {
//!         let mut report = Report::empty();
//!         if input.call.talk_ms < 5_000 {
//!             report.invalid = true;
//!             report.invalid_reason = Some("talk time under 5 s".into());
//!         }
//!         out.report(report);
//!     }
//! }
//! // In the plugin crate: voxgate_plugin_sdk::export_analysis!(ShortCalls);
//! ```

use crate::types::{HttpRequest, HttpResponse, LogEntry, LogLevel};

pub use crate::bindings::analysis::voxgate::plugin::analysis_types::{
    AnalysisAction, AnalysisEvent, AnalysisInput, Finding, Report,
};

impl Report {
    /// A report that changes nothing: no level, tags, text or findings, valid.
    pub fn empty() -> Self {
        Self {
            level: None,
            tags: Vec::new(),
            summary: String::new(),
            customer_situation: String::new(),
            next_actions: Vec::new(),
            findings: Vec::new(),
            invalid: false,
            invalid_reason: None,
        }
    }
}

impl Finding {
    /// A finding of a rule with a severity (`info`, `warning` or `violation`).
    pub fn new(
        rule: impl Into<String>,
        severity: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            rule: rule.into(),
            severity: severity.into(),
            detail: detail.into(),
        }
    }
}

/// A post-call analysis plugin. Every callback has an empty default body.
pub trait Analysis: Default {
    /// A call finished: analyse it and (now or later) return a report.
    fn on_call_finished(&mut self, input: &AnalysisInput, out: &mut AnalysisActions) {
        let _ = input;
        out.report(Report::empty());
    }
    /// The answer to an `http-request` action.
    fn on_http_response(&mut self, response: &HttpResponse, out: &mut AnalysisActions) {
        let _ = (response, out);
    }

    /// Dispatches one event to the callbacks above and returns the actions they built.
    fn on_event(&mut self, event: AnalysisEvent) -> Vec<AnalysisAction> {
        let mut out = AnalysisActions::new();
        match &event {
            AnalysisEvent::CallFinished(input) => self.on_call_finished(input, &mut out),
            AnalysisEvent::HttpResponse(response) => self.on_http_response(response, &mut out),
        }
        out.into_vec()
    }
}

/// Builds the list of actions an analysis callback returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisActions {
    actions: Vec<AnalysisAction>,
}

impl AnalysisActions {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends any action.
    pub fn push(&mut self, action: AnalysisAction) -> &mut Self {
        self.actions.push(action);
        self
    }

    /// Asks the host to perform an HTTP request.
    pub fn http_request(&mut self, request: HttpRequest) -> &mut Self {
        self.push(AnalysisAction::HttpRequest(request))
    }

    /// The final report; the job ends.
    pub fn report(&mut self, report: Report) -> &mut Self {
        self.push(AnalysisAction::Report(report))
    }

    /// Returns a log line as an action.
    pub fn log(&mut self, level: LogLevel, message: impl Into<String>) -> &mut Self {
        self.push(AnalysisAction::Log(LogEntry {
            level,
            message: message.into(),
        }))
    }

    /// The actions built so far.
    pub fn as_slice(&self) -> &[AnalysisAction] {
        &self.actions
    }

    /// The finished list.
    pub fn into_vec(self) -> Vec<AnalysisAction> {
        self.actions
    }
}

/// Exports an [`Analysis`] implementation as the component's `on-event`; one value per
/// component instance, created with `Default` on the first event.
#[macro_export]
macro_rules! export_analysis {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __VoxgateAnalysisComponent;

        impl $crate::__private::analysis::Guest for __VoxgateAnalysisComponent {
            fn on_event(
                event: $crate::analysis::AnalysisEvent,
            ) -> ::std::vec::Vec<$crate::analysis::AnalysisAction> {
                $crate::__private::with_instance(|plugin: &mut $plugin| {
                    $crate::analysis::Analysis::on_event(plugin, event)
                })
            }
        }

        $crate::__private::analysis::__export_analysis_world!(
            __VoxgateAnalysisComponent with_types_in $crate::__private::analysis
        );
    };
}
