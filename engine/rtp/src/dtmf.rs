//! RFC 4733 DTMF over RTP: detecting digits in received telephone-events and scheduling the
//! packets of digits we send.
//!
//! Detection keys on the RTP timestamp, never on the marker bit (some senders omit it): a new
//! timestamp is a new event. The digit is reported once, at the first end packet, however often
//! the end is repeated (linphone repeats it with the same sequence number). An event whose end
//! never arrives is reported when a telephone-event with another timestamp arrives, or when audio
//! resumes clearly after it. Durations are reported but never used for detection.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use voxgate_codecs::telephone_event::{TelephoneEvent, event_to_digit};

/// Volume of the digits we send, in -dBm0.
const SEND_VOLUME: u8 = 10;
/// Shortest digit we send, in frames.
const MIN_SEND_FRAMES: u32 = 2;
/// How often the end packet of a sent digit is transmitted (RFC 4733 2.5.1.4).
const END_REPETITIONS: u8 = 3;
/// Audio frames between two queued digits.
const INTER_DIGIT_GAP_FRAMES: u32 = 3;

/// A digit received in RFC 4733 events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReceivedDigit {
    pub(crate) digit: char,
    pub(crate) duration: Duration,
}

#[derive(Debug, Clone, Copy)]
struct ReceivingEvent {
    timestamp: u32,
    event: u8,
    duration: u16,
    first_arrival: Instant,
    last_arrival: Instant,
    reported: bool,
}

/// Turns received telephone-event packets into digits.
#[derive(Debug, Clone)]
pub(crate) struct DtmfDetector {
    /// Clock rate announced for telephone-event in SDP.
    announced_rate: u32,
    /// Clock rate of the audio stream sharing the SSRC.
    media_rate: u32,
    current: Option<ReceivingEvent>,
    /// `(timestamp, event)` of the event before `current`, to ignore its reordered stragglers.
    previous: Option<(u32, u8)>,
}

impl DtmfDetector {
    pub(crate) fn new(announced_rate: u32, media_rate: u32) -> Self {
        DtmfDetector {
            announced_rate: announced_rate.max(1),
            media_rate: media_rate.max(1),
            current: None,
            previous: None,
        }
    }

    /// Handles one telephone-event packet; digits found are pushed to `out` (at most two: an
    /// unfinished previous event and this one).
    pub(crate) fn on_event(
        &mut self,
        now: Instant,
        timestamp: u32,
        event: TelephoneEvent,
        out: &mut VecDeque<ReceivedDigit>,
    ) {
        if let Some(current) = self
            .current
            .as_mut()
            .filter(|current| current.timestamp == timestamp && current.event == event.event)
        {
            if current.reported {
                return;
            }
            current.duration = current.duration.max(event.duration);
            current.last_arrival = now;
            if event.end {
                current.reported = true;
                let current = *current;
                self.report(current, out);
            }
            return;
        }
        if self.previous == Some((timestamp, event.event)) {
            return;
        }
        self.finish_current(out);
        let started = ReceivingEvent {
            timestamp,
            event: event.event,
            duration: event.duration,
            first_arrival: now,
            last_arrival: now,
            reported: event.end,
        };
        self.current = Some(started);
        if event.end {
            self.report(started, out);
        }
    }

    /// Handles the timestamp of an audio packet: audio clearly after an unfinished event ends it.
    pub(crate) fn on_audio(
        &mut self,
        timestamp: u32,
        samples_per_frame: u32,
        out: &mut VecDeque<ReceivedDigit>,
    ) {
        let Some(current) = self.current.filter(|current| !current.reported) else {
            return;
        };
        let after_start = i64::from(timestamp.wrapping_sub(current.timestamp) as i32);
        let event_span = u64::from(current.duration) * u64::from(self.media_rate)
            / u64::from(self.announced_rate);
        if after_start > (event_span + 2 * u64::from(samples_per_frame)) as i64 {
            self.finish_current(out);
        }
    }

    /// Forgets all state (new source).
    pub(crate) fn reset(&mut self) {
        self.current = None;
        self.previous = None;
    }

    fn finish_current(&mut self, out: &mut VecDeque<ReceivedDigit>) {
        if let Some(mut current) = self.current.take() {
            if !current.reported {
                current.reported = true;
                self.report(current, out);
            }
            self.previous = Some((current.timestamp, current.event));
        }
    }

    fn report(&self, event: ReceivingEvent, out: &mut VecDeque<ReceivedDigit>) {
        if let Some(digit) = event_to_digit(event.event) {
            let observed = event
                .last_arrival
                .saturating_duration_since(event.first_arrival);
            out.push_back(ReceivedDigit {
                digit,
                duration: self.duration(event.duration, observed),
            });
        }
    }

    /// Converts a duration field to time. The field should count in the announced clock rate,
    /// but some senders count in the audio clock (baresip with Opus announces /8000 and counts at
    /// 48 kHz); when the two differ, the rate that better matches the observed packet span wins.
    fn duration(&self, units: u16, observed: Duration) -> Duration {
        let at = |rate: u32| Duration::from_secs_f64(f64::from(units) / f64::from(rate));
        let announced = at(self.announced_rate);
        if self.media_rate == self.announced_rate {
            return announced;
        }
        let media = at(self.media_rate);
        if media.abs_diff(observed) < announced.abs_diff(observed) {
            media
        } else {
            announced
        }
    }
}

/// A digit being sent.
#[derive(Debug, Clone, Copy)]
struct SendingEvent {
    event: u8,
    timestamp: u32,
    total_frames: u32,
    frames_sent: u32,
    ends_sent: u8,
}

/// One telephone-event packet to send this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DtmfPacket {
    pub(crate) payload: TelephoneEvent,
    /// The event's timestamp (the frame it started on), constant for all its packets.
    pub(crate) timestamp: u32,
    pub(crate) marker: bool,
}

/// Schedules the RFC 4733 packets of queued digits, one packet per frame.
#[derive(Debug, Clone)]
pub(crate) struct DtmfSender {
    /// Duration units (telephone-event clock) per frame.
    units_per_frame: u32,
    frame: Duration,
    queue: VecDeque<(u8, u32)>,
    active: Option<SendingEvent>,
    gap_frames: u32,
}

impl DtmfSender {
    pub(crate) fn new(frame: Duration, units_per_frame: u32) -> Self {
        DtmfSender {
            units_per_frame: units_per_frame.max(1),
            frame: frame.max(Duration::from_millis(1)),
            queue: VecDeque::new(),
            active: None,
            gap_frames: 0,
        }
    }

    /// Queues `event` to last about `duration` (at least two frames, at most what the 16-bit
    /// duration field holds).
    pub(crate) fn queue(&mut self, event: u8, duration: Duration) {
        let frames = duration.as_nanos().div_ceil(self.frame.as_nanos());
        let max_frames = u32::from(u16::MAX) / self.units_per_frame;
        let frames = u32::try_from(frames)
            .unwrap_or(u32::MAX)
            .clamp(MIN_SEND_FRAMES, max_frames.max(1));
        self.queue.push_back((event, frames));
    }

    /// Whether a digit is playing or queued.
    pub(crate) fn is_busy(&self) -> bool {
        self.active.is_some() || !self.queue.is_empty()
    }

    /// The packet to send instead of audio in the frame starting at `frame_timestamp`, if any.
    pub(crate) fn next_packet(&mut self, frame_timestamp: u32) -> Option<DtmfPacket> {
        if self.active.is_none() {
            if self.gap_frames > 0 {
                self.gap_frames -= 1;
                return None;
            }
            let (event, total_frames) = self.queue.pop_front()?;
            self.active = Some(SendingEvent {
                event,
                timestamp: frame_timestamp,
                total_frames,
                frames_sent: 0,
                ends_sent: 0,
            });
        }
        let active = self.active.as_mut()?;
        let marker = active.frames_sent == 0;
        active.frames_sent += 1;
        let end = active.frames_sent >= active.total_frames;
        let frames = active.frames_sent.min(active.total_frames);
        let packet = DtmfPacket {
            payload: TelephoneEvent {
                event: active.event,
                end,
                volume: SEND_VOLUME,
                duration: u16::try_from(frames * self.units_per_frame).unwrap_or(u16::MAX),
            },
            timestamp: active.timestamp,
            marker,
        };
        if end {
            active.ends_sent += 1;
            if active.ends_sent >= END_REPETITIONS {
                self.active = None;
                self.gap_frames = INTER_DIGIT_GAP_FRAMES;
            }
        }
        Some(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Duration = Duration::from_millis(20);

    fn drain(sender: &mut DtmfSender, from_timestamp: u32, frames: u32) -> Vec<Option<DtmfPacket>> {
        (0..frames)
            .map(|frame| sender.next_packet(from_timestamp + frame * 160))
            .collect()
    }

    #[test]
    fn short_digits_last_two_frames_and_queue_with_a_gap() {
        let mut sender = DtmfSender::new(FRAME, 160);
        sender.queue(1, Duration::from_millis(5));
        sender.queue(2, Duration::from_millis(40));
        let packets = drain(&mut sender, 0, 14);
        let summary: Vec<Option<(u8, bool, u16, u32)>> = packets
            .iter()
            .map(|packet| {
                packet.map(|packet| {
                    (
                        packet.payload.event,
                        packet.payload.end,
                        packet.payload.duration,
                        packet.timestamp,
                    )
                })
            })
            .collect();
        assert_eq!(
            summary,
            [
                Some((1, false, 160, 0)),
                Some((1, true, 320, 0)),
                Some((1, true, 320, 0)),
                Some((1, true, 320, 0)),
                None,
                None,
                None,
                Some((2, false, 160, 7 * 160)),
                Some((2, true, 320, 7 * 160)),
                Some((2, true, 320, 7 * 160)),
                Some((2, true, 320, 7 * 160)),
                None,
                None,
                None,
            ]
        );
        assert!(!sender.is_busy());
    }

    #[test]
    fn long_digits_are_capped_by_the_duration_field() {
        let mut sender = DtmfSender::new(FRAME, 160);
        sender.queue(5, Duration::from_secs(60));
        let packets: Vec<DtmfPacket> = drain(&mut sender, 0, 500).into_iter().flatten().collect();
        let last = packets.last().unwrap();
        assert!(last.payload.end);
        assert_eq!(last.payload.duration, 409 * 160);
    }

    #[test]
    fn detector_reports_once_per_timestamp() {
        let now = Instant::now();
        let mut detector = DtmfDetector::new(8000, 8000);
        let mut out = VecDeque::new();
        let update = TelephoneEvent {
            event: 8,
            end: false,
            volume: 10,
            duration: 160,
        };
        let end = TelephoneEvent {
            end: true,
            duration: 480,
            ..update
        };
        detector.on_event(now, 100, update, &mut out);
        for _ in 0..5 {
            detector.on_event(now, 100, end, &mut out);
        }
        assert_eq!(
            out,
            [ReceivedDigit {
                digit: '8',
                duration: Duration::from_millis(60)
            }]
        );
    }
}
