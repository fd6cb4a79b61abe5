//! Harnesses for the post-call kinds: `CrmHarness` and `AnalysisHarness`.

use voxgate_plugin_host::analysis::{AnalysisAction, AnalysisEvent, AnalysisInput, Report};
use voxgate_plugin_host::crm::{CrmAction, CrmEvent};
use voxgate_plugin_host::types::{CallInfo, CallSummary, HttpResponse, Pair};
use voxgate_plugin_host::{AnalysisSession, CrmSession, Fault};

/// A CRM-sync plugin under test.
pub struct CrmHarness {
    session: CrmSession,
    history: Vec<(CrmEvent, Result<Vec<CrmAction>, Fault>)>,
    fields: Vec<Pair>,
    done: Option<bool>,
}

impl CrmHarness {
    pub(crate) fn new(session: CrmSession) -> Self {
        CrmHarness {
            session,
            history: Vec::new(),
            fields: Vec::new(),
            done: None,
        }
    }

    /// Sends any event and records the actions.
    pub fn send(&mut self, event: CrmEvent) -> Result<Vec<CrmAction>, Fault> {
        let result = self.session.on_event(event.clone());
        if let Ok(actions) = &result {
            for action in actions {
                match action {
                    CrmAction::Fields(fields) => self.fields.extend(fields.iter().cloned()),
                    CrmAction::Done(ok) => self.done = Some(*ok),
                    CrmAction::HttpRequest(_) | CrmAction::Log(_) => {}
                }
            }
        }
        self.history.push((event, result.clone()));
        result
    }

    /// `lookup` for `call`.
    pub fn lookup(&mut self, call: CallInfo) -> Result<Vec<CrmAction>, Fault> {
        self.send(CrmEvent::Lookup(call))
    }

    /// `call-finished` with `summary`.
    pub fn call_finished(&mut self, summary: CallSummary) -> Result<Vec<CrmAction>, Fault> {
        self.send(CrmEvent::CallFinished(summary))
    }

    /// `http-response`.
    pub fn http_response(&mut self, response: HttpResponse) -> Result<Vec<CrmAction>, Fault> {
        self.send(CrmEvent::HttpResponse(response))
    }

    /// Fields returned so far.
    pub fn fields(&self) -> &[Pair] {
        &self.fields
    }

    /// The last `done` flag, if any.
    pub fn done(&self) -> Option<bool> {
        self.done
    }

    /// Every event sent and its result.
    pub fn history(&self) -> &[(CrmEvent, Result<Vec<CrmAction>, Fault>)] {
        &self.history
    }

    /// The plugin's log as `level: message`.
    pub fn log_lines(&self) -> Vec<String> {
        self.session.log_lines().map(ToString::to_string).collect()
    }
}

/// An analysis plugin under test.
pub struct AnalysisHarness {
    session: AnalysisSession,
    history: Vec<(AnalysisEvent, Result<Vec<AnalysisAction>, Fault>)>,
    report: Option<Report>,
}

impl AnalysisHarness {
    pub(crate) fn new(session: AnalysisSession) -> Self {
        AnalysisHarness {
            session,
            history: Vec::new(),
            report: None,
        }
    }

    /// Sends any event and records the actions.
    pub fn send(&mut self, event: AnalysisEvent) -> Result<Vec<AnalysisAction>, Fault> {
        let result = self.session.on_event(event.clone());
        if let Ok(actions) = &result {
            for action in actions {
                if let AnalysisAction::Report(report) = action {
                    self.report = Some(report.clone());
                }
            }
        }
        self.history.push((event, result.clone()));
        result
    }

    /// `call-finished` with `input`.
    pub fn call_finished(&mut self, input: AnalysisInput) -> Result<Vec<AnalysisAction>, Fault> {
        self.send(AnalysisEvent::CallFinished(input))
    }

    /// `http-response`.
    pub fn http_response(&mut self, response: HttpResponse) -> Result<Vec<AnalysisAction>, Fault> {
        self.send(AnalysisEvent::HttpResponse(response))
    }

    /// The last report returned.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    /// Every event sent and its result.
    pub fn history(&self) -> &[(AnalysisEvent, Result<Vec<AnalysisAction>, Fault>)] {
        &self.history
    }

    /// The plugin's log as `level: message`.
    pub fn log_lines(&self) -> Vec<String> {
        self.session.log_lines().map(ToString::to_string).collect()
    }
}
