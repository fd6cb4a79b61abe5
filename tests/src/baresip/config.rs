//! baresip's `config` and `accounts` files for a headless, loopback-only instance.

use std::path::Path;

use super::{AnswerMode, BaresipOptions};

/// Number of RTP ports an instance gets.
pub(super) const RTP_PORTS: u16 = 40;

/// The `config` file: no UI or sound-card modules, G.711 (and Opus when asked), WAV in, sndfile recordings,
/// ctrl_tcp on loopback.
pub(super) fn config_text(
    options: &BaresipOptions,
    recordings: &Path,
    sip_port: u16,
    ctrl_port: u16,
    rtp_base: u16,
) -> String {
    let opus = options.audio_codecs.to_ascii_lowercase().contains("opus");
    format!(
        "\
poll_method epoll
sip_listen 127.0.0.1:{sip_port}
net_interface 127.0.0.1
call_local_timeout 120
call_max_calls 8
audio_source aufile,{input}
ausrc_srate {rate}
auplay_srate {rate}
ausrc_channels {channels}
auplay_channels {channels}
rtp_ports {rtp_base}-{rtp_last}
rtcp_mux no
jitter_buffer_delay 5-10
module_path /usr/lib/baresip/modules
module g711.so
{opus}module aufile.so
module sndfile.so
snd_path {recordings}
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
",
        input = options.input_wav.display(),
        // baresip's Opus wants 48 kHz stereo audio in (the input WAV must match).
        rate = if opus { 48000 } else { 8000 },
        channels = if opus { 2 } else { 1 },
        opus = if opus { "module opus.so\n" } else { "" },
        rtp_last = rtp_base + RTP_PORTS - 1,
        recordings = recordings.display(),
    )
}

/// The `accounts` file: one account, no registration.
pub(super) fn account_line(options: &BaresipOptions, sip_port: u16) -> String {
    let mode = match options.answer_mode {
        AnswerMode::Manual => "manual",
        AnswerMode::Auto => "auto",
    };
    format!(
        "<sip:{}@127.0.0.1:{sip_port}>;regint=0;answermode={mode};audio_codecs={};ptime=20\n",
        options.user, options.audio_codecs
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_name_every_port_and_path() {
        let options = BaresipOptions::new("/in.wav")
            .user("alice")
            .answer_mode(AnswerMode::Auto)
            .audio_codecs("pcma");
        let config = config_text(&options, Path::new("/rec"), 5062, 4444, 20000);
        for line in [
            "sip_listen 127.0.0.1:5062",
            "audio_source aufile,/in.wav",
            "rtp_ports 20000-20039",
            "snd_path /rec",
            "ctrl_tcp_listen 127.0.0.1:4444",
            "module_app ctrl_tcp.so",
        ] {
            assert!(config.lines().any(|l| l == line), "missing {line:?}");
        }
        assert_eq!(
            account_line(&options, 5062),
            "<sip:alice@127.0.0.1:5062>;regint=0;answermode=auto;audio_codecs=pcma;ptime=20\n"
        );
    }
}
