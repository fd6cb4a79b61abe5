//! Silero VAD v6 (`silero_vad_op18_ifless.onnx` from the `silero-vad==6.2.3` wheel) run with tract.
//!
//! One [`SileroModel`] is loaded per process and shared by every call through an `Arc`; each call
//! owns a [`SileroVad`] (its recurrent state and the tail of its previous chunk). The model's batch
//! dimension is symbolic, so [`SileroModel::infer_batch`] can run many calls in one inference;
//! a second plan with the batch fixed to one serves [`SileroVad`] (about twice as fast for a
//! single row). Per-call cost and batching gains are in `benches/RESULTS.md` ("VAD").
//!
//! The detector's own buffers are reused from chunk to chunk; tract itself still allocates its
//! intermediate tensors on every inference.
//!
//! Model contract (8 kHz): input `[batch, 32 + 256]` (the previous chunk's last 32 samples, zeros
//! at the start, then the new 32 ms chunk), `state [2, batch, 128]`, `sr` = 8000; outputs the
//! speech probability `[batch, 1]` and the next state. At 16 kHz: 64 + 512 samples.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use super::{VadError, VoiceActivityDetector};

/// Sha256 of `silero_vad_op18_ifless.onnx` from `silero-vad==6.2.3` (see `vad-models/manifest.toml`).
pub const SILERO_VAD_MODEL_SHA256: &str =
    "7671cd04b004e9076da0d4a7b1a5aec36adf161c39230c1cb94a4fd5db6bbd28";

/// Width of the model's recurrent state per stream and layer.
const HIDDEN: usize = 128;
/// Values of recurrent state per stream: `[2, 128]`.
const STATE_VALUES: usize = 2 * HIDDEN;

/// The sample rates the Silero model supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SileroSampleRate {
    /// 8 kHz: 256-sample chunks with 32 samples of context (telephony).
    Hz8000,
    /// 16 kHz: 512-sample chunks with 64 samples of context.
    Hz16000,
}

impl SileroSampleRate {
    /// The rate in Hz.
    pub fn hz(self) -> u32 {
        match self {
            Self::Hz8000 => 8000,
            Self::Hz16000 => 16000,
        }
    }

    /// New samples per chunk (32 ms).
    pub fn chunk_samples(self) -> usize {
        match self {
            Self::Hz8000 => 256,
            Self::Hz16000 => 512,
        }
    }

    /// Samples of the previous chunk repeated in front of each chunk.
    pub fn context_samples(self) -> usize {
        match self {
            Self::Hz8000 => 32,
            Self::Hz16000 => 64,
        }
    }

    fn input_width(self) -> usize {
        self.context_samples() + self.chunk_samples()
    }
}

/// The loaded Silero network, optimised for one stream and for batches; shared by all calls.
#[derive(Debug)]
pub struct SileroModel {
    plans: Plans,
    rate: SileroSampleRate,
}

/// One stream's recurrent state and context, for [`SileroModel::infer_batch`].
#[derive(Clone, Debug, PartialEq)]
pub struct SileroState {
    rate: SileroSampleRate,
    /// `[2, 128]`, row-major.
    hidden: Box<[f32]>,
    /// The last `context_samples` samples of the previous chunk.
    context: Box<[f32]>,
}

impl SileroState {
    /// A fresh state (start of a stream) for a model at `rate`.
    pub fn new(rate: SileroSampleRate) -> Self {
        Self {
            rate,
            hidden: vec![0.0; STATE_VALUES].into_boxed_slice(),
            context: vec![0.0; rate.context_samples()].into_boxed_slice(),
        }
    }

    /// Back to the start of a stream, without allocating.
    pub fn reset(&mut self) {
        self.hidden.fill(0.0);
        self.context.fill(0.0);
    }
}

impl SileroModel {
    /// Loads the 8 kHz model from `path`, checking the file's sha256 first.
    ///
    /// Pass [`SILERO_VAD_MODEL_SHA256`] unless the manifest pins another file.
    pub fn load(path: impl AsRef<Path>, expected_sha256: &str) -> Result<Arc<Self>, VadError> {
        Self::load_with_rate(path, expected_sha256, SileroSampleRate::Hz8000)
    }

    /// Loads the model for `rate` from `path`, checking the file's sha256 first.
    pub fn load_with_rate(
        path: impl AsRef<Path>,
        expected_sha256: &str,
        rate: SileroSampleRate,
    ) -> Result<Arc<Self>, VadError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| VadError::ModelUnreadable {
            path: path.to_owned(),
            source,
        })?;
        let actual = hex_sha256(&bytes);
        if !actual.eq_ignore_ascii_case(expected_sha256.trim()) {
            return Err(VadError::ModelChecksum {
                path: path.to_owned(),
                expected: expected_sha256.trim().to_ascii_lowercase(),
                actual,
            });
        }
        let plans = build_plans(&bytes, rate).map_err(|error| VadError::ModelLoad {
            path: PathBuf::from(path),
            message: format!("{error:#}"),
        })?;
        Ok(Arc::new(Self { plans, rate }))
    }

    /// Sample rate of the inputs, in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.rate.hz()
    }

    /// The model's rate.
    pub fn rate(&self) -> SileroSampleRate {
        self.rate
    }

    /// New samples per chunk.
    pub fn chunk_samples(&self) -> usize {
        self.rate.chunk_samples()
    }

    /// A fresh per-stream state for [`SileroModel::infer_batch`].
    pub fn new_state(&self) -> SileroState {
        SileroState::new(self.rate)
    }

    /// Runs one chunk for each of N streams in a single inference; returns the N speech
    /// probabilities in order and advances each stream's state.
    ///
    /// `inputs[i]` (exactly `chunk_samples()` samples) belongs to the stream of `states[i]`.
    /// Results equal N separate runs (within float rounding).
    pub fn infer_batch(
        &self,
        inputs: &[&[f32]],
        states: &mut [SileroState],
    ) -> Result<Vec<f32>, VadError> {
        let mut probabilities = vec![0.0; inputs.len()];
        let mut buffers = BatchBuffers::new(self.rate, inputs.len())?;
        self.run_into(None, &mut buffers, inputs, states, &mut probabilities)?;
        Ok(probabilities)
    }

    /// The batch inference behind both the per-call detector and [`SileroModel::infer_batch`].
    fn run_into(
        &self,
        session: Option<&mut TypedSimpleState>,
        buffers: &mut BatchBuffers,
        inputs: &[&[f32]],
        states: &mut [SileroState],
        probabilities: &mut [f32],
    ) -> Result<(), VadError> {
        if inputs.len() != states.len() || probabilities.len() != inputs.len() {
            return Err(VadError::BatchMismatch {
                inputs: inputs.len(),
                states: states.len(),
            });
        }
        let chunk = self.chunk_samples();
        for (input, state) in inputs.iter().zip(states.iter()) {
            if input.len() != chunk {
                return Err(VadError::ChunkLength {
                    expected: chunk,
                    actual: input.len(),
                });
            }
            if state.rate != self.rate {
                return Err(VadError::StateRate {
                    state_hz: state.rate.hz(),
                    model_hz: self.rate.hz(),
                });
            }
        }
        if inputs.is_empty() {
            return Ok(());
        }
        buffers.fill(inputs, states).map_err(inference_error)?;
        let outputs = match session {
            Some(session) => session.run(buffers.values()),
            None => self.plans.batched.run(buffers.values()),
        }
        .map_err(inference_error)?;
        let [probability, next_state] = outputs.as_slice() else {
            return Err(VadError::Inference(format!(
                "model gave {} outputs, expected 2",
                outputs.len()
            )));
        };
        let probability = probability
            .try_as_plain_ram()
            .and_then(|view| view.as_slice::<f32>());
        let next_state = next_state
            .try_as_plain_ram()
            .and_then(|view| view.as_slice::<f32>());
        let (probability, next_state) = (
            probability.map_err(inference_error)?,
            next_state.map_err(inference_error)?,
        );
        let batch = inputs.len();
        if probability.len() != batch || next_state.len() != batch * STATE_VALUES {
            return Err(VadError::Inference(format!(
                "model outputs of {} and {} values for a batch of {batch}",
                probability.len(),
                next_state.len()
            )));
        }
        probabilities.copy_from_slice(probability);
        for (stream, (input, state)) in inputs.iter().zip(states.iter_mut()).enumerate() {
            for layer in 0..2 {
                let from = (layer * batch + stream) * HIDDEN;
                let to = layer * HIDDEN;
                state.hidden[to..to + HIDDEN].copy_from_slice(&next_state[from..from + HIDDEN]);
            }
            let context = state.context.len();
            state
                .context
                .copy_from_slice(&input[input.len() - context..]);
        }
        Ok(())
    }
}

/// Input tensors reused from one inference to the next when tract has let go of them.
#[derive(Debug)]
struct BatchBuffers {
    input: Arc<Tensor>,
    state: Arc<Tensor>,
}

impl BatchBuffers {
    fn new(rate: SileroSampleRate, batch: usize) -> Result<Self, VadError> {
        let input = Tensor::zero::<f32>(&[batch, rate.input_width()]).map_err(inference_error)?;
        let state = Tensor::zero::<f32>(&[2, batch, HIDDEN]).map_err(inference_error)?;
        Ok(Self {
            input: Arc::new(input),
            state: Arc::new(state),
        })
    }

    /// Writes `[context | chunk]` rows and the `[2, batch, 128]` state.
    fn fill(&mut self, inputs: &[&[f32]], states: &[SileroState]) -> TractResult<()> {
        let batch = inputs.len();
        let input = exclusive(&mut self.input);
        let mut view = input.try_as_plain_ram_mut()?;
        let rows = view.as_slice_mut::<f32>()?;
        let width = rows.len() / batch.max(1);
        for ((row, chunk), state) in rows.chunks_exact_mut(width).zip(inputs).zip(states) {
            let (context, samples) = row.split_at_mut(state.context.len());
            context.copy_from_slice(&state.context);
            samples.copy_from_slice(chunk);
        }
        let hidden = exclusive(&mut self.state);
        let mut view = hidden.try_as_plain_ram_mut()?;
        let hidden = view.as_slice_mut::<f32>()?;
        for (stream, state) in states.iter().enumerate() {
            for layer in 0..2 {
                let to = (layer * batch + stream) * HIDDEN;
                hidden[to..to + HIDDEN]
                    .copy_from_slice(&state.hidden[layer * HIDDEN..(layer + 1) * HIDDEN]);
            }
        }
        Ok(())
    }

    fn values(&self) -> TVec<TValue> {
        tvec!(
            self.input.clone().into_tvalue(),
            self.state.clone().into_tvalue()
        )
    }
}

/// The tensor behind `shared`, copied first if tract still holds a reference (it normally
/// releases its inputs when a run ends, so this does not copy).
fn exclusive(shared: &mut Arc<Tensor>) -> &mut Tensor {
    Arc::make_mut(shared)
}

/// Silero VAD for one call: 32 ms chunks at 8 kHz (or 16 kHz), speech probability per chunk.
#[derive(Debug)]
pub struct SileroVad {
    model: Arc<SileroModel>,
    session: TypedSimpleState,
    buffers: BatchBuffers,
    state: [SileroState; 1],
}

impl SileroVad {
    /// A detector for one stream; the model is shared.
    pub fn new(model: Arc<SileroModel>) -> Result<Self, VadError> {
        let session = model.plans.single.spawn().map_err(inference_error)?;
        let buffers = BatchBuffers::new(model.rate, 1)?;
        let state = [model.new_state()];
        Ok(Self {
            model,
            session,
            buffers,
            state,
        })
    }

    /// The shared model.
    pub fn model(&self) -> &Arc<SileroModel> {
        &self.model
    }
}

impl VoiceActivityDetector for SileroVad {
    fn sample_rate(&self) -> u32 {
        self.model.sample_rate()
    }

    fn chunk_samples(&self) -> usize {
        self.model.chunk_samples()
    }

    fn process(&mut self, chunk: &[f32]) -> Result<f32, VadError> {
        let mut probability = [0.0];
        self.model.run_into(
            Some(&mut self.session),
            &mut self.buffers,
            &[chunk],
            &mut self.state,
            &mut probability,
        )?;
        Ok(probability[0])
    }

    fn reset(&mut self) {
        self.state[0].reset();
    }
}

/// The optimised network twice: for one stream and for a batch of any size.
#[derive(Debug)]
struct Plans {
    single: Arc<TypedRunnableModel>,
    batched: Arc<TypedRunnableModel>,
}

/// Loads the ONNX bytes with a symbolic batch, the input width fixed for `rate` and `sr` folded
/// in as a constant, then optimises for this CPU.
fn build_plans(bytes: &[u8], rate: SileroSampleRate) -> TractResult<Plans> {
    let mut model = tract_onnx::onnx().model_for_read(&mut &*bytes)?;
    let batch = model.sym("batch").to_dim();
    let width = rate.input_width().to_dim();
    let names: Vec<String> = model
        .input_outlets()?
        .iter()
        .map(|outlet| model.node(outlet.node).name.clone())
        .collect();
    for (index, name) in names.iter().enumerate() {
        let fact: InferenceFact = match name.as_str() {
            "input" => f32::fact([batch.clone(), width.clone()]).into(),
            "state" => f32::fact([2.to_dim(), batch.clone(), HIDDEN.to_dim()]).into(),
            "sr" => tensor0(i64::from(rate.hz())).into(),
            other => tract_onnx::tract_core::internal::bail!("unexpected model input {other:?}"),
        };
        model.set_input_fact(index, fact)?;
    }
    let mut model = model.into_typed()?;
    // `sr` is fixed by the model's rate: make it a constant node, not an input, so the optimiser
    // folds the rate branch away and callers pass `input` and `state` only, in that order.
    let sr = tensor0(i64::from(rate.hz())).into_arc_tensor();
    let mut kept = TVec::<OutletId>::new();
    for name in ["input", "state"] {
        kept.push(model.node_by_name(name)?.id.into());
    }
    let sr_node = model.node_by_name("sr")?.id;
    model.set_input_outlets(&kept)?;
    let node = model.node_mut(sr_node);
    node.op = Box::new(tract_onnx::tract_core::ops::konst::Const::new(sr.clone())?);
    if let Some(output) = node.outputs.first_mut() {
        output.fact = TypedFact::try_from(sr)?;
    }
    model.declutter()?;
    // One plan per stream (batch fixed to 1: tract picks kernels for the exact shapes, about
    // twice as fast as the symbolic plan for one row) and one for any batch size.
    let one: HashMap<Symbol, TDim> = [(model.sym("batch"), 1.to_dim())].into_iter().collect();
    let single = model.set_symbols(&one)?.into_optimized()?.into_runnable()?;
    let batched = model.into_optimized()?.into_runnable()?;
    Ok(Plans { single, batched })
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn inference_error(error: impl std::fmt::Display) -> VadError {
    VadError::Inference(format!("{error:#}"))
}

#[cfg(test)]
#[path = "silero_tests.rs"]
mod tests;
